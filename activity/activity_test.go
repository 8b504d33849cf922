package activity

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/stripe-exporter/stripe_exporter/stripe"
	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// t0 is when the tests' simulated processes start.
var t0 = time.Unix(1_800_000_000, 0)

// clock is a simulated clock that the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newClient is a client of fake sending at most rateLimit requests a
// second, without retries, so that each scripted failure fails one call.
func newClient(t testing.TB, fake *stripetest.Server, rateLimit float64) *stripe.APIClient {
	t.Helper()
	c, err := stripe.New(stripe.Config{Key: stripetest.Key, URL: fake.URL, RateLimit: rateLimit})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newPoller(t testing.TB, l Lister, clk *clock, interval, overlap time.Duration, logger log.Logger, accounts ...string) *Poller {
	t.Helper()
	p, err := New(l, Config{Accounts: accounts, Interval: interval, Overlap: overlap, Now: clk.Now, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// txns makes n charges of 10 cents with a 1-cent Stripe fee, created at
// created, named prefix-0 to prefix-(n-1).
func txns(prefix string, n int, created int64) []stripetest.Transaction {
	out := make([]stripetest.Transaction, n)
	for i := range out {
		out[i] = stripetest.Transaction{
			ID:                fmt.Sprintf("txn_%s_%d", prefix, i),
			Created:           created,
			Currency:          "usd",
			Amount:            10,
			Fee:               1,
			FeeDetails:        []stripetest.Fee{{Amount: 1, Currency: "usd", Type: "stripe_fee"}},
			Status:            "pending",
			Type:              "charge",
			ReportingCategory: "charge",
		}
	}
	return out
}

// value is the sum of the series of metric name whose labels include want.
func value(t testing.TB, c prometheus.Collector, name string, want map[string]string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metrics
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// TestCountsEachTransactionOnce follows two accounts over polls that list
// the same transactions again, with many created in one second over
// several pages, some shown by Stripe after later ones were listed, and
// scrapes running all along: each transaction created from the start is
// counted once, and none created before.
func TestCountsEachTransactionOnce(t *testing.T) {
	fake := stripetest.New(t)
	clk := &clock{now: t0}
	fake.AddTransactions("", txns("before", 30, t0.Unix()-1)...)
	p := newPoller(t, newClient(t, fake, 1000), clk, 30*time.Second, 5*time.Minute, log.NewNopLogger(), "", "acct_1")

	stop := make(chan struct{})
	var scrapes sync.WaitGroup
	for range 2 {
		scrapes.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
				}
				problems, err := testutil.CollectAndLint(p)
				if err != nil || len(problems) > 0 {
					t.Error(err, problems)
					return
				}
			}
		})
	}

	want, prompt := map[string]int{}, 0
	// Twelve polls add transactions; eleven more let the overlap pass.
	for i := range 23 {
		now := clk.Now().Unix()
		if i < 12 {
			// 150 in the current second: two pages.
			fake.AddTransactions("", txns(fmt.Sprintf("self%d", i), 150, now)...)
			fake.AddTransactions("acct_1", txns(fmt.Sprintf("acct%d", i), 7, now)...)
			want["self"] += 150
			want["acct_1"] += 7
			prompt += 150
		}
		if i >= 2 && i < 12 {
			// Shown only now, created a minute ago: behind transactions
			// the last listings paged past.
			fake.AddTransactions("", txns(fmt.Sprintf("late%d", i), 20, now-60)...)
			want["self"] += 20
		}
		if i >= 2 && i < 12 {
			// Shown a few seconds late: created 3 s before the last
			// poll started.
			fake.AddTransactions("", txns(fmt.Sprintf("bitLate%d", i), 4, now-32)...)
			want["self"] += 4
			prompt += 4
		}
		if i >= 10 && i < 12 {
			// Shown nearly the whole overlap late.
			fake.AddTransactions("", txns(fmt.Sprintf("veryLate%d", i), 5, now-290)...)
			want["self"] += 5
		}
		if i == 5 {
			// Created in the very second the last poll started.
			fake.AddTransactions("acct_1", txns("sameSecond", 3, now-29)...)
			want["acct_1"] += 3
		}
		clk.Advance(time.Second)
		for _, s := range p.Poll(context.Background()) {
			if !s.Complete {
				t.Fatalf("poll %d of %s did not complete", i, s.Account)
			}
		}
		// Those shown on time are counted by the poll after them.
		if got := value(t, p, "stripe_balance_activity_transactions_total", map[string]string{"account": "self"}); got < float64(prompt) {
			t.Fatalf("after poll %d, %v transactions counted, want at least the %d shown on time", i, got, prompt)
		}
		clk.Advance(29 * time.Second)
	}
	close(stop)
	scrapes.Wait()

	for account, n := range want {
		labels := map[string]string{"account": account}
		if got := value(t, p, "stripe_balance_activity_transactions_total", labels); got != float64(n) {
			t.Errorf("%s: transactions_total = %v, want %d", account, got, n)
		}
		// 10 cents each: summed as floats, 0.1 would drift.
		if got, want := value(t, p, "stripe_balance_activity_credit_total", labels), float64(n*10)/100; got != want {
			t.Errorf("%s: credit_total = %v, want %v", account, got, want)
		}
		if got, want := value(t, p, "stripe_balance_activity_fees_total", labels), float64(n)/100; got != want {
			t.Errorf("%s: fees_total = %v, want %v", account, got, want)
		}
		if got := value(t, p, "stripe_balance_activity_last_success_timestamp_seconds", labels); got == 0 {
			t.Errorf("%s: no last success", account)
		}
	}
}

// TestSplitsMoneyBySign checks each family's series and value for debits,
// fee refunds and a zero-decimal currency.
func TestSplitsMoneyBySign(t *testing.T) {
	fake := stripetest.New(t)
	clk := &clock{now: t0}
	p := newPoller(t, newClient(t, fake, 1000), clk, 30*time.Second, 5*time.Minute, log.NewNopLogger(), "")
	fake.AddTransactions("",
		stripetest.Transaction{ID: "txn_charge", Created: t0.Unix(), Currency: "usd", Amount: 1000, Fee: 59,
			FeeDetails: []stripetest.Fee{{Amount: 50, Currency: "usd", Type: "stripe_fee"}, {Amount: 9, Currency: "usd", Type: "tax"}},
			Type:       "charge", ReportingCategory: "charge", Status: "available"},
		stripetest.Transaction{ID: "txn_refund", Created: t0.Unix(), Currency: "usd", Amount: -1000, Fee: -50,
			FeeDetails: []stripetest.Fee{{Amount: -50, Currency: "usd", Type: "stripe_fee"}},
			Type:       "refund", ReportingCategory: "refund", Status: "available"},
		stripetest.Transaction{ID: "txn_yen", Created: t0.Unix(), Currency: "jpy", Amount: 5000,
			Type: "charge", ReportingCategory: "charge", Status: "available"},
	)
	clk.Advance(time.Second)
	p.Poll(context.Background())
	want := `
# HELP stripe_balance_activity_credit_total Sum of the positive amounts of those transactions, in the currency's major unit.
# TYPE stripe_balance_activity_credit_total counter
stripe_balance_activity_credit_total{account="self",currency="jpy",reporting_category="charge",type="charge"} 5000
stripe_balance_activity_credit_total{account="self",currency="usd",reporting_category="charge",type="charge"} 10
# HELP stripe_balance_activity_debit_total Sum of the absolute values of their negative amounts, in the currency's major unit.
# TYPE stripe_balance_activity_debit_total counter
stripe_balance_activity_debit_total{account="self",currency="usd",reporting_category="refund",type="refund"} 10
# HELP stripe_balance_activity_fee_refunds_total Sum of the absolute values of their negative fee_details amounts, in the currency's major unit.
# TYPE stripe_balance_activity_fee_refunds_total counter
stripe_balance_activity_fee_refunds_total{account="self",currency="usd",fee_type="stripe_fee"} 0.5
# HELP stripe_balance_activity_fees_total Sum of the positive fee_details amounts of those transactions, in the currency's major unit.
# TYPE stripe_balance_activity_fees_total counter
stripe_balance_activity_fees_total{account="self",currency="usd",fee_type="stripe_fee"} 0.5
stripe_balance_activity_fees_total{account="self",currency="usd",fee_type="tax"} 0.09
# HELP stripe_balance_activity_transactions_total Balance transactions created since the exporter started.
# TYPE stripe_balance_activity_transactions_total counter
stripe_balance_activity_transactions_total{account="self",currency="jpy",reporting_category="charge",type="charge"} 1
stripe_balance_activity_transactions_total{account="self",currency="usd",reporting_category="charge",type="charge"} 1
stripe_balance_activity_transactions_total{account="self",currency="usd",reporting_category="refund",type="refund"} 1
# HELP stripe_balance_activity_errors_total Calls listing the account's balance transactions that failed, after retries, or whose page could not be counted because a sum would pass 64 bits.
# TYPE stripe_balance_activity_errors_total counter
stripe_balance_activity_errors_total{account="self"} 0
`
	if err := testutil.CollectAndCompare(p, strings.NewReader(want),
		"stripe_balance_activity_credit_total", "stripe_balance_activity_debit_total",
		"stripe_balance_activity_fees_total", "stripe_balance_activity_fee_refunds_total",
		"stripe_balance_activity_transactions_total", "stripe_balance_activity_errors_total"); err != nil {
		t.Error(err)
	}
}

// pages answers each call with the next of its pages, the last one again
// once they run out, and records the queries.
type pages struct {
	pages   [][]stripe.BalanceTransaction
	queries []stripe.TransactionQuery
}

func (l *pages) BalanceTransactions(_ context.Context, _ string, q stripe.TransactionQuery) ([]stripe.BalanceTransaction, bool, error) {
	l.queries = append(l.queries, q)
	return l.pages[min(len(l.queries), len(l.pages))-1], false, nil
}

// TestSumOverflowFailsThePoll brings each sum to the limit of an int64,
// where it is still exported exactly, then has the next page pass it: that
// poll fails without counting anything of the page, the error counter
// rises, the failure is logged once, and the next poll lists the same page
// again rather than skip it.
func TestSumOverflowFailsThePoll(t *testing.T) {
	const maxInt64, minInt64 = 1<<63 - 1, -1 << 63
	charge := func(id string, amount int64, fees ...int64) stripe.BalanceTransaction {
		txn := stripe.BalanceTransaction{ID: id, Currency: "usd", Amount: amount, Created: t0.Unix(), Type: "charge", ReportingCategory: "charge"}
		for _, f := range fees {
			txn.FeeDetails = append(txn.FeeDetails, stripe.FeeDetail{Currency: "usd", Amount: f, Type: "stripe_fee"})
		}
		return txn
	}
	for _, tc := range []struct {
		family      string
		first, then stripe.BalanceTransaction
		limit       float64
	}{
		{"stripe_balance_activity_credit_total", charge("txn_1", maxInt64), charge("txn_2", 1), stripe.MajorUnits(maxInt64, "usd")},
		{"stripe_balance_activity_debit_total", charge("txn_1", minInt64), charge("txn_2", -1), -stripe.MajorUnits(minInt64, "usd")},
		{"stripe_balance_activity_fees_total", charge("txn_1", 0, maxInt64), charge("txn_2", 0, 1), stripe.MajorUnits(maxInt64, "usd")},
		// Several fees may sum to the limit exactly.
		{"stripe_balance_activity_fee_refunds_total", charge("txn_1", 0, 1, minInt64+1, -1), charge("txn_2", 0, -1), -stripe.MajorUnits(minInt64, "usd")},
	} {
		t.Run(tc.family, func(t *testing.T) {
			var logs bytes.Buffer
			// The hostile page also holds a transaction that would fit.
			l := &pages{pages: [][]stripe.BalanceTransaction{{tc.first}, {charge("txn_3", 5, 1), tc.then}}}
			p := newPoller(t, l, &clock{now: t0}, time.Second, 0, log.NewLogfmtLogger(&logs), "")
			ctx := context.Background()

			if s := p.Poll(ctx)[0]; s.Counted != 1 || !s.Complete {
				t.Fatalf("first poll: %+v; want one transaction counted, complete", s)
			}
			if got := value(t, p, tc.family, nil); got != tc.limit {
				t.Errorf("%s = %v at the limit of an int64; want %v", tc.family, got, tc.limit)
			}
			for poll := 1; poll <= 2; poll++ {
				if s := p.Poll(ctx)[0]; s.Counted != 0 || s.Complete {
					t.Errorf("poll %d of the page that overflows: %+v; want nothing counted, not complete", poll+1, s)
				}
				if got := value(t, p, "stripe_balance_activity_errors_total", nil); got != float64(poll) {
					t.Errorf("after %d failed polls errors_total = %v", poll, got)
				}
			}
			if got := value(t, p, tc.family, nil); got != tc.limit {
				t.Errorf("%s = %v after the overflow; want it left at %v", tc.family, got, tc.limit)
			}
			if got := value(t, p, "stripe_balance_activity_transactions_total", nil); got != 1 {
				t.Errorf("transactions_total = %v; want 1, none of the page that overflows", got)
			}
			if got := value(t, p, "stripe_balance_activity_credit_total", nil); tc.first.Amount != maxInt64 && got != 0 {
				t.Errorf("credit_total = %v; want 0, none of the page that overflows", got)
			}
			if len(l.queries) != 3 || l.queries[1] != l.queries[2] {
				t.Errorf("queries %+v; want the third to list the page the second could not count", l.queries)
			}
			if n := strings.Count(logs.String(), "sum beyond what 64 bits hold"); n != 1 || !strings.Contains(logs.String(), "level=warn") {
				t.Errorf("logged the overflow %d times, want one warning:\n%s", n, &logs)
			}
		})
	}
}

// flaky fails every call after the first ok calls with a 503, and records
// the queries.
type flaky struct {
	Lister
	ok, calls int
	queries   []stripe.TransactionQuery
}

func (f *flaky) BalanceTransactions(ctx context.Context, account string, q stripe.TransactionQuery) ([]stripe.BalanceTransaction, bool, error) {
	f.calls++
	f.queries = append(f.queries, q)
	if f.calls > f.ok {
		return nil, false, &stripe.Error{Endpoint: stripe.EndpointBalanceTransactions, Status: 503, Type: "api_error"}
	}
	return f.Lister.BalanceTransactions(ctx, account, q)
}

// TestCatchesUpAfterAnOutage has Stripe fail every poll for an hour while
// the account keeps creating transactions, some shown late, then fail again
// in the middle of the listing that catches up: every transaction is
// counted once, the second poll resumes where the first stopped, the
// outage is logged once, and calls stay within the rate limit.
func TestCatchesUpAfterAnOutage(t *testing.T) {
	const rateLimit = 50
	fake := stripetest.New(t)
	clk := &clock{now: t0}
	var logs bytes.Buffer
	f := &flaky{Lister: newClient(t, fake, rateLimit), ok: 1 << 30}
	p := newPoller(t, f, clk, 30*time.Second, 5*time.Minute, log.NewLogfmtLogger(&logs), "")
	ctx := context.Background()
	p.Poll(ctx)

	want := 0
	f.ok = f.calls
	for i := range 120 {
		clk.Advance(30 * time.Second)
		now := clk.Now().Unix()
		fake.AddTransactions("", txns(fmt.Sprint("outage", i), 30, now)...)
		fake.AddTransactions("", txns(fmt.Sprint("outageLate", i), 2, max(now-200, t0.Unix()))...)
		want += 32
		if s := p.Poll(ctx)[0]; s.Counted != 0 || s.Complete {
			t.Fatalf("poll %d during the outage: %+v", i, s)
		}
	}
	if got := value(t, p, "stripe_balance_activity_errors_total", nil); got != 120 {
		t.Errorf("errors_total = %v after 120 failed polls", got)
	}
	if n := strings.Count(logs.String(), "listing balance activity failed"); n != 1 {
		t.Errorf("logged the outage %d times, want once:\n%s", n, &logs)
	}

	// Stripe answers again, but fails after ten pages.
	clk.Advance(30 * time.Second)
	f.ok = f.calls + 10
	s := p.Poll(ctx)[0]
	if s.Counted != 1000 || s.Complete {
		t.Fatalf("first poll after the outage: %+v, want 1000 counted and the listing in progress", s)
	}
	clk.Advance(30 * time.Second)
	fake.AddTransactions("", txns("after", 40, clk.Now().Unix())...)
	want += 40
	f.ok = 1 << 30
	first := len(f.queries)
	s = p.Poll(ctx)[0]
	if !s.Complete {
		t.Fatalf("second poll after the outage: %+v, want it complete", s)
	}
	// The call that failed is the one to send again.
	if q, failed := f.queries[first], f.queries[first-1]; q != failed || q.StartingAfter == "" {
		t.Errorf("second poll after the outage started with %+v, want the listing resumed with %+v", q, failed)
	}
	clk.Advance(30 * time.Second)
	p.Poll(ctx)
	if got := value(t, p, "stripe_balance_activity_transactions_total", nil); got != float64(want) {
		t.Errorf("transactions_total = %v, want %d", got, want)
	}
	if !strings.Contains(logs.String(), "works again") {
		t.Errorf("recovery not logged:\n%s", &logs)
	}
	if peak := fake.PeakPerSecond(); peak > rateLimit+1 {
		t.Errorf("%d calls in one second, over the rate limit of %d", peak, rateLimit)
	}
}

// blocking holds every call until release is closed.
type blocking struct{ release chan struct{} }

func (b blocking) BalanceTransactions(ctx context.Context, _ string, _ stripe.TransactionQuery) ([]stripe.BalanceTransaction, bool, error) {
	<-b.release
	return nil, false, nil
}

// TestScrapesDoNotWaitForStripe scrapes while a poll waits on Stripe.
func TestScrapesDoNotWaitForStripe(t *testing.T) {
	b := blocking{release: make(chan struct{})}
	p := newPoller(t, b, &clock{now: t0}, time.Second, 0, log.NewNopLogger(), "")
	done := make(chan struct{})
	go func() {
		p.Poll(context.Background())
		close(done)
	}()
	scraped := make(chan struct{})
	go func() {
		value(t, p, "stripe_balance_activity_errors_total", nil)
		close(scraped)
	}()
	select {
	case <-scraped:
	case <-time.After(5 * time.Second):
		t.Error("a scrape waited for Stripe")
	}
	close(b.release)
	<-done
}

// TestMemoryIsBounded follows an account creating 50 transactions a
// second: the transactions remembered stay within what the overlap and
// interval hold.
func TestMemoryIsBounded(t *testing.T) {
	const perSecond = 50
	interval, overlap := 10*time.Second, time.Minute
	fake := stripetest.New(t)
	clk := &clock{now: t0}
	p := newPoller(t, newClient(t, fake, 1000), clk, interval, overlap, log.NewNopLogger(), "")
	limit := perSecond*int((overlap+interval)/time.Second) + perSecond
	want, most := 0, 0
	// Twelve polls are two minutes: the window is full after seven.
	for i := range 12 {
		for s := range int64(interval / time.Second) {
			fake.AddTransactions("", txns(fmt.Sprint("busy", i, "_", s), perSecond, clk.Now().Unix()+s)...)
			want += perSecond
		}
		clk.Advance(interval)
		st := p.Poll(context.Background())[0]
		most = max(most, st.Remembered)
		if st.Remembered > limit {
			t.Fatalf("poll %d remembers %d transactions, want at most %d", i, st.Remembered, limit)
		}
	}
	t.Logf("at most %d transactions remembered (bound %d)", most, limit)
	if got := value(t, p, "stripe_balance_activity_transactions_total", nil); got != float64(want) {
		t.Errorf("transactions_total = %v, want %d", got, want)
	}
}
