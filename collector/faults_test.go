package collector

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	stdlog "log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/stripe-exporter/stripe_exporter/internal/exportertest"
	"github.com/stripe-exporter/stripe_exporter/stripe"
	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// The fault test puts one fault at a time between the exporter's Stripe
// client and a fake Stripe, all on 127.0.0.1, and checks that a scrape
// ends by its deadline with stripe_up 0 and counters that say what
// happened, that the next scrape after the fault clears is whole again, and
// that a thousand faulty scrapes leave no goroutines or memory behind.

const (
	// faultGoodBody is the balance Stripe answers once a fault clears:
	// 123.45 usd from cards. It fits faultSmallBodyLimit.
	faultGoodBody = `{"object":"balance","livemode":false,"available":[{"amount":12345,"currency":"usd","source_types":{"card":12345}}],"pending":[]}`
	faultGoodUSD  = 123.45

	// faultDeadline is the deadline of the scrapes of the first phase:
	// ample room for two retries (their back-off is at most 250 ms and
	// 500 ms) on a busy machine.
	faultDeadline = 5 * time.Second
	// faultMargin is how far past its deadline a scrape may return: a
	// bound on behaviour, not a speed goal.
	faultMargin = 2 * time.Second
	// faultLeakMargin is the same for the leak check, whose scrapes run
	// twenty at a time, each leaving a dial or handshake behind that
	// net/http finishes on its own: on a machine busy with other work,
	// some have been seen to wait seconds for a CPU. It still catches a
	// scrape that waits for the 30 s stall.
	faultLeakMargin = 10 * time.Second
	// faultMaxRetries is the client's MaxRetries in the first phase.
	faultMaxRetries = 2

	// faultSmallBodyLimit is Config.MaxBodyBytes of the body-size row.
	faultSmallBodyLimit = 256

	// The leak check: this many faulty scrapes, by this many workers each
	// scraping its own connected account (so that calls are not shared
	// and each scrape makes its own), with short deadlines.
	faultLeakScrapes      = 1000
	faultLeakScrapesShort = 200
	faultLeakWorkers      = 20
	faultLeakDeadline     = 50 * time.Millisecond
	faultLeakMaxRetries   = 1
	// faultLeakDialTimeout bounds a dial the transport keeps going after
	// its request gave up (net/http detaches dials from requests), so that
	// a silent resolver does not pile up hundreds of lookups meanwhile.
	faultLeakDialTimeout = 250 * time.Millisecond
	// After the leak check's scrapes, goroutines must come back to within
	// this many of the count before them, and the heap to within
	// faultHeapSlack plus a tenth.
	faultGoroutineSlack = 5
	faultHeapSlack      = 2 << 20
)

// faultEnv is one row's world: the fake Stripe holding the good answer, and
// where the client is pointed while the fault lasts.
type faultEnv struct {
	fake *stripetest.Server
	// url is the client's API URL: the fake itself for faults in Stripe's
	// answers, or the faulty endpoint for network faults.
	url string
	// goodAddr is where dials go once healed is set: the fake, or for an
	// https URL a TLS front of the fake that the client trusts.
	goodAddr string
	healed   atomic.Bool
	// roots are the certificates the client trusts: the TLS front's only.
	roots *x509.CertPool
	// resolver, when set, resolves names for dials while the fault lasts.
	resolver func() *net.Resolver

	reset *stripetest.ConnServer
	dns   *stripetest.DNS
}

// transport is the client's own transport, so the test can close its idle
// connections. It has no proxy: nothing leaves 127.0.0.1.
func (e *faultEnv) transport(dialTimeout time.Duration, idlePerHost int) *http.Transport {
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			d := net.Dialer{Timeout: dialTimeout}
			if e.healed.Load() {
				addr = e.goodAddr
			} else if e.resolver != nil {
				d.Resolver = e.resolver()
			}
			return d.DialContext(ctx, network, addr)
		},
		// X25519 alone: the post-quantum key share Go sends by default is
		// slow to make under the race detector, and beside the point.
		TLSClientConfig:     &tls.Config{RootCAs: e.roots, MinVersion: tls.VersionTLS12, CurvePreferences: []tls.CurveID{tls.X25519}},
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: idlePerHost,
		IdleConnTimeout:     90 * time.Second,
	}
}

