package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/stripe-exporter/stripe_exporter/collector"
	"github.com/stripe-exporter/stripe_exporter/stripe"
)

// loadKey reads the API key from the environment or from keyFile, which
// must not both be set.
func loadKey(getenv func(string) string, keyFile string) (string, error) {
	env := getenv(keyEnv)
	switch {
	case env != "" && keyFile != "":
		return "", fmt.Errorf("both %s and --stripe.api-key-file are set: set only one", keyEnv)
	case keyFile != "":
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return "", fmt.Errorf("read --stripe.api-key-file: %w", err)
		}
		key := strings.TrimSpace(string(b))
		if key == "" {
			return "", fmt.Errorf("--stripe.api-key-file %s is empty", keyFile)
		}
		return key, nil
	case env != "":
		return strings.TrimSpace(env), nil
	}
	return "", errors.New("no Stripe API key: set the " + keyEnv + " environment variable or --stripe.api-key-file=PATH to a restricted key (rk_...) with read access to Balance")
}

// buildTargets checks the --stripe.account and --stripe.balance-transaction
// values and groups the transactions by account. The key's own account comes
// first and is always scraped.
func buildTargets(accounts, transactions []string) ([]collector.Target, error) {
	targets := []collector.Target{{}}
	index := map[string]int{"": 0}
	for _, a := range accounts {
		if err := stripe.CheckAccountID(a); err != nil {
			return nil, fmt.Errorf("--stripe.account: %w", err)
		}
		if _, dup := index[a]; !dup {
			index[a] = len(targets)
			targets = append(targets, collector.Target{Account: a})
		}
	}
	seen := map[string]bool{}
	for _, v := range transactions {
		account, id, scoped := strings.Cut(v, "/")
		if !scoped {
			account, id = "", v
		} else if err := stripe.CheckAccountID(account); err != nil {
			return nil, fmt.Errorf("--stripe.balance-transaction %q: %w", v, err)
		}
		if err := stripe.CheckID(id); err != nil {
			return nil, fmt.Errorf("--stripe.balance-transaction %q: %w", v, err)
		}
		i, ok := index[account]
		if !ok {
			return nil, fmt.Errorf("--stripe.balance-transaction %q: account %s is not listed: add --stripe.account=%s", v, account, account)
		}
		if !seen[v] {
			seen[v] = true
			targets[i].Transactions = append(targets[i].Transactions, id)
		}
	}
	return targets, nil
}
