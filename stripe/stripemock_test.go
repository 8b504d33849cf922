package stripe_test

import (
	"context"
	"errors"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stripe-exporter/stripe_exporter/internal/exportertest"
	"github.com/stripe-exporter/stripe_exporter/stripe"
)

// These tests run the exporter's requests against stripe-mock, Stripe's own
// mock, which checks every request against Stripe's OpenAPI spec and answers
// 4xx when one does not fit it. `make test` installs the pinned version.

func TestRequestsPassStripeSpec(t *testing.T) {
	url := startStripeMock(t)
	api, err := stripe.New(stripe.Config{Key: "rk_test_51Conformance", URL: url, RateLimit: 100})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	accounts, err := api.ConnectedAccounts(ctx)
	if err != nil {
		t.Errorf("ConnectedAccounts: %v", err)
	} else if len(accounts) == 0 || accounts[0].ID == "" {
		t.Errorf("ConnectedAccounts decoded %+v", accounts)
	}
	for _, account := range []string{"", "acct_1Conformance"} {
		b, err := api.Balance(ctx, account)
		if err != nil {
			t.Errorf("Balance(%q): %v", account, err)
		} else if len(b.Available) == 0 || b.Available[0].Currency == "" {
			t.Errorf("Balance(%q) decoded no available funds: %+v", account, b)
		}
		txn, err := api.BalanceTransaction(ctx, account, "txn_1Conformance")
		if err != nil {
			t.Errorf("BalanceTransaction(%q): %v", account, err)
		} else if txn.ID != "txn_1Conformance" || txn.Currency == "" || txn.Status == "" {
			t.Errorf("BalanceTransaction(%q) decoded %+v", account, txn)
		}
		for _, q := range []stripe.TransactionQuery{
			{CreatedGTE: 1234567890, StartingAfter: "txn_1Conformance"},
			{CreatedGT: 1234567000, CreatedLTE: 1234567890, Limit: 1},
			{CreatedLT: 1234568000, Limit: 100},
		} {
			txns, _, err := api.BalanceTransactions(ctx, account, q)
			if err != nil {
				t.Errorf("BalanceTransactions(%q, %+v): %v", account, q, err)
			} else if len(txns) == 0 || txns[0].ID == "" || txns[0].Currency == "" || txns[0].Created == 0 {
				t.Errorf("BalanceTransactions(%q, %+v) decoded %+v", account, q, txns)
			}
		}
		// stripe-mock lists one in_transit payout and says there are no
		// more, so a summary is that single call.
		s, err := api.PayoutSummary(ctx, account)
		if err != nil {
			t.Errorf("PayoutSummary(%q): %v", account, err)
		} else if len(s.InFlight) != 1 || s.InFlight[0].Currency == "" || s.InFlight[0].Amount == 0 || s.InFlight[0].EarliestArrival == 0 {
			t.Errorf("PayoutSummary(%q) decoded %+v", account, s)
		}
		// A summary of an account with more payouts filters by status.
		// stripe-mock ignores the filter and lists its in_transit payout,
		// which the client refuses in a list of paid payouts; had the
		// request broken the spec, the answer would be a 400.
		_, _, err = api.Payouts(ctx, account, stripe.PayoutQuery{Status: "paid", Limit: 1})
		var se *stripe.Error
		if !errors.As(err, &se) || se.Status != http.StatusOK || !strings.Contains(err.Error(), "only paid payouts were asked for") {
			t.Errorf("Payouts(%q, paid): %v; want stripe-mock's 200 with its in_transit payout refused", account, err)
		}
	}
}

// TestStripeMockValidates shows that stripe-mock would catch a request that
// breaks the spec, so that the test above means something: the malformed
// expand array the API reference's 400 example shows, and an unknown
// parameter, are both refused.
func TestStripeMockValidates(t *testing.T) {
	url := startStripeMock(t)
	for _, query := range []string{"expand[1]=available", "no_such_param=1"} {
		req, err := http.NewRequest(http.MethodGet, url+"/v1/balance?"+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer rk_test_51Conformance")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET /v1/balance?%s: %s, want 400 Bad Request", query, resp.Status)
		}
	}
}

// TestKeyRedactedFromStripeMockError uses a live-mode key, which
// stripe-mock refuses with a message that quotes the whole Authorization
// header.
func TestKeyRedactedFromStripeMockError(t *testing.T) {
	const key = "rk_live_51CanaryMustNotLeak"
	url := startStripeMock(t)
	api, err := stripe.New(stripe.Config{Key: key, URL: url, RateLimit: 100})
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.Balance(context.Background(), "")
	var se *stripe.Error
	if !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
		t.Fatalf("Balance with a live key against stripe-mock: %v, want a 401 *stripe.Error", err)
	}
	if strings.Contains(err.Error(), key) {
		t.Errorf("error contains the key: %v", err)
	}
	if !strings.Contains(err.Error(), "withheld: it held the API key") {
		t.Errorf("error does not say that the message holding the key was withheld: %v", err)
	}
}

// startStripeMock starts stripe-mock on a free port of 127.0.0.1 and stops
// it when the test ends.
func startStripeMock(t *testing.T) string {
	t.Helper()
	bin := exportertest.Tool(t, "STRIPE_MOCK", "stripe-mock", "run `make tools`")
	_, m := exportertest.StartProcess(t, exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0"),
		regexp.MustCompile(`Listening for HTTP at address: (127\.0\.0\.1:\d+)`))
	return "http://" + m[1]
}
