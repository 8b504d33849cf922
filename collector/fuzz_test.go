package collector_test

// A fuzz test of a whole scrape: an arbitrary balance and balance
// transaction from a fake Stripe, through the real API client and
// collector, gathered by a pedantic registry. Run it with
//
//	go test -run='^$' -fuzz='^FuzzCollectBalance$' -fuzztime=60s -fuzzminimizetime=100x ./collector/
//
// The coverage of a scrape depends a little on timing (the registry's and
// net/http's goroutines), so an input that found new coverage often does
// not find it again; without -fuzzminimizetime the fuzzer spends the
// default 60 s trying to minimize each such input, and hardly fuzzes.
// A plain go test runs the seeds: the f.Add calls and testdata/fuzz.

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	sdk "github.com/stripe/stripe-go/v85"

	"github.com/stripe-exporter/stripe_exporter/collector"
	"github.com/stripe-exporter/stripe_exporter/stripe"
	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

const fuzzTxn = "txn_fuzz"

var (
	fuzzBalanceStatuses     = []int{200, 400, 500}
	fuzzTransactionStatuses = []int{200, 404, 500}
)

// fuzzStripe answers the balance and the one transaction with bodies each
// iteration swaps. It is not stripetest.Server, which keeps every request
// it gets and so grows without bound over a long fuzzing run.
type fuzzStripe struct {
	*httptest.Server
	mu                         sync.Mutex
	balanceStatus, txnStatus   int
	balance, txn               []byte
	balanceCalls, txnCalls     int
	unexpectedPath, wrongAuths int
}

