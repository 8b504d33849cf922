package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/prometheus/exporter-toolkit/web"

	"github.com/stripe-exporter/stripe_exporter/activity"
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

// keyFileExposure returns a warning when the key file can be read by every
// user of the host, as a file written with the default umask can, and "" when
// it cannot or no file is used. Group access is left alone: a group shared with
// a secrets agent is a common, deliberate set-up.
func keyFileExposure(keyFile string) string {
	if keyFile == "" {
		return ""
	}
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm()&0o004 == 0 {
		return ""
	}
	return fmt.Sprintf("--stripe.api-key-file %s can be read by every user of this host (mode %04o): chmod o-r it, or 600", keyFile, fi.Mode().Perm())
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

// check finds the flag values that cannot work, naming the flag.
func (c *config) check() error {
	switch {
	case c.timeout <= 0:
		return fmt.Errorf("--stripe.timeout=%v: want a positive duration", c.timeout)
	case c.timeoutOffset < 0:
		return fmt.Errorf("--stripe.timeout-offset=%v: want zero or more", c.timeoutOffset)
	case !(c.probeShare > 0 && c.probeShare <= 1):
		return fmt.Errorf("--probe.rate-limit-share=%g: want more than 0 and at most 1", c.probeShare)
	case c.discovery && c.discoveryInterval <= 0:
		return fmt.Errorf("--discovery.refresh-interval=%v: want a positive duration", c.discoveryInterval)
	case c.activity && c.activityInterval <= 0:
		return fmt.Errorf("--collector.balance-activity.interval=%v: want a positive duration", c.activityInterval)
	case c.activity && c.activityOverlap < activity.MinOverlap:
		return fmt.Errorf("--collector.balance-activity.overlap=%v: want %v or more, as Stripe may show a transaction seconds after its created time", c.activityOverlap, activity.MinOverlap)
	case c.maxRequests < 0:
		return fmt.Errorf("--web.max-requests=%d: want zero (no limit) or more", c.maxRequests)
	case !strings.HasPrefix(c.telemetryPath, "/") || slices.Contains([]string{"/", probePath, discoveryPath}, c.telemetryPath):
		return fmt.Errorf("--web.telemetry-path=%q: want a path starting with / other than /, %s and %s", c.telemetryPath, probePath, discoveryPath)
	}
	// The toolkit would only find a bad web config once listening, and name
	// neither the flag nor the file.
	if err := web.Validate(*c.web.WebConfigFile); err != nil {
		return fmt.Errorf("--web.config.file=%s: %w", *c.web.WebConfigFile, err)
	}
	return nil
}

// checkLogFlags is done by hand because kingpin's enum error does not name
// the flag.
func checkLogFlags(lvl, format string) error {
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, lvl) {
		return fmt.Errorf("--log.level=%q: want one of debug, info, warn, error", lvl)
	}
	if !slices.Contains([]string{"logfmt", "json"}, format) {
		return fmt.Errorf("--log.format=%q: want logfmt or json", format)
	}
	return nil
}