// useTLSFront makes the healed client reach the fake over TLS, with a
// certificate it trusts.
func (e *faultEnv) useTLSFront(t *testing.T) {
	front := faultTLSServer(t, e.fake.Config.Handler, nil)
	e.goodAddr = front.Listener.Addr().String()
	e.roots = x509.NewCertPool()
	e.roots.AddCert(front.Certificate())
}

// faultRow is one fault.
type faultRow struct {
	name string
	// setup points e at the fault; nil leaves the client on the fake.
	setup func(t *testing.T, e *faultEnv)
	// fault makes the next n answers to account's balance faulty; nil for
	// faults on the way to the fake.
	fault func(e *faultEnv, account string, n int)
	// deadline of the faulty scrape; 0 means faultDeadline.
	deadline time.Duration
	// maxBody is Config.MaxBodyBytes.
	maxBody int64
	// code is the code label of the failed attempts and requests how many
	// the faulty scrape makes; all but the first are retries.
	code     string
	requests int
	// reachesFake says the faulty requests arrive at the fake.
	reachesFake bool
	// logs are in the warning the faulty scrape logs.
	logs []string
	// check looks at what the faulty endpoint saw.
	check func(t *testing.T, e *faultEnv)
	// phases replaces the single faulty scrape (flapping).
	phases func(t *testing.T, r *faultRig, e *faultEnv)
	// flapping: in the leak check, every other answer is good.
	flapping bool
	// leakDeadline is the deadline of the leak check's scrapes; 0 means
	// faultLeakDeadline.
	leakDeadline time.Duration
}