func newFuzzStripe(f *testing.F) *fuzzStripe {
	s := &fuzzStripe{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		var status int
		var body []byte
		switch r.URL.Path {
		case "/v1/balance":
			status, body = s.balanceStatus, s.balance
			s.balanceCalls++
		case "/v1/balance_transactions/" + fuzzTxn:
			status, body = s.txnStatus, s.txn
			s.txnCalls++
		default:
			status, body = http.StatusNotFound, []byte(stripetest.ErrorBody("invalid_request_error", "", "Unrecognized request URL"))
			s.unexpectedPath++
		}
		if r.Header.Get("Authorization") != "Bearer "+stripetest.Key || r.Header.Get("Stripe-Account") != "" {
			s.wrongAuths++
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_fuzz")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	f.Cleanup(s.Close)
	return s
}

func (s *fuzzStripe) answer(balanceStatus int, balance []byte, txnStatus int, txn []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balanceStatus, s.balance, s.txnStatus, s.txn = balanceStatus, balance, txnStatus, txn
	s.balanceCalls, s.txnCalls, s.unexpectedPath, s.wrongAuths = 0, 0, 0, 0
}

func (s *fuzzStripe) checkCalls(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.balanceCalls != 1 || s.txnCalls != 1 || s.unexpectedPath != 0 || s.wrongAuths != 0 {
		t.Fatalf("fake got %d balance calls, %d transaction calls, %d to other paths, %d with the wrong key or account; want 1, 1, 0, 0",
			s.balanceCalls, s.txnCalls, s.unexpectedPath, s.wrongAuths)
	}
}

// series is what the test expects of one family: exact sums in minor units
// by label values (without account, which is always self, and id).
type series map[string]*big.Int

// sub subtracts v, which -v would not do for math.MinInt64.
func (s series) sub(v int64, values ...string) {
	k := seriesKey(values...)
	if s[k] == nil {
		s[k] = new(big.Int)
	}
	s[k].Sub(s[k], big.NewInt(v))
}

// fits says whether every sum fits in an int64.
func (s series) fits() bool {
	for _, v := range s {
		if !v.IsInt64() {
			return false
		}
	}
	return true
}

// seriesKey joins label values; \xff never occurs in a label value, which
// the JSON decoder makes valid UTF-8.
func seriesKey(values ...string) string { return strings.Join(values, "\xff") }

func (s series) add(v int64, values ...string) {
	k := seriesKey(values...)
	if s[k] == nil {
		s[k] = new(big.Int)
	}
	s[k].Add(s[k], big.NewInt(v))
}

// bySourceType is what the README promises: per currency (lower-cased) and
// source type the sum of the breakdowns, and on "unattributed" the sum of
// the amounts less everything the breakdowns attribute to a source type
// other than "unattributed", so the series of a currency sum to its amount.
// It returns the sum of the amounts by currency as well.
func bySourceType(funds []*stripetest.RefAmount) (series, map[string]*big.Int) {
	s, totals := series{}, map[string]*big.Int{}
	for _, f := range funds {
		if f == nil {
			continue
		}
		c := strings.ToLower(f.Currency)
		if totals[c] == nil {
			totals[c] = new(big.Int)
		}
		totals[c].Add(totals[c], big.NewInt(f.Amount))
		s.add(f.Amount, c, collector.Unattributed)
		for source, v := range f.SourceTypes {
			if source != collector.Unattributed {
				s.add(v, c, source)
				s.sub(v, c, collector.Unattributed)
			}
		}
	}
	return s, totals
}

func byCurrency[T any](funds []*T, amount func(*T) (int64, string)) series {
	s := series{}
	for _, f := range funds {
		if f != nil {
			v, c := amount(f)
			s.add(v, strings.ToLower(c))
		}
	}
	return s
}

func amountParts(a *stripetest.RefAmount) (int64, string)           { return a.Amount, a.Currency }
func plainAmountParts(a *stripetest.RefPlainAmount) (int64, string) { return a.Amount, a.Currency }

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// checkFamily compares the series of family with want: the same label
// values, and each value the major units of the exact sum. currencyAt is
// the index of the currency among labels.
func checkFamily(t *testing.T, families map[string]*dto.MetricFamily, family string, labels []string, currencyAt int, want series) {
	t.Helper()
	got := map[string]float64{}
	for _, m := range families[family].GetMetric() {
		if a := label(m, "account"); a != collector.SelfAccount {
			t.Errorf("%s has account %q; want %q", family, a, collector.SelfAccount)
		}
		values := make([]string, len(labels))
		for i, l := range labels {
			values[i] = label(m, l)
		}
		k := seriesKey(values...)
		if _, dup := got[k]; dup {
			t.Errorf("%s%q is there twice", family, values)
		}
		got[k] = m.GetGauge().GetValue()
	}
	for k, sum := range want {
		v, ok := got[k]
		values := strings.Split(k, "\xff")
		if !ok {
			t.Errorf("%s%q is missing; want it at %v minor units", family, values, sum)
			continue
		}
		if w := stripe.MajorUnits(sum.Int64(), values[currencyAt]); v != w {
			t.Errorf("%s%q = %v; want %v (%v minor units)", family, values, v, w, sum)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s%q = %v is not expected", family, strings.Split(k, "\xff"), v)
		}
	}
}

// checkAddsUp checks, from the exported values alone, that the series of
// each currency add up to the sum of its amounts. The float values are
// turned back into minor units, which is exact while they stay below 2^50.
func checkAddsUp(t *testing.T, families map[string]*dto.MetricFamily, family string, totals map[string]*big.Int) {
	t.Helper()
	sums := map[string]int64{}
	exact := map[string]bool{}
	for c := range totals {
		exact[c] = totals[c].IsInt64()
	}
	for _, m := range families[family].GetMetric() {
		c := label(m, "currency")
		d, _ := stripe.Decimals(c)
		minor := m.GetGauge().GetValue() * math.Pow10(d)
		if math.Abs(minor) >= 1<<50 || math.Abs(float64(sums[c])) >= 1<<61 {
			exact[c] = false
			continue
		}
		sums[c] += int64(math.Round(minor))
	}
	for c, total := range totals {
		if exact[c] && sums[c] != total.Int64() {
			t.Errorf("%s{currency=%q}: series add up to %d minor units; the amounts to %v", family, c, sums[c], total)
		}
	}
}

// gatherScrape gathers a scrape's collector and the exporter's own metrics,
// each in a pedantic registry, and fails on a family that both have.
func gatherScrape(t *testing.T, c prometheus.Collector, m *collector.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	out := map[string]*dto.MetricFamily{}
	for _, col := range []prometheus.Collector{c, m} {
		reg := prometheus.NewPedanticRegistry()
		if err := reg.Register(col); err != nil {
			t.Fatalf("Register(%T): %v", col, err)
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatalf("Gather of %T: %v", col, err)
		}
		for _, mf := range mfs {
			if out[mf.GetName()] != nil {
				t.Fatalf("%s comes from both the scrape and the exporter's metrics", mf.GetName())
			}
			out[mf.GetName()] = mf
		}
	}
	return out
}

var (
	sourceFamilies = []string{
		"stripe_balance_available",
		"stripe_balance_pending",
		"stripe_balance_instant_available",
		"stripe_balance_issuing_available",
	}
	currencyFamilies = []string{
		"stripe_balance_connect_reserved",
		"stripe_balance_refund_and_dispute_prefunding_available",
		"stripe_balance_refund_and_dispute_prefunding_pending",
	}
	txnLabels = []string{"currency", "status", "transaction_type", "reporting_category"}
)

func FuzzCollectBalance(f *testing.F) {
	fake := newFuzzStripe(f)
	metrics := collector.NewMetrics()
	client, err := stripe.New(stripe.Config{Key: stripetest.Key, URL: fake.URL, MaxRetries: 0, RateLimit: 1e9, Observer: metrics})
	if err != nil {
		f.Fatal(err)
	}
	logger := log.NewLogfmtLogger(io.Discard)
	targets := []collector.Target{{Transactions: []string{fuzzTxn}}}
	metrics.Prepare(targets)

	for _, seed := range []struct {
		status       byte
		balance, txn string
	}{
		{0, stripetest.Balance, stripetest.SettledTransaction},
		{0, stripetest.ConnectedBalance, stripetest.PendingTransaction},
		{1, stripetest.BadRequestBody, stripetest.SettledTransaction},
		{5, stripetest.UnauthorizedBody, stripetest.ErrorBody("invalid_request_error", "resource_missing", "No such balance transaction")},
		{0, "null", `"txn_fuzz"`},
		{0, `{"object": "balance", "available": [{"amount": 1, "currency": "USD", "source_types": {"card": 1}}, {"amount": 2, "currency": "usd", "source_types": {"unattributed": 5}}, null]}`, `{}`},
		{0, "{\"object\": \"balance\", \"available\": [{\"amount\": 1, \"currency\": \"\xff\", \"source_types\": {\"\xc0\\ud800\": 1}}]}", "{\"object\": \"balance_transaction\", \"currency\": \"\xfe\", \"status\": \"\\udfff\", \"fee_details\": [{\"type\": \"\xff\", \"amount\": 1}, null]}"},
		{0, `{"object": "balance", "pending": [{"amount": 9223372036854775807, "currency": "usd", "source_types": {"card": -9223372036854775808}}], "connect_reserved": [{"amount": 9223372036854775807, "currency": "jpy"}, {"amount": 1, "currency": "JPY"}]}`, `{"object": "balance_transaction", "amount": 1, "fee_details": [{"amount": 9223372036854775807, "currency": "usd", "type": "tax"}, {"amount": 9223372036854775807, "currency": "usd", "type": "tax"}]}`},
		{0, `{"object": "balance", "issuing": {"available": [{"amount": 4503599627370495, "currency": "kwd", "source_types": {"card": 1, "fpx": -1}}]}, "refund_and_dispute_prefunding": {"available": [{"amount": 3, "currency": "bhd"}], "pending": [null]}}`, `{"object": "balance_transaction", "currency": "kwd", "amount": 10500, "fee": 320, "net": 10180, "available_on": -1}`},
	} {
		f.Add(seed.status, []byte(seed.balance), []byte(seed.txn))
	}

	// The exporter's own counters, as the last iteration left them.
	lastCounts := map[string]float64{}

	f.Fuzz(func(t *testing.T, status byte, balanceBody, txnBody []byte) {
		balanceStatus := fuzzBalanceStatuses[int(status)%len(fuzzBalanceStatuses)]
		txnStatus := fuzzTransactionStatuses[int(status)/len(fuzzBalanceStatuses)%len(fuzzTransactionStatuses)]
		fake.answer(balanceStatus, balanceBody, txnStatus, txnBody)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()

		result := collector.Fetch(ctx, client, targets)
		metrics.CountFailures(result)
		families := gatherScrape(t, collector.New(result, logger), metrics)
		fake.checkCalls(t)

		balanceOK := balanceStatus == 200 && json.Unmarshal(balanceBody, new(sdk.Balance)) == nil && stripetest.IsObject(balanceBody, "balance")
		var rb stripetest.RefBalance
		if balanceOK {
			if err := json.Unmarshal(balanceBody, &rb); err != nil {
				t.Fatalf("the SDK decodes the balance, a plain decoding fails: %v", err)
			}
		}
		want := wantBalance(rb)
		if !want.fits() {
			// A sum beyond an int64 fails the call: nothing is exported.
			balanceOK, want = false, wantBalance(stripetest.RefBalance{})
		}
		txnOK := txnStatus == 200 && json.Unmarshal(txnBody, new(sdk.BalanceTransaction)) == nil && stripetest.IsObject(txnBody, "balance_transaction")
		txnWant := wantTransaction(t, txnOK, txnBody)
		if !txnWant.details.fits() {
			txnOK, txnWant = false, wantTransaction(t, false, nil)
		}
		counts := counters(families)
		checkCounted(t, counts, lastCounts, stripe.EndpointBalance, balanceStatus, balanceOK)
		checkCounted(t, counts, lastCounts, stripe.EndpointBalanceTransaction, txnStatus, txnOK)
		lastCounts = counts
		wantUp := 0.0
		if balanceOK {
			wantUp = 1
		}
		if ups := families["stripe_up"].GetMetric(); len(ups) != 1 || ups[0].GetGauge().GetValue() != wantUp {
			t.Errorf("stripe_up = %v; want one series at %v", ups, wantUp)
		}
		if n := len(families["stripe_scrape_duration_seconds"].GetMetric()); n != 1 {
			t.Errorf("stripe_scrape_duration_seconds has %d series; want 1", n)
		}

		for i, w := range want.bySource {
			checkFamily(t, families, sourceFamilies[i], []string{"currency", "source_type"}, 0, w.series)
			checkAddsUp(t, families, sourceFamilies[i], w.totals)
		}
		for i, w := range want.byCurrency {
			checkFamily(t, families, currencyFamilies[i], []string{"currency"}, 0, w)
		}
		checkTransaction(t, families, txnWant)
	})
}

// balanceWant is the series a balance must give, family by family.
type balanceWant struct {
	bySource [4]struct {
		series series
		totals map[string]*big.Int
	}
	byCurrency [3]series
}

func wantBalance(rb stripetest.RefBalance) balanceWant {
	var w balanceWant
	var issuing []*stripetest.RefAmount
	if rb.Issuing != nil {
		issuing = rb.Issuing.Available
	}
	for i, funds := range [][]*stripetest.RefAmount{rb.Available, rb.Pending, rb.InstantAvailable, issuing} {
		w.bySource[i].series, w.bySource[i].totals = bySourceType(funds)
	}
	var prefAvailable, prefPending []*stripetest.RefPlainAmount
	if p := rb.RefundAndDisputePrefunding; p != nil {
		prefAvailable, prefPending = p.Available, p.Pending
	}
	w.byCurrency = [3]series{
		byCurrency(rb.ConnectReserved, amountParts),
		byCurrency(prefAvailable, plainAmountParts),
		byCurrency(prefPending, plainAmountParts),
	}
	return w
}

// fits says whether every series' sum fits in an int64, as it must for
// the balance to be exported.
func (w balanceWant) fits() bool {
	for _, b := range w.bySource {
		if !b.series.fits() {
			return false
		}
	}
	for _, s := range w.byCurrency {
		if !s.fits() {
			return false
		}
	}
	return true
}

// counters returns the exporter's request and fetch-error counters by
// family and label values.
func counters(families map[string]*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for _, name := range []string{"stripe_api_requests_total", "stripe_fetch_errors_total"} {
		for _, m := range families[name].GetMetric() {
			out[seriesKey(name, label(m, "endpoint"), label(m, "code"), label(m, "account"))] = m.GetCounter().GetValue()
		}
	}
	return out
}

// checkCounted checks that the scrape counted one request to endpoint, with
// its status, and a fetch error when the call was to fail.
func checkCounted(t *testing.T, now, before map[string]float64, endpoint string, status int, ok bool) {
	t.Helper()
	requests := 0.0
	for k, v := range now {
		if strings.HasPrefix(k, seriesKey("stripe_api_requests_total", endpoint, "")) {
			requests += v - before[k]
		}
	}
	code := seriesKey("stripe_api_requests_total", endpoint, strconv.Itoa(status), "")
	if requests != 1 || now[code]-before[code] != 1 {
		t.Errorf("stripe_api_requests_total{endpoint=%q} went up by %v, by %v with code %d; want 1 and 1", endpoint, requests, now[code]-before[code], status)
	}
	k := seriesKey("stripe_fetch_errors_total", endpoint, "", collector.SelfAccount)
	want := 0.0
	if !ok {
		want = 1
	}
	if d := now[k] - before[k]; d != want {
		t.Errorf("stripe_fetch_errors_total{endpoint=%q} went up by %v; want %v", endpoint, d, want)
	}
}

// transactionWant is the series a transaction must give.
type transactionWant struct {
	amounts, fees, nets, details series
	availableOn                  []float64
}

func wantTransaction(t *testing.T, ok bool, body []byte) transactionWant {
	t.Helper()
	w := transactionWant{amounts: series{}, fees: series{}, nets: series{}, details: series{}}
	if !ok {
		return w
	}
	var r stripetest.RefTransaction
	// The SDK takes a bare JSON string for an unexpanded ID: a
	// transaction with nothing but an ID.
	if raw := strings.Trim(string(body), " \t\r\n"); !strings.HasPrefix(raw, `"`) {
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("the SDK decodes the transaction, a plain decoding fails: %v", err)
		}
	}
	c := strings.ToLower(r.Currency)
	w.amounts.add(r.Amount, c, r.Status, r.Type, r.ReportingCategory)
	w.fees.add(r.Fee, c, r.Status, r.Type, r.ReportingCategory)
	w.nets.add(r.Net, c, r.Status, r.Type, r.ReportingCategory)
	w.availableOn = append(w.availableOn, float64(r.AvailableOn))
	for _, d := range r.FeeDetails {
		if d != nil {
			w.details.add(d.Amount, strings.ToLower(d.Currency), d.Type)
		}
	}
	return w
}

func checkTransaction(t *testing.T, families map[string]*dto.MetricFamily, want transactionWant) {
	t.Helper()
	for name, want := range map[string]series{
		"stripe_balance_transaction_amount": want.amounts,
		"stripe_balance_transaction_fee":    want.fees,
		"stripe_balance_transaction_net":    want.nets,
	} {
		checkFamily(t, families, name, txnLabels, 0, want)
		checkIDs(t, families[name])
	}
	checkFamily(t, families, "stripe_balance_transaction_fee_detail", []string{"currency", "fee_type"}, 0, want.details)
	checkIDs(t, families["stripe_balance_transaction_fee_detail"])

	var gotOn []float64
	for _, m := range families["stripe_balance_transaction_available_on_timestamp_seconds"].GetMetric() {
		gotOn = append(gotOn, m.GetGauge().GetValue())
	}
	sort.Float64s(gotOn)
	if len(gotOn) != len(want.availableOn) || (len(gotOn) == 1 && gotOn[0] != want.availableOn[0]) {
		t.Errorf("stripe_balance_transaction_available_on_timestamp_seconds = %v; want %v", gotOn, want.availableOn)
	}
}

func checkIDs(t *testing.T, mf *dto.MetricFamily) {
	t.Helper()
	for _, m := range mf.GetMetric() {
		if id := label(m, "id"); id != fuzzTxn {
			t.Errorf("%s has id %q; want %q", mf.GetName(), id, fuzzTxn)
		}
	}
}
