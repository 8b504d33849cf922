package collector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/stripe-exporter/stripe_exporter/stripe"
	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
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

type fixture struct {
	fake    *stripetest.Server
	client  stripe.Client
	metrics *Metrics
	logs    *bytes.Buffer
	logger  log.Logger
	targets []Target
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetBalance(connected, stripetest.ConnectedBalance)
	fake.SetTransaction("", "txn_1Settled", stripetest.SettledTransaction)
	fake.SetTransaction("", "txn_1Pending", stripetest.PendingTransaction)
	metrics := NewMetrics()
	api, err := stripe.New(stripe.Config{Key: stripetest.Key, URL: fake.URL, MaxRetries: 0, RateLimit: 1000, Observer: metrics})
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	return &fixture{
		fake:    fake,
		client:  api,
		metrics: metrics,
		logs:    logs,
		logger:  log.NewLogfmtLogger(log.NewSyncWriter(logs)),
		targets: []Target{
			{Transactions: []string{"txn_1Settled", "txn_1Pending"}},
			{Account: connected},
		},
	}
}

func (f *fixture) scrape(ctx context.Context) *Scrape {
	return Start(ctx, f.client, f.targets, f.metrics, f.logger)
}

func TestCollectGolden(t *testing.T) {
	f := newFixture(t)
	golden, err := os.ReadFile("testdata/balance.prom")
	if err != nil {
		t.Fatal(err)
	}
	if err := testutil.CollectAndCompare(f.scrape(context.Background()), bytes.NewReader(golden), stripeFamilies...); err != nil {
		t.Fatal(err)
	}
}

func TestCollectLint(t *testing.T) {
	f := newFixture(t)
	problems, err := testutil.CollectAndLint(f.scrape(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	problems, err = testutil.CollectAndLint(f.metrics)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint of exporter metrics: %s: %s", p.Metric, p.Text)
	}
}

// TestSourceTypesAddUp checks, against the fixture's own JSON, that the
// series of each currency sum to Stripe's amount, whether the breakdown adds
// up, falls short, or is missing.
func TestSourceTypesAddUp(t *testing.T) {
	f := newFixture(t)
	var body struct {
		Available []struct {
			Amount   int64
			Currency string
		} `json:"available"`
		Pending []struct {
			Amount   int64
			Currency string
		} `json:"pending"`
		InstantAvailable []struct {
			Amount   int64
			Currency string
		} `json:"instant_available"`
		Issuing struct {
			Available []struct {
				Amount   int64
				Currency string
			} `json:"available"`
		} `json:"issuing"`
	}
	if err := json.Unmarshal([]byte(stripetest.Balance), &body); err != nil {
		t.Fatal(err)
	}
	families := gather(t, f.scrape(context.Background()))
	for name, funds := range map[string][]struct {
		Amount   int64
		Currency string
	}{
		"stripe_balance_available":         body.Available,
		"stripe_balance_pending":           body.Pending,
		"stripe_balance_instant_available": body.InstantAvailable,
		"stripe_balance_issuing_available": body.Issuing.Available,
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

func TestFailingAccountIsDownOthersStay(t *testing.T) {
	f := newFixture(t)
	f.fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Status: http.StatusUnauthorized, Body: stripetest.UnauthorizedBody})
	families := gather(t, f.scrape(context.Background()))

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
	if got := testutil.ToFloat64(f.metrics.fetchErrors.WithLabelValues(SelfAccount, stripe.EndpointBalance)); got != 1 {
		t.Errorf("stripe_fetch_errors_total{account=self,endpoint=balance} = %v, want 1", got)
	}
	logs := f.logs.String()
	for _, want := range []string{"level=warn", "error_type=invalid_request_error", "request_id=req_fake", "status=401", "account=self"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if n := strings.Count(logs, "\n"); n != 1 {
		t.Errorf("want one log line for one failure, got %d:\n%s", n, logs)
	}
}

func TestMissingTransactionIsAbsentAndCounted(t *testing.T) {
	f := newFixture(t)
	f.targets[0].Transactions = append(f.targets[0].Transactions, "txn_1Unknown")
	families := gather(t, f.scrape(context.Background()))
	ids := map[string]bool{}
	for _, m := range families["stripe_balance_transaction_amount"].GetMetric() {
		ids[label(m, "id")] = true
	}
	if ids["txn_1Unknown"] || !ids["txn_1Settled"] || !ids["txn_1Pending"] {
		t.Errorf("transaction series for %v, want the two known ones only", ids)
	}
	if got := testutil.ToFloat64(f.metrics.fetchErrors.WithLabelValues(SelfAccount, stripe.EndpointBalanceTransaction)); got != 1 {
		t.Errorf("fetch errors for balance_transaction = %v, want 1", got)
	}
	if !strings.Contains(f.logs.String(), "id=txn_1Unknown") || !strings.Contains(f.logs.String(), "status=404") {
		t.Errorf("log does not name the missing transaction:\n%s", f.logs)
	}
	if got := testutil.ToFloat64(f.metrics.requests.WithLabelValues(stripe.EndpointBalanceTransaction, "404")); got != 1 {
		t.Errorf("stripe_api_requests_total{code=404} = %v, want 1", got)
	}
}

// TestNoStaleSeries checks that a currency gone from Stripe's answer is gone
// from the next scrape.
func TestNoStaleSeries(t *testing.T) {
	f := newFixture(t)
	if !hasCurrency(gather(t, f.scrape(context.Background())), "eur") {
		t.Fatal("first scrape has no eur series")
	}
	f.fake.SetBalance("", `{"object":"balance","available":[{"amount":1,"currency":"usd"}],"pending":[]}`)
	if hasCurrency(gather(t, f.scrape(context.Background())), "eur") {
		t.Error("eur series survived into a scrape where Stripe no longer sends it")
	}
}

func TestDeadlineEndsScrape(t *testing.T) {
	f := newFixture(t)
	f.targets = []Target{{}}
	f.fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Delay: 30 * time.Second, Body: stripetest.Balance})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	families := gather(t, f.scrape(ctx))
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("scrape took %v past its 200ms deadline", took)
	}
	ms := families["stripe_up"].GetMetric()
	if len(ms) != 1 || ms[0].GetGauge().GetValue() != 0 {
		t.Errorf("stripe_up = %v, want one series at 0", ms)
	}
	if _, ok := families["stripe_balance_available"]; ok {
		t.Error("balance series exported from a scrape that timed out")
	}
}