func TestFaults(t *testing.T) {
	scriptN := func(r stripetest.Response) func(e *faultEnv, account string, n int) {
		return func(e *faultEnv, account string, n int) {
			e.fake.Script(stripetest.BalanceRoute(account), slices.Repeat([]stripetest.Response{r}, n)...)
		}
	}
	tooMany := stripetest.Response{Status: http.StatusTooManyRequests, Body: stripetest.ErrorBody("invalid_request_error", "rate_limit", "Too many requests hit the API too quickly.")}
	withHeader := func(r stripetest.Response, k, v string) stripetest.Response {
		r.Header = http.Header{k: {v}}
		return r
	}
	serverError := stripetest.Response{Status: http.StatusInternalServerError, Body: stripetest.ErrorBody("api_error", "", "Something went wrong on Stripe's end.")}

	rows := []faultRow{
		{
			name: "connection refused",
			setup: func(t *testing.T, e *faultEnv) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				e.url = "http://" + ln.Addr().String()
				if err := ln.Close(); err != nil {
					t.Fatal(err)
				}
			},
			code: "none", requests: 1 + faultMaxRetries,
			logs: []string{"connection refused"},
		},
		{
			name: "connection reset mid-body",
			setup: func(t *testing.T, e *faultEnv) {
				e.reset = stripetest.NewConnServer(t, faultReset)
				e.url = "http://" + e.reset.Addr
			},
			// The status line and headers arrived, so each attempt has a
			// code; the connection failed in the body, which is retried.
			code: "200", requests: 1 + faultMaxRetries,
			logs: []string{"connection reset by peer", "request_id=req_reset"},
			check: func(t *testing.T, e *faultEnv) {
				if n := e.reset.Conns(); n != 1+faultMaxRetries {
					t.Errorf("reset server got %d connections, want %d", n, 1+faultMaxRetries)
				}
			},
		},
		{
			name: "TLS handshake: untrusted certificate",
			setup: func(t *testing.T, e *faultEnv) {
				cert, _ := stripetest.Certificate(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
				srv := faultTLSServer(t, http.NotFoundHandler(), &cert)
				e.url = srv.URL
				e.useTLSFront(t)
			},
			// No retry can mend it: one attempt, and a warning that says
			// what to check.
			code: "none", requests: 1,
			logs: []string{"TLS certificate is not trusted: check --stripe.api-url", "CA bundle", "certificate signed by unknown authority"},
		},
		{
			name: "TLS handshake: plain-HTTP server",
			setup: func(t *testing.T, e *faultEnv) {
				e.url = "https://" + e.fake.Listener.Addr().String()
				e.useTLSFront(t)
			},
			code: "none", requests: 1,
			logs: []string{"speaks plain HTTP, not HTTPS: check --stripe.api-url", "server gave HTTP response to HTTPS client"},
		},
		{
			name: "TLS server spoken to in plain HTTP",
			setup: func(t *testing.T, e *faultEnv) {
				e.url = "http://" + stripetest.NewTLSAlertServer(t).Addr
			},
			code: "none", requests: 1,
			logs: []string{"speaks TLS, not plain HTTP: check --stripe.api-url (https://)", "malformed HTTP response"},
		},
		{
			name: "DNS: no such host",
			setup: func(t *testing.T, e *faultEnv) {
				e.dns = stripetest.NewDNS(t, true)
				e.resolver = e.dns.Resolver
				e.url = "http://stripe.invalid"
			},
			code: "none", requests: 1,
			logs:  []string{"host name is not found in DNS: check --stripe.api-url, and this machine's DNS resolver", "lookup stripe.invalid", "no such host"},
			check: func(t *testing.T, e *faultEnv) { faultCheckDNS(t, e.dns) },
		},
		{
			name: "DNS: resolver does not answer",
			setup: func(t *testing.T, e *faultEnv) {
				e.dns = stripetest.NewDNS(t, false)
				e.resolver = e.dns.Resolver
				e.url = "http://stripe.invalid"
			},
			// The lookup hangs; the deadline ends it and leaves no time
			// to retry.
			deadline: 500 * time.Millisecond,
			code:     "none", requests: 1,
			logs:         []string{"deadline exceeded"},
			check:        func(t *testing.T, e *faultEnv) { faultCheckDNS(t, e.dns) },
			leakDeadline: 20 * time.Millisecond,
		},
		{
			name:    "body over the size limit",
			maxBody: faultSmallBodyLimit,
			fault: func(e *faultEnv, account string, _ int) {
				e.fake.SetBalance(account, stripetest.Balance)
			},
			code: "200", requests: 1, reachesFake: true,
			logs: []string{fmt.Sprintf("response body is larger than %d bytes", faultSmallBodyLimit)},
		},
		{
			name:     "30s stall",
			fault:    scriptN(stripetest.Response{Delay: 30 * time.Second, Body: faultGoodBody}),
			deadline: 500 * time.Millisecond,
			code:     "none", requests: 1, reachesFake: true,
			logs:         []string{"deadline exceeded"},
			leakDeadline: 20 * time.Millisecond,
		},
		{
			name:  "429 storm",
			fault: scriptN(tooMany),
			code:  "429", requests: 1 + faultMaxRetries, reachesFake: true,
			logs: []string{"status=429", "request_id=req_fake"},
		},
		{
			name:  "429 storm, Stripe-Should-Retry: false",
			fault: scriptN(withHeader(tooMany, "Stripe-Should-Retry", "false")),
			code:  "429", requests: 1, reachesFake: true,
			logs: []string{"status=429"},
		},
		{
			name:  "429 storm, Stripe-Should-Retry: true",
			fault: scriptN(withHeader(tooMany, "Stripe-Should-Retry", "true")),
			code:  "429", requests: 1 + faultMaxRetries, reachesFake: true,
			logs: []string{"status=429"},
		},
		{
			name:  "500 storm",
			fault: scriptN(serverError),
			code:  "500", requests: 1 + faultMaxRetries, reachesFake: true,
			logs: []string{"status=500", "error_type=api_error"},
		},
		{
			name:        "flapping between 500 and 200",
			reachesFake: true,
			flapping:    true,
			fault: func(e *faultEnv, account string, n int) {
				good := stripetest.Response{Body: faultGoodBody}
				for range (n + 1) / 2 {
					e.fake.Script(stripetest.BalanceRoute(account), serverError, good)
				}
			},
			phases: func(t *testing.T, r *faultRig, e *faultEnv) {
				route := stripetest.BalanceRoute("")
				failed := faultWantFailure("500", 1+faultMaxRetries)
				for i, p := range []struct {
					script []stripetest.Response
					// amount is the good balance in cents; 0: the scrape fails.
					amount int64
					want   map[string]float64
				}{
					{script: slices.Repeat([]stripetest.Response{serverError}, 1+faultMaxRetries), want: failed},
					{amount: 10001, want: faultWantSuccess(1)},
					{script: slices.Repeat([]stripetest.Response{serverError}, 1+faultMaxRetries), want: failed},
					{amount: 20002, want: faultWantSuccess(1)},
					// A 500 that one retry mends.
					{script: []stripetest.Response{serverError}, amount: 30003, want: map[string]float64{
						faultRequestsKey("500"): 1, faultRequestsKey("200"): 1, faultRetriesKey("500"): 1, faultDurationKey: 2,
					}},
					{script: slices.Repeat([]stripetest.Response{serverError}, 1+faultMaxRetries), want: failed},
				} {
					t.Logf("phase %d", i+1)
					e.fake.Script(route, p.script...)
					if p.amount != 0 {
						e.fake.SetBalance("", fmt.Sprintf(`{"object":"balance","available":[{"amount":%d,"currency":"usd","source_types":{"card":%d}}],"pending":[]}`, p.amount, p.amount))
					}
					calls := e.fake.Calls(route)
					fams, delta := r.scrapeSelf(t, faultDeadline)
					if p.amount == 0 {
						faultCheckDown(t, fams, SelfAccount)
					} else {
						faultCheckUp(t, fams, SelfAccount, float64(p.amount)/100)
					}
					faultCheckDelta(t, delta, p.want)
					wantCalls := len(p.script)
					if p.amount != 0 {
						wantCalls++
					}
					if got := e.fake.Calls(route) - calls; got != wantCalls {
						t.Errorf("fake Stripe got %d requests, want %d", got, wantCalls)
					}
				}
			},
		},
	}

	start := time.Now()
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) { testFault(t, row) })
	}
	t.Logf("all rows took %v", time.Since(start).Round(time.Millisecond))
}

