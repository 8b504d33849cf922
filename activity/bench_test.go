package activity

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// switchable lets the benchmark fill the overlap window through a client
// without a rate limit, then measure through one with the default limit.
type switchable struct{ Lister }

// BenchmarkFollowMillionADay follows an account creating 1,000,000
// transactions a day, at the default interval, overlap and rate limit
// (20/s), through the fake Stripe. Each iteration is one poll of 30 s of
// new transactions, once the overlap window is full. It reports the calls a
// poll makes, how long it takes (a transaction is counted at most the
// interval plus that after it shows), and the transactions remembered with
// the memory they take. It fails when a poll makes more than two calls per
// 100 new transactions plus two, or takes longer than the interval.
func BenchmarkFollowMillionADay(b *testing.B) {
	const (
		perDay    = 1_000_000
		rateLimit = 20
		interval  = 30 * time.Second
		overlap   = 5 * time.Minute
	)
	perPoll := perDay * int(interval/time.Second) / 86400
	fake := stripetest.New(b)
	clk := &clock{now: t0}
	l := &switchable{Lister: newClient(b, fake, 10_000)}
	p := newPoller(b, l, clk, interval, overlap, log.NewNopLogger(), "")
	ctx := context.Background()
	poll := 0
	next := func() PollStats {
		poll++
		// Spread over the interval, as they are created.
		for s := range int64(interval / time.Second) {
			n := perPoll / int(interval/time.Second)
			if s < int64(perPoll%int(interval/time.Second)) {
				n++
			}
			fake.AddTransactions("", txns(fmt.Sprint("p", poll, "s", s), n, clk.Now().Unix()+s)...)
		}
		clk.Advance(interval)
		return p.Poll(ctx)[0]
	}
	// The window holds overlap plus interval of transactions once it is
	// full.
	for range int((overlap+interval)/interval) + 1 {
		next()
	}

	l.Lister = newClient(b, fake, rateLimit)
	// The head lists the new transactions, and the tail those the overlap
	// old: each a page per 100 of a poll's transactions, and a last page.
	maxCalls := 2 * ((perPoll+99)/100 + 1)
	var calls int
	var took, longest time.Duration
	var s PollStats
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		s = next()
		d := time.Since(start)
		took += d
		longest = max(longest, d)
		calls += s.Calls
		if s.Calls > maxCalls || d > interval {
			b.Fatalf("a poll made %d calls in %v; want at most %d calls, within %v", s.Calls, d, maxCalls, interval)
		}
	}
	b.StopTimer()

	// The remembered set's memory: what a copy of it, IDs included,
	// allocates.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	seen := make(map[string]int64, len(p.accounts[0].seen))
	for id, created := range p.accounts[0].seen {
		seen[strings.Clone(id)] = created
	}
	runtime.ReadMemStats(&after)
	bytes := after.TotalAlloc - before.TotalAlloc

	b.ReportMetric(float64(calls)/float64(b.N), "calls/poll")
	b.ReportMetric(took.Seconds()/float64(b.N), "s/poll")
	b.ReportMetric((interval + longest).Seconds(), "s-max-lag")
	b.ReportMetric(float64(s.Remembered), "remembered")
	b.ReportMetric(float64(bytes), "remembered-B")
	b.Logf("%d new transactions a poll: %.1f calls a poll (%.2f/s of the %d/s limit), poll %.2fs on average, %v at most; %d remembered in %d bytes",
		perPoll, float64(calls)/float64(b.N), float64(calls)/float64(b.N)/interval.Seconds(), rateLimit, took.Seconds()/float64(b.N), longest, len(seen), bytes)
}
