package collector

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/stripe-exporter/stripe_exporter/stripe"
)

// TestSumOverflowFailsTheCall has Stripe answer amounts near the ends of
// an int64 whose sums, by currency, source type or fee type, do not fit in
// one. The call that got them fails as any failed call does: the account
// is down (or the transaction absent), the failure is counted and logged
// saying why, and the other account is unharmed.
func TestSumOverflowFailsTheCall(t *testing.T) {
	const (
		maxInt64 = "9223372036854775807"
		minInt64 = "-9223372036854775808"
	)
	for _, tc := range []struct {
		name    string
		balance string
		// txn, when set, is the transaction's body; the balance is then
		// the fake's good one.
		txn  string
		want string
	}{
		{
			name:    "source type",
			balance: `{"object": "balance", "available": [{"amount": 0, "currency": "usd", "source_types": {"card": 6000000000000000000}}, {"amount": 0, "currency": "USD", "source_types": {"card": 6000000000000000000}}]}`,
			want:    "the balance's available funds by currency and source type",
		},
		{
			name:    "unattributed rest",
			balance: `{"object": "balance", "pending": [{"amount": ` + maxInt64 + `, "currency": "usd", "source_types": {"card": -1}}]}`,
			want:    "the balance's pending funds by currency and source type",
		},
		{
			name:    "currency",
			balance: `{"object": "balance", "connect_reserved": [{"amount": ` + maxInt64 + `, "currency": "usd"}, {"amount": 1, "currency": "USD"}]}`,
			want:    "the balance's Connect-reserved funds by currency",
		},
		{
			name:    "currency, below the smallest",
			balance: `{"object": "balance", "refund_and_dispute_prefunding": {"pending": [{"amount": ` + minInt64 + `, "currency": "usd"}, {"amount": -1, "currency": "usd"}]}}`,
			want:    "the balance's refund and dispute prefunding pending funds by currency",
		},
		{
			name: "fee type",
			txn:  `{"object": "balance_transaction", "id": "txn_1Settled", "currency": "usd", "status": "available", "fee_details": [{"amount": ` + maxInt64 + `, "currency": "usd", "type": "tax"}, {"amount": 1, "currency": "USD", "type": "tax"}]}`,
			want: "the transaction's fees by currency and type",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, client, metrics := fakeStripe(t)
			if tc.balance != "" {
				fake.SetBalance("", tc.balance)
			}
			if tc.txn != "" {
				fake.SetTransaction("", "txn_1Settled", tc.txn)
			}
			targets := fixtureTargets()
			r := Fetch(context.Background(), client, targets)
			metrics.CountFailures(r)
			var logs bytes.Buffer
			NewFailureLog(log.NewLogfmtLogger(&logs)).Record(r)
			families := gather(t, New(r, log.NewNopLogger()))

			self := r.Accounts[0]
			err, endpoint := self.BalanceErr, stripe.EndpointBalance
			if tc.txn != "" {
				err, endpoint = self.Transactions[0].Err, stripe.EndpointBalanceTransaction
				if self.Transactions[0].Transaction != nil {
					t.Errorf("the transaction %+v came with the error", self.Transactions[0].Transaction)
				}
			} else if self.Balance != nil {
				t.Errorf("the balance %+v came with the error", self.Balance)
			}
			if !errors.Is(err, stripe.ErrOverflow) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want ErrOverflow of %s", err, tc.want)
			}

			ups := map[string]float64{}
			for _, m := range families["stripe_up"].GetMetric() {
				ups[label(m, "account")] = m.GetGauge().GetValue()
			}
			if wantUp := map[string]float64{SelfAccount: 0, connected: 1}; tc.txn != "" && ups[SelfAccount] != 1 || tc.txn == "" && ups[SelfAccount] != 0 || ups[connected] != 1 {
				t.Errorf("stripe_up = %v; want %v, self up when only the transaction failed", ups, wantUp)
			}
			for _, m := range families["stripe_balance_transaction_fee_detail"].GetMetric() {
				if tc.txn != "" && label(m, "id") == "txn_1Settled" {
					t.Errorf("fee series of the transaction that failed: %v", m)
				}
			}
			if got := testutil.ToFloat64(metrics.fetchErrors.WithLabelValues(SelfAccount, endpoint)); got != 1 {
				t.Errorf("stripe_fetch_errors_total{endpoint=%q} = %v; want 1", endpoint, got)
			}
			if line := strings.TrimSpace(logs.String()); strings.Count(line, "\n") != 0 || !strings.Contains(line, "level=warn") ||
				!strings.Contains(line, "endpoint="+endpoint) || !strings.Contains(line, "sum beyond what 64 bits hold") {
				t.Errorf("want one warning that the %s sums overflow, got:\n%s", endpoint, &logs)
			}
		})
	}
}

// TestSumsExactNearTheEnds takes sums that pass an end of an int64 on the
// way but end within it: they are exported exactly.
func TestSumsExactNearTheEnds(t *testing.T) {
	r := oneBalance(&stripe.Balance{
		Available: []stripe.Funds{{Currency: "usd", Amount: 1<<63 - 1, SourceTypes: map[string]int64{"card": 1<<63 - 1, "fpx": 1, "bank_account": -1}}},
		ConnectReserved: []stripe.Funds{
			{Currency: "jpy", Amount: 1<<63 - 1}, {Currency: "JPY", Amount: 1}, {Currency: "jpy", Amount: -2},
		},
	})
	want := `
# HELP stripe_balance_available Funds that can be paid out or transferred, in the currency's major unit.
# TYPE stripe_balance_available gauge
stripe_balance_available{account="self",currency="usd",source_type="bank_account"} -0.01
stripe_balance_available{account="self",currency="usd",source_type="card"} 9.223372036854776e+16
stripe_balance_available{account="self",currency="usd",source_type="fpx"} 0.01
stripe_balance_available{account="self",currency="usd",source_type="unattributed"} 0
# HELP stripe_balance_connect_reserved Funds held against negative balances of connected accounts, in the currency's major unit.
# TYPE stripe_balance_connect_reserved gauge
stripe_balance_connect_reserved{account="self",currency="jpy"} 9.223372036854776e+18
`
	if err := testutil.CollectAndCompare(New(r, log.NewNopLogger()), strings.NewReader(want),
		"stripe_balance_available", "stripe_balance_connect_reserved"); err != nil {
		t.Fatal(err)
	}
}

// TestCollectOverflowIsDown: a result whose sums do not fit, which Fetch
// never makes but a caller could, is exported as Fetch would have it.
func TestCollectOverflowIsDown(t *testing.T) {
	r := oneBalance(&stripe.Balance{ConnectReserved: []stripe.Funds{{Currency: "usd", Amount: 1<<63 - 1}, {Currency: "usd", Amount: 1}}})
	r.Accounts[0].Transactions = []TransactionResult{{ID: "txn_1", Transaction: &stripe.BalanceTransaction{
		ID: "txn_1", Currency: "usd", FeeDetails: []stripe.FeeDetail{{Currency: "usd", Amount: -1 << 63, Type: "tax"}, {Currency: "usd", Amount: -1, Type: "tax"}},
	}}}
	want := `
# HELP stripe_up 1 if the account's balance was fetched from Stripe in this scrape, else 0.
# TYPE stripe_up gauge
stripe_up{account="self"} 0
`
	if err := testutil.CollectAndCompare(New(r, log.NewNopLogger()), strings.NewReader(want), append(stripeFamilies, "stripe_balance_connect_reserved")...); err != nil {
		t.Fatal(err)
	}
}
