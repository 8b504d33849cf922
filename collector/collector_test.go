package collector

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/stripe-exporter/stripe_exporter/stripe"
)

const connected = "acct_1Connected"

// stripeFamilies are the families built from Stripe data; the scrape
// duration is left out of golden comparisons because it varies.
var stripeFamilies = []string{
	"stripe_balance_available",
	"stripe_balance_pending",
	"stripe_balance_instant_available",
	"stripe_balance_issuing_available",
	"stripe_balance_connect_reserved",
	"stripe_balance_refund_and_dispute_prefunding_available",
	"stripe_balance_refund_and_dispute_prefunding_pending",
	"stripe_balance_transaction_amount",
	"stripe_balance_transaction_fee",
	"stripe_balance_transaction_net",
	"stripe_balance_transaction_fee_detail",
	"stripe_balance_transaction_available_on_timestamp_seconds",
	"stripe_up",
}

// fixtureResult is what the fake Stripe's bodies (stripetest.Balance,
// ConnectedBalance, SettledTransaction and PendingTransaction) decode to;
// TestFetch checks that they do.
func fixtureResult() *Result {
	return &Result{
		Accounts: []AccountResult{
			{
				Target: Target{Transactions: []string{"txn_1Settled", "txn_1Pending"}},
				Balance: &stripe.Balance{
					Available: []stripe.Funds{
						{Currency: "usd", Amount: 123456, SourceTypes: map[string]int64{"card": 100000, "bank_account": 23000, "fpx": 456}},
						{Currency: "jpy", Amount: 5000},
						{Currency: "kwd", Amount: 1234, SourceTypes: map[string]int64{"card": 1234}},
						{Currency: "eur", Amount: -2550, SourceTypes: map[string]int64{"card": -2550}},
					},
					Pending: []stripe.Funds{
						{Currency: "usd", Amount: 10000, SourceTypes: map[string]int64{"card": 7500}},
						{Currency: "eur", Amount: 0, SourceTypes: map[string]int64{"card": 0}},
					},
					InstantAvailable:          []stripe.Funds{{Currency: "usd", Amount: 50000, SourceTypes: map[string]int64{"card": 50000}}},
					IssuingAvailable:          []stripe.Funds{{Currency: "usd", Amount: 150000}},
					ConnectReserved:           []stripe.Funds{{Currency: "usd", Amount: 700}},
					RefundAndDisputeAvailable: []stripe.Funds{{Currency: "usd", Amount: 2500}},
					RefundAndDisputePending:   []stripe.Funds{{Currency: "usd", Amount: 100}},
				},
				Transactions: []TransactionResult{
					{ID: "txn_1Settled", Transaction: &stripe.BalanceTransaction{
						ID: "txn_1Settled", Currency: "usd", Amount: 1000, Fee: 59, Net: 941,
						FeeDetails: []stripe.FeeDetail{{Currency: "usd", Amount: 50, Type: "stripe_fee"}, {Currency: "usd", Amount: 9, Type: "tax"}},
						Status:     "available", Type: "charge", ReportingCategory: "charge", AvailableOn: 1735689600,
					}},
					{ID: "txn_1Pending", Transaction: &stripe.BalanceTransaction{
						ID: "txn_1Pending", Currency: "kwd", Amount: 10500, Fee: 320, Net: 10180,
						FeeDetails: []stripe.FeeDetail{{Currency: "kwd", Amount: 300, Type: "stripe_fee"}, {Currency: "kwd", Amount: 20, Type: "stripe_fee"}},
						Status:     "pending", Type: "charge", ReportingCategory: "charge", AvailableOn: 1767225600,
					}},
				},
			},
			{
				Target: Target{Account: connected},
				Balance: &stripe.Balance{
					Available: []stripe.Funds{{Currency: "gbp", Amount: 999, SourceTypes: map[string]int64{"card": 999}}},
					Pending:   []stripe.Funds{{Currency: "gbp", Amount: 1, SourceTypes: map[string]int64{"card": 1}}},
				},
				Transactions: []TransactionResult{},
			},
		},
		Took: 250 * time.Millisecond,
	}
}

// oneBalance is a result of the key's own account alone.
func oneBalance(b *stripe.Balance) *Result {
	return &Result{Accounts: []AccountResult{{Balance: b}}}
}

func TestCollectGolden(t *testing.T) {
	golden, err := os.ReadFile("testdata/balance.prom")
	if err != nil {
		t.Fatal(err)
	}
	if err := testutil.CollectAndCompare(New(fixtureResult(), log.NewNopLogger()), bytes.NewReader(golden), stripeFamilies...); err != nil {
		t.Fatal(err)
	}
}

func TestCollectLint(t *testing.T) {
	for name, c := range map[string]prometheus.Collector{
		"scrape":            New(fixtureResult(), log.NewNopLogger()),
		"exporter counters": NewMetrics(),
	} {
		problems, err := testutil.CollectAndLint(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint of %s: %s: %s", name, p.Metric, p.Text)
		}
	}
}

// TestSourceTypesAddUp checks that the series of each currency sum to
// Stripe's amount, whether the breakdown adds up, falls short, or is
// missing.
func TestSourceTypesAddUp(t *testing.T) {
	r := fixtureResult()
	b := r.Accounts[0].Balance
	families := gather(t, New(r, log.NewNopLogger()))
	for name, funds := range map[string][]stripe.Funds{
		"stripe_balance_available":         b.Available,
		"stripe_balance_pending":           b.Pending,
		"stripe_balance_instant_available": b.InstantAvailable,
		"stripe_balance_issuing_available": b.IssuingAvailable,
	} {
		sums := map[string]float64{}
		for _, m := range families[name].GetMetric() {
			if label(m, "account") == SelfAccount {
				sums[label(m, "currency")] += m.GetGauge().GetValue()
			}
		}
		if len(sums) != len(funds) {
			t.Errorf("%s: currencies %v, want %d", name, sums, len(funds))
		}
		for _, fu := range funds {
			if want := stripe.MajorUnits(fu.Amount, fu.Currency); sums[fu.Currency] != want {
				t.Errorf("%s{currency=%q}: series sum to %v, Stripe's amount is %v", name, fu.Currency, sums[fu.Currency], want)
			}
		}
	}
}

