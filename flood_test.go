package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// TestProbeFloodLeavesMetricsItsShare floods /probe with probes of known
// accounts, from as many goroutines as --web.max-requests lets in at once,
// while two Prometheus servers scrape /metrics, against a fake Stripe that
// answers after a delay and a low rate limit. Every scrape must be answered
// within its scrape timeout with stripe_up 1 for every account: the probes
// may take only their share of the rate limit, and /metrics keeps the rest.
// It also checks that the probes kept to their share, and reports what they
// got and how long the scrapes took.
func TestProbeFloodLeavesMetricsItsShare(t *testing.T) {
	const (
		rateLimit = 10
		// The default --probe.rate-limit-share.
		probeShare = 0.5
		delay      = 50 * time.Millisecond
		// The default --web.max-requests: each flooder has a slot.
		flooders = 40
		warmUp   = time.Second
		flood    = 8 * time.Second
		// Two servers scraping every 2s make 3 calls a second for the
		// three accounts on /metrics, within the 5 the probes leave.
		scrapers       = 2
		scrapeInterval = 2 * time.Second
		scrapeTimeout  = 4 * time.Second
	)
	listed := []string{"acct_1Listed0", "acct_1Listed1"}
	fake := stripetest.New(t)
	fake.SetDelay(delay)
	fake.SetBalance("", stripetest.Balance)
	// 100 accounts to discover, in one page; the listed ones among them.
	accounts := slices.Clone(listed)
	for i := len(accounts); i < 100; i++ {
		accounts = append(accounts, fmt.Sprintf("acct_1Flood%03d", i))
	}
	for _, a := range accounts {
		fake.SetBalance(a, stripetest.ConnectedBalance)
	}
	fake.SetAccounts(accounts...)
	e := startExporter(t, fake, stripetest.Key,
		"--stripe.rate-limit="+strconv.Itoa(rateLimit),
		"--stripe.account="+listed[0], "--stripe.account="+listed[1],
		"--discovery.enabled", "--discovery.refresh-interval=4s")
	waitDiscovered(t, e)

	// The flood. The probes send no scrape timeout, so each may hold its
	// Stripe call for the whole --stripe.timeout, the most a caller can
	// take from the rate limit.
	start := time.Now()
	ctx, stop := context.WithTimeout(context.Background(), warmUp+flood)
	defer stop()
	var probesUp, probesDown, probesRefused atomic.Int64
	var wg sync.WaitGroup
	for i := range flooders {
		wg.Go(func() {
			for n := i; ctx.Err() == nil; n += flooders {
				// Two flooders keep probing the accounts on /metrics,
				// whose probes must not hold up the scrapes' calls.
				account := accounts[n%len(accounts)]
				if i < len(listed) {
					account = listed[i]
				}
				status, body, err := get(ctx, e.URL+"/probe?account="+account, nil)
				switch {
				case err != nil:
				case status != http.StatusOK:
					probesRefused.Add(1)
				case strings.Contains(body, `stripe_up{account="`+account+`"} 1`):
					probesUp.Add(1)
				default:
					probesDown.Add(1)
				}
			}
		})
	}

	// The scrapes, after the flood has filled the probes' queue, at
	// scrapeInterval per server, the servers half an interval apart.
	time.Sleep(warmUp)
	var mu sync.Mutex
	var latencies []time.Duration
	for s := range scrapers {
		wg.Go(func() {
			next := time.Now().Add(time.Duration(s) * scrapeInterval / scrapers)
			for {
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Until(next)):
				}
				next = next.Add(scrapeInterval)
				took, problem := scrapeMetrics(e.URL, scrapeTimeout, listed)
				mu.Lock()
				latencies = append(latencies, took)
				mu.Unlock()
				if problem != "" {
					t.Errorf("scrape %v after the flood began: %s", time.Since(start).Round(time.Millisecond), problem)
				}
			}
		})
	}
	wg.Wait()

	// The probes' calls to Stripe, for the accounts not on /metrics.
	var probeCalls []time.Time
	for _, r := range fake.Requests() {
		if r.Path == "/v1/balance" && strings.HasPrefix(r.Account, "acct_1Flood") {
			probeCalls = append(probeCalls, r.Time)
		}
	}
	if len(probeCalls) == 0 {
		t.Fatal("the probes made no call to Stripe")
	}
	// Each call waits 1/(share × rate) after the one before, and the wait
	// for the shared limiter may delay some by a little more; a second of
	// slack covers that.
	span := probeCalls[len(probeCalls)-1].Sub(probeCalls[0])
	if most := int(probeShare*rateLimit*(span.Seconds()+1)) + 1; len(probeCalls) > most {
		t.Errorf("the probes made %d calls to Stripe in %v, more than their share of %g a second allows (%d)", len(probeCalls), span.Round(time.Millisecond), probeShare*rateLimit, most)
	}

	slices.Sort(latencies)
	elapsed := warmUp + flood
	t.Logf("%d flooders for %v at --stripe.rate-limit=%d: probes answered with stripe_up 1: %d (%.1f/s), stripe_up 0: %d, refused: %d; probe calls to Stripe for the accounts not on /metrics: %d in %v (%.1f/s)",
		flooders, elapsed, rateLimit, probesUp.Load(), float64(probesUp.Load())/elapsed.Seconds(), probesDown.Load(), probesRefused.Load(),
		len(probeCalls), span.Round(time.Millisecond), float64(len(probeCalls))/span.Seconds())
	if len(latencies) > 0 {
		t.Logf("%d /metrics scrapes with a %v scrape timeout: latency min %v, median %v, max %v",
			len(latencies), scrapeTimeout, latencies[0].Round(time.Millisecond), latencies[len(latencies)/2].Round(time.Millisecond), latencies[len(latencies)-1].Round(time.Millisecond))
	}
}

// get GETs url with the header h within ctx, and returns the status and
// body.
func get(ctx context.Context, url string, h http.Header) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if h != nil {
		req.Header = h
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// scrapeMetrics scrapes /metrics as Prometheus does with timeout, and
// returns how long it took and what was wrong with it: no answer within
// the timeout, or a status or stripe_up other than 200 and 1 for the key's
// own account and each of listed.
func scrapeMetrics(base string, timeout time.Duration, listed []string) (time.Duration, string) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	status, body, err := get(ctx, base+"/metrics", http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64)}})
	took := time.Since(start)
	switch {
	case err != nil:
		return took, fmt.Sprintf("no answer within the %v scrape timeout: %v", timeout, err)
	case status != http.StatusOK:
		return took, fmt.Sprintf("status %d", status)
	}
	var problems []string
	for _, a := range append([]string{"self"}, listed...) {
		if !strings.Contains(body, `stripe_up{account="`+a+`"} 1`) {
			problems = append(problems, "no stripe_up 1 for "+a)
		}
	}
	return took, strings.Join(problems, ", ")
}