// TestAccountsFetchedConcurrently checks that one slow account does not
// hold up the others: their calls overlap at the fake.
func TestAccountsFetchedConcurrently(t *testing.T) {
	f := newFixture(t)
	f.targets = []Target{{}}
	for _, a := range []string{"acct_1A", "acct_1B", "acct_1C", "acct_1D"} {
		f.fake.SetBalance(a, stripetest.ConnectedBalance)
		f.fake.Script(stripetest.BalanceRoute(a), stripetest.Response{Delay: 300 * time.Millisecond, Body: stripetest.ConnectedBalance})
		f.targets = append(f.targets, Target{Account: a})
	}
	families := gather(t, f.scrape(context.Background()))
	if n := len(families["stripe_up"].GetMetric()); n != 5 {
		t.Fatalf("stripe_up has %d series, want 5", n)
	}
	if peak := f.fake.PeakInFlight(); peak < 2 {
		t.Errorf("at most %d request in flight at once: accounts were fetched one by one", peak)
	}
}

func TestDuplicateCurrenciesMerge(t *testing.T) {
	f := newFixture(t)
	f.targets = []Target{{}}
	f.fake.SetBalance("", `{"object":"balance",
		"available":[{"amount":100,"currency":"usd","source_types":{"card":100}},{"amount":50,"currency":"USD","source_types":{"card":20}}],
		"pending":[],
		"connect_reserved":[{"amount":1,"currency":"usd"},{"amount":2,"currency":"usd"}]}`)
	want := `
# HELP stripe_balance_available Funds that can be paid out or transferred, in the currency's major unit.
# TYPE stripe_balance_available gauge
stripe_balance_available{account="self",currency="usd",source_type="card"} 1.2
stripe_balance_available{account="self",currency="usd",source_type="unattributed"} 0.3
# HELP stripe_balance_connect_reserved Funds held against negative balances of connected accounts, in the currency's major unit.
# TYPE stripe_balance_connect_reserved gauge
stripe_balance_connect_reserved{account="self",currency="usd"} 0.03
`
	if err := testutil.CollectAndCompare(f.scrape(context.Background()), strings.NewReader(want),
		"stripe_balance_available", "stripe_balance_connect_reserved"); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownCurrencyLogsAtDebug(t *testing.T) {
	f := newFixture(t)
	f.targets = []Target{{}}
	f.fake.SetBalance("", `{"object":"balance","available":[{"amount":1234,"currency":"xyz"}],"pending":[]}`)
	want := `
# HELP stripe_balance_available Funds that can be paid out or transferred, in the currency's major unit.
# TYPE stripe_balance_available gauge
stripe_balance_available{account="self",currency="xyz",source_type="unattributed"} 12.34
`
	if err := testutil.CollectAndCompare(f.scrape(context.Background()), strings.NewReader(want), "stripe_balance_available"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.logs.String(), "level=debug") || !strings.Contains(f.logs.String(), "currency=xyz") {
		t.Errorf("no debug line for the unknown currency:\n%s", f.logs)
	}
}

func TestScrapeDurationIsExported(t *testing.T) {
	f := newFixture(t)
	if n := testutil.CollectAndCount(f.scrape(context.Background()), "stripe_scrape_duration_seconds"); n != 1 {
		t.Errorf("stripe_scrape_duration_seconds series = %d, want 1", n)
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

// TestAbandonedScrapeIsNoStripeFailure: when Prometheus gives up on a
// scrape, the calls it cancels are not counted as Stripe's failures.
func TestAbandonedScrapeIsNoStripeFailure(t *testing.T) {
	f := newFixture(t)
	f.targets = []Target{{}}
	f.fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Delay: 30 * time.Second, Body: stripetest.Balance})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	gather(t, f.scrape(ctx))
	if got := testutil.ToFloat64(f.metrics.fetchErrors.WithLabelValues(SelfAccount, stripe.EndpointBalance)); got != 0 {
		t.Errorf("stripe_fetch_errors_total = %v after an abandoned scrape, want 0", got)
	}
	if strings.Contains(f.logs.String(), "level=warn") {
		t.Errorf("an abandoned scrape was logged as a warning:\n%s", f.logs)
	}
}

// TestPartsWaitForTheirOwnCalls: a scrape's transactions, when all are
// kept from earlier scrapes, can be collected while Stripe is still
// answering for its balances, even with more accounts than the scrape's
// calls in flight; its balances, and the counters collected after it, wait
// for those answers.
func TestPartsWaitForTheirOwnCalls(t *testing.T) {
	const delay = 500 * time.Millisecond
	f := newFixture(t)
	shared := stripe.NewShared(f.client, time.Minute)
	if _, err := shared.BalanceTransaction(context.Background(), "", "txn_1Settled"); err != nil {
		t.Fatal(err)
	}
	targets := []Target{{Transactions: []string{"txn_1Settled"}}}
	for i := range maxConcurrentCalls {
		account := fmt.Sprintf("acct_1Busy%d", i)
		f.fake.SetBalance(account, stripetest.ConnectedBalance)
		targets = append(targets, Target{Account: account})
	}
	f.fake.SetDelay(delay)
	before := testutil.ToFloat64(f.metrics.requests.WithLabelValues(stripe.EndpointBalance, "200"))
	start := time.Now()
	s := Start(context.Background(), shared, targets, f.metrics, f.logger)

	if n := testutil.CollectAndCount(s.Transactions(), "stripe_balance_transaction_amount"); n != 1 {
		t.Errorf("stripe_balance_transaction_amount series = %d, want 1", n)
	}
	if took := time.Since(start); took >= delay {
		t.Errorf("the kept transaction was collected after %v, not before the balances' answers after %v", took, delay)
	}
	select {
	case <-s.Done():
		t.Error("the scrape was done before Stripe answered for the balances")
	default:
	}

	up := gather(t, s.Balances())["stripe_up"].GetMetric()
	if took := time.Since(start); took < delay {
		t.Errorf("the balances were collected after %v, before Stripe's answers after %v", took, delay)
	}
	if len(up) != len(targets) {
		t.Errorf("stripe_up has %d series, want %d", len(up), len(targets))
	}
	for _, m := range up {
		if m.GetGauge().GetValue() != 1 {
			t.Errorf("stripe_up{account=%q} = %v, want 1", label(m, "account"), m.GetGauge().GetValue())
		}
	}
	if got := testutil.ToFloat64(f.metrics.requests.WithLabelValues(stripe.EndpointBalance, "200")) - before; got != float64(len(targets)) {
		t.Errorf("%v balance calls counted, want %d", got, len(targets))
	}
	if calls := f.fake.Calls(stripetest.TransactionRoute("", "txn_1Settled")); calls != 1 {
		t.Errorf("the kept transaction was fetched %d times, want once", calls)
	}
}

// TestCountersCollectedAfterTheCalls: a collector given to After is
// collected once the scrape's calls are over, so that the counters include
// them.
func TestCountersCollectedAfterTheCalls(t *testing.T) {
	f := newFixture(t)
	f.targets = []Target{{}}
	f.fake.SetDelay(300 * time.Millisecond)
	s := f.scrape(context.Background())
	var balanceCalls float64
	for _, m := range gather(t, s.After(f.metrics))["stripe_api_requests_total"].GetMetric() {
		if label(m, "endpoint") == stripe.EndpointBalance {
			balanceCalls += m.GetCounter().GetValue()
		}
	}
	if balanceCalls != 1 {
		t.Errorf("stripe_api_requests_total counts %v balance calls, want the scrape's 1", balanceCalls)
	}
}