func TestFailedBalanceIsDownOthersStay(t *testing.T) {
	r := fixtureResult()
	r.Accounts[0].Balance = nil
	r.Accounts[0].BalanceErr = &stripe.Error{Endpoint: stripe.EndpointBalance, Status: 401}
	families := gather(t, New(r, log.NewNopLogger()))

	ups := map[string]float64{}
	for _, m := range families["stripe_up"].GetMetric() {
		ups[label(m, "account")] = m.GetGauge().GetValue()
	}
	if ups[SelfAccount] != 0 || ups[connected] != 1 || len(ups) != 2 {
		t.Errorf("stripe_up = %v, want self 0 and %s 1", ups, connected)
	}
	for _, m := range families["stripe_balance_available"].GetMetric() {
		if label(m, "account") == SelfAccount {
			t.Errorf("series of the failed account survived: %v", m)
		}
	}
	// The transactions fetched for the account are still exported.
	if n := len(families["stripe_balance_transaction_amount"].GetMetric()); n != 2 {
		t.Errorf("stripe_balance_transaction_amount has %d series, want 2", n)
	}
}

func TestFailedTransactionIsAbsent(t *testing.T) {
	r := fixtureResult()
	r.Accounts[0].Transactions[1] = TransactionResult{ID: "txn_1Pending", Err: &stripe.Error{Status: 404}}
	families := gather(t, New(r, log.NewNopLogger()))
	for _, name := range []string{"stripe_balance_transaction_amount", "stripe_balance_transaction_available_on_timestamp_seconds", "stripe_balance_transaction_fee_detail"} {
		for _, m := range families[name].GetMetric() {
			if id := label(m, "id"); id != "txn_1Settled" {
				t.Errorf("%s has a series for %s", name, id)
			}
		}
	}
}

// TestNoStaleSeries checks that a currency gone from Stripe's answer is gone
// from the next scrape.
func TestNoStaleSeries(t *testing.T) {
	if !hasCurrency(gather(t, New(fixtureResult(), log.NewNopLogger())), "eur") {
		t.Fatal("first scrape has no eur series")
	}
	next := oneBalance(&stripe.Balance{Available: []stripe.Funds{{Currency: "usd", Amount: 1}}})
	if hasCurrency(gather(t, New(next, log.NewNopLogger())), "eur") {
		t.Error("eur series survived into a scrape where Stripe no longer sends it")
	}
}

func TestDuplicateCurrenciesMerge(t *testing.T) {
	r := oneBalance(&stripe.Balance{
		Available: []stripe.Funds{
			{Currency: "usd", Amount: 100, SourceTypes: map[string]int64{"card": 100}},
			{Currency: "USD", Amount: 50, SourceTypes: map[string]int64{"card": 20}},
		},
		ConnectReserved: []stripe.Funds{{Currency: "usd", Amount: 1}, {Currency: "usd", Amount: 2}},
	})
	want := `
# HELP stripe_balance_available Funds that can be paid out or transferred, in the currency's major unit.
# TYPE stripe_balance_available gauge
stripe_balance_available{account="self",currency="usd",source_type="card"} 1.2
stripe_balance_available{account="self",currency="usd",source_type="unattributed"} 0.3
# HELP stripe_balance_connect_reserved Funds held against negative balances of connected accounts, in the currency's major unit.
# TYPE stripe_balance_connect_reserved gauge
stripe_balance_connect_reserved{account="self",currency="usd"} 0.03
`
	if err := testutil.CollectAndCompare(New(r, log.NewNopLogger()), strings.NewReader(want),
		"stripe_balance_available", "stripe_balance_connect_reserved"); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownCurrencyLogsAtDebug(t *testing.T) {
	var logs bytes.Buffer
	r := oneBalance(&stripe.Balance{Available: []stripe.Funds{{Currency: "xyz", Amount: 1234}}})
	want := `
# HELP stripe_balance_available Funds that can be paid out or transferred, in the currency's major unit.
# TYPE stripe_balance_available gauge
stripe_balance_available{account="self",currency="xyz",source_type="unattributed"} 12.34
`
	if err := testutil.CollectAndCompare(New(r, log.NewLogfmtLogger(&logs)), strings.NewReader(want), "stripe_balance_available"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=debug") || !strings.Contains(logs.String(), "currency=xyz") {
		t.Errorf("no debug line for the unknown currency:\n%s", logs.String())
	}
}

func TestScrapeDuration(t *testing.T) {
	want := `
# HELP stripe_scrape_duration_seconds Time this scrape spent fetching from Stripe.
# TYPE stripe_scrape_duration_seconds gauge
stripe_scrape_duration_seconds 0.25
`
	if err := testutil.CollectAndCompare(New(fixtureResult(), log.NewNopLogger()), strings.NewReader(want), "stripe_scrape_duration_seconds"); err != nil {
		t.Fatal(err)
	}
}

func gather(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func hasCurrency(families map[string]*dto.MetricFamily, currency string) bool {
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			if label(m, "currency") == currency {
				return true
			}
		}
	}
	return false
}
