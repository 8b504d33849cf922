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
// values. It returns what /metrics scrapes: the key's own account first,
// then each listed account, each with its transactions; and every
// transaction by account, for /probe. A transaction of an account not listed
// is exported by /probe only.
func buildTargets(accounts, transactions []string) ([]collector.Target, map[string][]string, error) {
	targets := []collector.Target{{}}
	listed := map[string]bool{"": true}
	for _, a := range accounts {
		if err := stripe.CheckAccountID(a); err != nil {
			return nil, nil, fmt.Errorf("--stripe.account: %w", err)
		}
		if !listed[a] {
			listed[a] = true
			targets = append(targets, collector.Target{Account: a})
		}
	}
	byAccount := map[string][]string{}
	seen := map[string]bool{}
	for _, v := range transactions {
		account, id, scoped := strings.Cut(v, "/")
		if !scoped {
			account, id = "", v
		} else if err := stripe.CheckAccountID(account); err != nil {
			return nil, nil, fmt.Errorf("--stripe.balance-transaction %q: %w", v, err)
		}
		if err := stripe.CheckID(id); err != nil {
			return nil, nil, fmt.Errorf("--stripe.balance-transaction %q: %w", v, err)
		}
		if !seen[v] {
			seen[v] = true
			byAccount[account] = append(byAccount[account], id)
		}
	}
	for i := range targets {
		targets[i].Transactions = byAccount[targets[i].Account]
	}
	return targets, byAccount, nil
}