func testFault(t *testing.T, row faultRow) {
	e := &faultEnv{fake: stripetest.New(t)}
	e.fake.SetBalance("", faultGoodBody)
	e.url = e.fake.URL
	e.goodAddr = e.fake.Listener.Addr().String()
	if row.setup != nil {
		row.setup(t, e)
	}
	deadline := cmp.Or(row.deadline, faultDeadline)

	// Phase 1: the fault, then the first scrape after it clears.
	tr := e.transport(0, 2)
	t.Cleanup(tr.CloseIdleConnections)
	r := newFaultRig(t, e, tr, faultMaxRetries, deadline, row.maxBody, 1000)
	r.logs = &exportertest.LogBuffer{}
	r.failures = NewFailureLog(log.NewLogfmtLogger(r.logs))

	if row.phases != nil {
		row.phases(t, r, e)
	} else {
		if row.fault != nil {
			row.fault(e, "", row.requests)
		}
		route := stripetest.BalanceRoute("")
		calls := e.fake.Calls(route)
		want := faultWantFailure(row.code, row.requests)
		fams, delta := r.scrapeSelf(t, deadline)
		faultCheckDown(t, fams, SelfAccount)
		if !maps.Equal(delta, want) {
			// A call the scrape stopped waiting for (a stall) is counted
			// when it ends, by the shared call's own timeout.
			delta = r.waitDelta(t, want, deadline+faultMargin)
		}
		faultCheckDelta(t, delta, want)
		logs := r.logs.String()
		if n := strings.Count(logs, "\n"); n != 1 || !strings.Contains(logs, "level=warn") {
			t.Errorf("want one warning for the failed fetch, got:\n%s", logs)
		}
		for _, s := range row.logs {
			if !strings.Contains(logs, s) {
				t.Errorf("warning lacks %q:\n%s", s, logs)
			}
		}
		got, wantCalls := e.fake.Calls(route)-calls, 0
		if row.reachesFake {
			wantCalls = row.requests
		}
		if got != wantCalls {
			t.Errorf("fake Stripe got %d requests, want %d", got, wantCalls)
		}
		if row.check != nil {
			row.check(t, e)
		}
	}

	// The fault clears: the very next scrape is whole, with no failure or
	// error kept from before, even while a call that every scrape gave up
	// on still runs.
	e.healed.Store(true)
	e.fake.SetBalance("", faultGoodBody)
	tr.CloseIdleConnections()
	logged := len(r.logs.String())
	fams, delta := r.scrapeSelf(t, faultDeadline)
	faultCheckUp(t, fams, SelfAccount, faultGoodUSD)
	faultCheckDelta(t, delta, faultWantSuccess(1))
	if logs := r.logs.String()[logged:]; strings.Count(logs, "\n") != 1 || !strings.Contains(logs, `level=info msg="fetch from Stripe works again"`) {
		t.Errorf("the scrape after the fault cleared did not log once that fetching works again:\n%s", logs)
	}
	if t.Failed() {
		return
	}

	// Phase 2: many faulty scrapes leave nothing behind.
	faultLeakCheck(t, row, e)
}

