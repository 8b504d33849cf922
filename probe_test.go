package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe-exporter/stripe_exporter/internal/exportertest"
	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// probeStatus probes account and returns the status and body.
func probeStatus(t *testing.T, e *exportertest.Exporter, account string) webResponse {
	t.Helper()
	r, err := fetch(t, http.DefaultClient, e.URL+"/probe?account="+account, "", "")
	if err != nil {
		t.Fatalf("probe %s: %v", account, err)
	}
	return r
}

// checkProbeUp checks that a probe of account is answered 200 with stripe_up 1.
func checkProbeUp(t *testing.T, e *exportertest.Exporter, account string) {
	t.Helper()
	r := probeStatus(t, e, account)
	if r.status != http.StatusOK || !strings.Contains(r.body, `stripe_up{account="`+account+`"} 1`) {
		t.Errorf("probe of %s: %d, want 200 with stripe_up 1:\n%.1000s", account, r.status, r.body)
	}
}

// checkProbeRefused checks that a probe of account is answered status with
// a body holding each of want, and that the fake saw no call for it.
func checkProbeRefused(t *testing.T, e *exportertest.Exporter, fake *stripetest.Server, account string, status int, want ...string) {
	t.Helper()
	before := len(fake.Requests())
	r := probeStatus(t, e, account)
	if r.status != status {
		t.Errorf("probe of %s: %d, want %d:\n%.300s", account, r.status, status, r.body)
	} else {
		for _, w := range want {
			if !strings.Contains(r.body, w) {
				t.Errorf("probe of %s: the answer %q does not say %q", account, r.body, w)
			}
		}
	}
	requests := fake.Requests()
	for _, req := range requests {
		if req.Account == account {
			t.Errorf("the fake Stripe got %s %s for %s", req.Method, req.Path, account)
		}
	}
	if n := len(requests) - before; n != 0 {
		t.Errorf("a refused probe of %s was followed by %d calls to Stripe, want none", account, n)
	}
}

// TestProbeOnlyKnownAccounts probes the accounts the exporter knows, listed,
// named by a transaction or discovered, and one it does not, which must be
// refused without a call to Stripe unless --probe.allow-any-account.
func TestProbeOnlyKnownAccounts(t *testing.T) {
	const (
		listed     = "acct_1Listed"
		byTxn      = "acct_1ByTransaction"
		discovered = "acct_1Discovered"
		stranger   = "acct_1Stranger"
	)
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	for _, a := range []string{listed, byTxn, discovered, stranger} {
		fake.SetBalance(a, stripetest.ConnectedBalance)
	}
	fake.SetTransaction(byTxn, "txn_1Settled", stripetest.SettledTransaction)
	fake.SetAccounts(discovered)
	known := []string{"--stripe.account=" + listed, "--stripe.balance-transaction=" + byTxn + "/txn_1Settled"}

	t.Run("without discovery", func(t *testing.T) {
		e := startExporter(t, fake, stripetest.Key, known...)
		checkProbeUp(t, e, listed)
		checkProbeUp(t, e, byTxn)
		for _, a := range []string{discovered, stranger} {
			checkProbeRefused(t, e, fake, a, http.StatusNotFound, a+" is not an account this exporter knows", "--stripe.account", "--discovery.enabled", "--probe.allow-any-account")
		}
	})

	t.Run("with discovery", func(t *testing.T) {
		e := startExporter(t, fake, stripetest.Key, append(known, "--discovery.enabled")...)
		waitDiscovered(t, e)
		checkProbeUp(t, e, listed)
		checkProbeUp(t, e, byTxn)
		checkProbeUp(t, e, discovered)
		checkProbeRefused(t, e, fake, stranger, http.StatusNotFound, "nor among the connected accounts discovery last listed", "--probe.allow-any-account")
	})

	t.Run("any account allowed", func(t *testing.T) {
		e := startExporter(t, fake, stripetest.Key, "--probe.allow-any-account")
		checkProbeUp(t, e, stranger)
	})
}

// waitDiscovered waits for discovery's first listing to be served.
func waitDiscovered(t *testing.T, e *exportertest.Exporter) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r, err := fetch(t, http.DefaultClient, e.URL+"/discovery", "", "")
		if err != nil {
			t.Fatal(err)
		}
		if r.status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/discovery still answers %d after 10s", r.status)
		}
	}
}

// TestProbeBeforeDiscoveryListed: until discovery's first listing, an
// account it may list is answered 503, for Prometheus to try again at the
// next interval, while listed accounts are probed.
func TestProbeBeforeDiscoveryListed(t *testing.T) {
	const (
		listed     = "acct_1Listed"
		discovered = "acct_1Discovered"
	)
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetBalance(listed, stripetest.ConnectedBalance)
	fake.SetBalance(discovered, stripetest.ConnectedBalance)
	fake.SetAccounts(discovered)
	// The first listing fails, not to be retried, and the next is an hour
	// away.
	fake.Script(stripetest.AccountsRoute, stripetest.Response{Status: http.StatusBadRequest, Body: stripetest.BadRequestBody})
	e := startExporter(t, fake, stripetest.Key, "--stripe.account="+listed, "--discovery.enabled", "--discovery.refresh-interval=1h")
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(exportertest.Get(t, e.URL+"/metrics", nil), "stripe_discovery_failures_total 1"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first listing has not failed after 10s")
		}
	}

	checkProbeRefused(t, e, fake, discovered, http.StatusServiceUnavailable, "discovery has not listed the connected accounts yet", "try again later")
	checkProbeUp(t, e, listed)
}
