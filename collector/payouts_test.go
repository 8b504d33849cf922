package collector

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/stripe-exporter/stripe_exporter/stripe"
	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

var payoutFamilies = []string{
	"stripe_payouts_in_flight_amount",
	"stripe_payouts_in_flight",
	"stripe_payout_next_arrival_timestamp_seconds",
	"stripe_payout_last_paid_timestamp_seconds",
	"stripe_payout_last_failed_timestamp_seconds",
}

func TestCollectPayouts(t *testing.T) {
	r := oneBalance(&stripe.Balance{})
	r.Accounts[0].Target.Payouts = true
	r.Accounts[0].Payouts = &stripe.PayoutSummary{
		InFlight: []stripe.PayoutsInFlight{
			{Currency: "jpy", Status: "pending", Amount: 50000, Count: 1, EarliestArrival: 1767484800},
			{Currency: "usd", Status: "in_transit", Amount: 150000, Count: 2, EarliestArrival: 1767398400},
			{Currency: "usd", Status: "pending", Amount: 2550, Count: 1, EarliestArrival: 1767571200},
		},
		LastPaid:   &stripe.Payout{ID: "po_1Paid", Currency: "usd", Status: "paid", ArrivalDate: 1767312000},
		LastFailed: &stripe.Payout{ID: "po_1Failed", Currency: "USD", Status: "failed", ArrivalDate: 1767225600, FailureCode: "account_closed"},
	}
	want := `
# HELP stripe_payouts_in_flight_amount Sum of the payouts on their way to the bank (status pending or in_transit), in the currency's major unit.
# TYPE stripe_payouts_in_flight_amount gauge
stripe_payouts_in_flight_amount{account="self",currency="jpy",status="pending"} 50000
stripe_payouts_in_flight_amount{account="self",currency="usd",status="in_transit"} 1500
stripe_payouts_in_flight_amount{account="self",currency="usd",status="pending"} 25.5
# HELP stripe_payouts_in_flight Number of payouts on their way to the bank (status pending or in_transit).
# TYPE stripe_payouts_in_flight gauge
stripe_payouts_in_flight{account="self",currency="jpy",status="pending"} 1
stripe_payouts_in_flight{account="self",currency="usd",status="in_transit"} 2
stripe_payouts_in_flight{account="self",currency="usd",status="pending"} 1
# HELP stripe_payout_next_arrival_timestamp_seconds Earliest expected arrival of the payouts in flight, in Unix seconds.
# TYPE stripe_payout_next_arrival_timestamp_seconds gauge
stripe_payout_next_arrival_timestamp_seconds{account="self",currency="jpy"} 1767484800
stripe_payout_next_arrival_timestamp_seconds{account="self",currency="usd"} 1767398400
# HELP stripe_payout_last_paid_timestamp_seconds Arrival date of the account's newest paid payout, in Unix seconds.
# TYPE stripe_payout_last_paid_timestamp_seconds gauge
stripe_payout_last_paid_timestamp_seconds{account="self",currency="usd"} 1767312000
# HELP stripe_payout_last_failed_timestamp_seconds Arrival date of the account's newest failed payout, in Unix seconds, with Stripe's failure code.
# TYPE stripe_payout_last_failed_timestamp_seconds gauge
stripe_payout_last_failed_timestamp_seconds{account="self",currency="usd",failure_code="account_closed"} 1767225600
`
	if err := testutil.CollectAndCompare(New(r, log.NewNopLogger()), strings.NewReader(want), payoutFamilies...); err != nil {
		t.Fatal(err)
	}
	// Without payouts asked for, or when their call failed, there are none.
	for name, a := range map[string]AccountResult{
		"not asked for": {Balance: &stripe.Balance{}},
		"failed":        {Target: Target{Payouts: true}, Balance: &stripe.Balance{}, PayoutsErr: errors.New("boom")},
	} {
		if n := testutil.CollectAndCount(New(&Result{Accounts: []AccountResult{a}}, log.NewNopLogger()), payoutFamilies...); n != 0 {
			t.Errorf("%s: %d payout series, want none", name, n)
		}
	}
}

func TestFailureCodeLabel(t *testing.T) {
	for code, want := range map[string]string{
		"insufficient_funds":              "insufficient_funds",
		"":                                "unknown",
		"Account Closed":                  "other",
		"bank_" + strings.Repeat("x", 64): "other",
	} {
		if got := failureCode(code); got != want {
			t.Errorf("failureCode(%q) = %q, want %q", code, got, want)
		}
	}
}

// TestFetchPayouts: payouts are fetched for the targets that ask for them,
// and a failed payouts call is counted and logged as its own failure, not
// as the balance's.
func TestFetchPayouts(t *testing.T) {
	fake, client, metrics := fakeStripe(t)
	fake.AddPayouts("",
		stripetest.Payout{ID: "po_1Transit", Created: 1767300000, Amount: 150000, Currency: "usd", Status: "in_transit", ArrivalDate: 1767398400},
		stripetest.Payout{ID: "po_1Paid", Created: 1767200000, Amount: 99, Currency: "usd", Status: "paid", ArrivalDate: 1767312000},
	)
	targets := []Target{{Payouts: true}, {Account: connected}}
	r := Fetch(context.Background(), client, targets)
	self := r.Accounts[0]
	if self.PayoutsErr != nil || self.Payouts == nil {
		t.Fatalf("self's payouts = %v, %v", self.Payouts, self.PayoutsErr)
	}
	if len(self.Payouts.InFlight) != 1 || self.Payouts.InFlight[0].Amount != 150000 || self.Payouts.LastPaid == nil || self.Payouts.LastPaid.ID != "po_1Paid" {
		t.Errorf("self's payouts = %+v", self.Payouts)
	}
	if n := fake.Calls(stripetest.PayoutsRoute(connected)); n != 0 {
		t.Errorf("%d payout calls for %s, which did not ask for them", n, connected)
	}

	fake.Script(stripetest.PayoutsRoute(""), stripetest.Response{Status: http.StatusForbidden, Body: stripetest.ErrorBody("invalid_request_error", "", "The provided key does not have the required permissions")})
	r = Fetch(context.Background(), client, targets)
	if r.Accounts[0].Balance == nil || r.Accounts[0].PayoutsErr == nil {
		t.Fatalf("balance %v, payouts error %v; want the balance and a payouts error", r.Accounts[0].Balance, r.Accounts[0].PayoutsErr)
	}
	metrics.CountFailures(r)
	if got := testutil.ToFloat64(metrics.fetchErrors.WithLabelValues(SelfAccount, stripe.EndpointPayouts)); got != 1 {
		t.Errorf("stripe_fetch_errors_total{endpoint=payouts} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(metrics.fetchErrors.WithLabelValues(SelfAccount, stripe.EndpointBalance)); got != 0 {
		t.Errorf("stripe_fetch_errors_total{endpoint=balance} = %v, want 0", got)
	}
}