// faultLeakCheck runs faultLeakScrapes faulty scrapes, then checks that the
// goroutines and the heap are back to where they were.
func faultLeakCheck(t *testing.T, row faultRow, e *faultEnv) {
	scrapes := faultLeakScrapes
	if testing.Short() {
		scrapes = faultLeakScrapesShort
	}
	deadline := cmp.Or(row.leakDeadline, faultLeakDeadline)
	perWorker := scrapes / faultLeakWorkers

	e.healed.Store(false)
	tr := e.transport(faultLeakDialTimeout, faultLeakWorkers)
	t.Cleanup(tr.CloseIdleConnections)
	r := newFaultRig(t, e, tr, faultLeakMaxRetries, deadline, row.maxBody, 1e6)
	accounts := make([]string, faultLeakWorkers)
	for w := range accounts {
		accounts[w] = fmt.Sprintf("acct_1FaultLeak%02d", w)
		e.fake.SetBalance(accounts[w], faultGoodBody)
		if row.fault != nil {
			row.fault(e, accounts[w], perWorker*(1+faultLeakMaxRetries))
		}
		r.metrics.Prepare([]Target{{Account: accounts[w]}})
	}

	goroutines, heap := faultSettle()
	start := time.Now()
	var (
		ups      atomic.Int64
		mu       sync.Mutex
		problems []string
		slowest  time.Duration
		wg       sync.WaitGroup
	)
	for _, account := range accounts {
		wg.Go(func() {
			for range perWorker {
				fams, took, err := r.scrape(deadline, []Target{{Account: account}})
				var problem string
				switch up, ok := faultUp(fams, account); {
				case err != nil:
					problem = err.Error()
				case took > deadline+faultLeakMargin:
					problem = fmt.Sprintf("scrape took %v, past its %v deadline", took, deadline)
				case !ok:
					problem = "no stripe_up"
				case up == 1 && !row.flapping:
					problem = "stripe_up 1 during the fault"
				case up == 1:
					ups.Add(1)
				}
				mu.Lock()
				slowest = max(slowest, took)
				if problem != "" {
					problems = append(problems, problem)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	for i, p := range problems {
		if i == 5 {
			t.Errorf("... and %d more", len(problems)-i)
			break
		}
		t.Error(p)
	}

	var fetchErrors float64
	counters := faultCounters(t, r.metrics)
	t.Logf("counters after the faulty scrapes:\n%s", faultFormat(counters))
	for k, v := range counters {
		if strings.HasPrefix(k, "stripe_fetch_errors_total{") {
			fetchErrors += v
		}
	}
	n := perWorker * faultLeakWorkers
	switch {
	case !row.flapping && fetchErrors != float64(n):
		t.Errorf("stripe_fetch_errors_total went up by %v over %d failed scrapes", fetchErrors, n)
	case row.flapping && (fetchErrors+float64(ups.Load()) != float64(n) || ups.Load() == 0 || fetchErrors == 0):
		t.Errorf("flapping: %d scrapes up and %v fetch errors over %d scrapes", ups.Load(), fetchErrors, n)
	}

	tr.CloseIdleConnections()
	var after int
	for wait := time.Now().Add(10 * time.Second); ; {
		after = runtime.NumGoroutine()
		if after <= goroutines+faultGoroutineSlack || time.Now().After(wait) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, heapAfter := faultSettle()
	t.Logf("%d scrapes of %v deadline in %v, the slowest %v; goroutines %d -> %d; heap %.2f -> %.2f MiB",
		n, deadline, took.Round(time.Millisecond), slowest.Round(time.Millisecond),
		goroutines, after, float64(heap)/(1<<20), float64(heapAfter)/(1<<20))
	if after > goroutines+faultGoroutineSlack {
		t.Errorf("%d goroutines after the faulty scrapes, %d before", after, goroutines)
		buf := make([]byte, 1<<20)
		t.Logf("goroutines:\n%s", buf[:runtime.Stack(buf, true)])
	}
	if heapAfter > heap+heap/10+faultHeapSlack {
		t.Errorf("heap grew from %d to %d bytes over the faulty scrapes", heap, heapAfter)
	}
}

// faultSettle waits for the goroutine count to stop falling and returns it
// with the heap in use after a collection.
func faultSettle() (goroutines int, heap uint64) {
	goroutines = runtime.NumGoroutine()
	for stable := 0; stable < 3; {
		time.Sleep(10 * time.Millisecond)
		n := runtime.NumGoroutine()
		if n >= goroutines {
			stable++
		} else {
			stable = 0
		}
		goroutines = min(goroutines, n)
	}
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return runtime.NumGoroutine(), ms.HeapAlloc
}

// faultRig scrapes as the exporter does: a Shared client with its own call
// timeout, a Collector per scrape with the scrape's deadline.
type faultRig struct {
	metrics *Metrics
	shared  *stripe.Shared
	// failures logs to logs, when set.
	failures *FailureLog
	logs     *exportertest.LogBuffer
	// before are the counters before the last scrapeSelf.
	before map[string]float64
}

func newFaultRig(t *testing.T, e *faultEnv, tr http.RoundTripper, maxRetries int, timeout time.Duration, maxBody int64, rateLimit float64) *faultRig {
	t.Helper()
	metrics := NewMetrics()
	api, err := stripe.New(stripe.Config{
		Key:          stripetest.Key,
		URL:          e.url,
		MaxRetries:   maxRetries,
		RateLimit:    rateLimit,
		Observer:     metrics,
		Transport:    tr,
		MaxBodyBytes: maxBody,
	})
	if err != nil {
		t.Fatal(err)
	}
	metrics.Prepare([]Target{{}})
	return &faultRig{metrics: metrics, shared: stripe.NewShared(api, timeout), failures: NewFailureLog(log.NewNopLogger())}
}

// scrape gathers one scrape of targets through a pedantic registry, as the
// exporter's handler does, and says how long it took.
func (r *faultRig) scrape(deadline time.Duration, targets []Target) (map[string]*dto.MetricFamily, time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	reg := prometheus.NewPedanticRegistry()
	result := Fetch(ctx, r.shared, targets)
	r.metrics.CountFailures(result)
	r.failures.Record(result)
	if err := reg.Register(New(result, log.NewNopLogger())); err != nil {
		return nil, 0, err
	}
	mfs, err := reg.Gather()
	took := time.Since(start)
	fams := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		fams[mf.GetName()] = mf
	}
	return fams, took, err
}

// scrapeSelf scrapes the key's own account, checks that it ended in time,
// and returns what it exported and how the counters moved.
func (r *faultRig) scrapeSelf(t *testing.T, deadline time.Duration) (map[string]*dto.MetricFamily, map[string]float64) {
	t.Helper()
	before := faultCounters(t, r.metrics)
	fams, took, err := r.scrape(deadline, []Target{{}})
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	if took > deadline+faultMargin {
		t.Errorf("scrape took %v, past its %v deadline", took, deadline)
	}
	r.before = before
	return fams, faultDelta(before, faultCounters(t, r.metrics))
}

// waitDelta waits up to timeout for the counters to have moved by want
// since the last scrapeSelf, and returns how they moved.
func (r *faultRig) waitDelta(t *testing.T, want map[string]float64, timeout time.Duration) map[string]float64 {
	t.Helper()
	var delta map[string]float64
	for end := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		delta = faultDelta(r.before, faultCounters(t, r.metrics))
		if maps.Equal(delta, want) || time.Now().After(end) {
			return delta
		}
	}
}

// faultCounters reads the exporter's own counters, and the number of
// requests timed, keyed by name and labels.
func faultCounters(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, mf := range gather(t, m) {
		for _, s := range mf.GetMetric() {
			var pairs []string
			for _, l := range s.GetLabel() {
				pairs = append(pairs, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			labels := "{" + strings.Join(pairs, ",") + "}"
			switch {
			case s.Counter != nil:
				out[mf.GetName()+labels] = s.GetCounter().GetValue()
			case s.Histogram != nil:
				out[mf.GetName()+"_count"+labels] = float64(s.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// faultDelta is how the counters moved from before to after; unmoved ones
// are left out.
func faultDelta(before, after map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

func faultRequestsKey(code string) string {
	return `stripe_api_requests_total{code="` + code + `",endpoint="balance"}`
}

func faultRetriesKey(code string) string {
	return `stripe_api_retries_total{code="` + code + `",endpoint="balance"}`
}

const (
	faultDurationKey    = `stripe_api_request_duration_seconds_count{endpoint="balance"}`
	faultFetchErrorsKey = `stripe_fetch_errors_total{account="self",endpoint="balance"}`
)

// faultWantFailure is how the counters move when a balance fetch fails
// after requests attempts that got code, all but the first being retries.
func faultWantFailure(code string, requests int) map[string]float64 {
	want := map[string]float64{
		faultRequestsKey(code): float64(requests),
		faultDurationKey:       float64(requests),
		faultFetchErrorsKey:    1,
	}
	if requests > 1 {
		want[faultRetriesKey(code)] = float64(requests - 1)
	}
	return want
}

// faultWantSuccess is how the counters move when n balance fetches succeed
// at once.
func faultWantSuccess(n int) map[string]float64 {
	return map[string]float64{faultRequestsKey("200"): float64(n), faultDurationKey: float64(n)}
}

func faultCheckDelta(t *testing.T, got, want map[string]float64) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Errorf("counters moved by\n%s\nwant\n%s", faultFormat(got), faultFormat(want))
	}
}

func faultFormat(m map[string]float64) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "\t%s %v\n", k, m[k])
	}
	return b.String()
}

// faultUp is account's stripe_up.
func faultUp(fams map[string]*dto.MetricFamily, account string) (float64, bool) {
	for _, s := range fams["stripe_up"].GetMetric() {
		if label(s, "account") == account {
			return s.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// faultCheckDown checks that account is down with no balance series.
func faultCheckDown(t *testing.T, fams map[string]*dto.MetricFamily, account string) {
	t.Helper()
	if up, ok := faultUp(fams, account); !ok || up != 0 {
		t.Errorf("stripe_up{account=%q} = %v (present: %v), want 0", account, up, ok)
	}
	for name, mf := range fams {
		for _, s := range mf.GetMetric() {
			if strings.HasPrefix(name, "stripe_balance_") && label(s, "account") == account {
				t.Errorf("%s exported for an account that could not be fetched: %v", name, s)
			}
		}
	}
}

// faultCheckUp checks that account is up with usd available from cards and
// nothing else.
func faultCheckUp(t *testing.T, fams map[string]*dto.MetricFamily, account string, usd float64) {
	t.Helper()
	if up, ok := faultUp(fams, account); !ok || up != 1 {
		t.Errorf("stripe_up{account=%q} = %v (present: %v), want 1", account, up, ok)
	}
	got := map[string]float64{}
	for _, s := range fams["stripe_balance_available"].GetMetric() {
		if label(s, "account") == account {
			got[label(s, "currency")+"/"+label(s, "source_type")] = s.GetGauge().GetValue()
		}
	}
	if want := map[string]float64{"usd/card": usd, "usd/" + Unattributed: 0}; !maps.EqualFunc(got, want, func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }) {
		t.Errorf("stripe_balance_available{account=%q} = %v, want %v", account, got, want)
	}
}

// faultTLSServer serves h over TLS on 127.0.0.1 with cert, or httptest's own
// certificate when cert is nil, without logging failed handshakes.
func faultTLSServer(t *testing.T, h http.Handler, cert *tls.Certificate) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.Config.ErrorLog = stdlog.New(io.Discard, "", 0)
	if cert != nil {
		s.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// faultReset reads a request, answers 200 with a Content-Length longer than
// the half of a balance it sends, and resets the connection.
func faultReset(c net.Conn) {
	// Linger 0: Close sends a reset, not an orderly end.
	defer func() { _ = c.(*net.TCPConn).SetLinger(0) }()
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, req.Body)
	_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nRequest-Id: req_reset\r\nContent-Length: %d\r\n\r\n%s",
		len(faultGoodBody)+1000, faultGoodBody[:len(faultGoodBody)/2])
}

// faultCheckDNS checks that d was asked, and only about stripe.invalid
// (perhaps with a search domain after it).
func faultCheckDNS(t *testing.T, d *stripetest.DNS) {
	t.Helper()
	names := d.Names()
	if len(names) == 0 {
		t.Error("the fake resolver was never asked")
	}
	for _, name := range names {
		if !strings.HasPrefix(name, "stripe.invalid.") {
			t.Errorf("the fake resolver was asked about %q", name)
		}
	}
}
