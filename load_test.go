package main

import (
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe-exporter/stripe_exporter/internal/exportertest"
	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// The load tests run wrk (https://github.com/wg/wrk, Debian package wrk)
// against the exporter, whose memory they measure, in front of a fake
// Stripe that takes a little while to answer.
//
// The exporter gives each scrape at most loadStripeTimeout on Stripe and
// wrk waits wrkTimeout for an answer, well beyond: a wrk timeout means the
// exporter did not keep to its own deadline, not that the machine is busy
// (make test runs every package's tests at once).
const (
	loadStripeTimeout = 4 * time.Second
	wrkTimeout        = 10 * time.Second
	wrkInstall        = "install the Debian package wrk (`make debian-packages`)"
)

// loadExporter is the exporter under load.
type loadExporter struct{ *exportertest.Exporter }

// startLoadExporter starts the exporter against fake at an address the
// test chooses, with args added to its command line.
func startLoadExporter(t *testing.T, fake *stripetest.Server, args ...string) loadExporter {
	t.Helper()
	addr := exportertest.FreeAddr(t)
	e := startExporter(t, fake, stripetest.Key, append([]string{
		"--web.listen-address=" + addr,
		"--stripe.rate-limit=10000",
		"--stripe.timeout=" + loadStripeTimeout.String(),
	}, args...)...)
	if e.Addr != addr {
		t.Fatalf("exporter listens on %s, want %s", e.Addr, addr)
	}
	return loadExporter{e}
}

// alive fails the test if the exporter has exited.
func (e loadExporter) alive(t *testing.T) {
	t.Helper()
	if code, exited := e.Wait(0); exited {
		t.Fatalf("the exporter exited with code %d; logs:\n%s", code, e.Log)
	}
}

// rss is the exporter's resident memory in KiB.
func (e loadExporter) rss(t *testing.T) int64 { return e.StatusKB(t, "VmRSS") }

// scrape gets /metrics, which must be a healthy scrape.
func (e loadExporter) scrape(t *testing.T) string {
	t.Helper()
	body := exportertest.Get(t, e.URL+"/metrics", nil)
	if !strings.Contains(body, `stripe_up{account="self"} 1`) {
		t.Errorf("/metrics lacks stripe_up 1:\n%.2000s", body)
	}
	return body
}

// waitHealthy waits at most d for a scrape to be answered 200 with
// stripe_up 1, and returns it and how many scrapes were answered 503 first.
func (e loadExporter) waitHealthy(t *testing.T, d time.Duration) (body string, refused int) {
	t.Helper()
	start := time.Now()
	client := &http.Client{Timeout: 2 * d}
	for {
		r, err := fetch(t, client, e.URL+"/metrics", "", "")
		if err == nil && r.status == http.StatusOK && strings.Contains(r.body, `stripe_up{account="self"} 1`) {
			t.Logf("healthy scrape %v after the load, after %d answers 503", time.Since(start).Round(time.Millisecond), refused)
			return r.body, refused
		}
		if err == nil && r.status == http.StatusServiceUnavailable {
			refused++
		}
		if time.Since(start) > d {
			t.Fatalf("no healthy scrape within %v after the load; last: %d %v\n%.1000s", d, r.status, err, r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// value is the value of one series in a scrape in the text format, such
// as go_goroutines or stripe_api_requests_total{code="200",endpoint="balance"}.
func value(t testing.TB, body, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in the scrape", series)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("%s: %v", series, err)
	}
	return v
}

// waitGoroutines waits for go_goroutines to come back to at most idle+slack
// after a load, and returns the last value seen.
func (e loadExporter) waitGoroutines(t *testing.T, idle, slack float64) float64 {
	t.Helper()
	var n float64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		n = value(t, e.scrape(t), "go_goroutines")
		if n <= idle+slack {
			return n
		}
		if time.Now().After(deadline) {
			t.Errorf("go_goroutines is %v 10s after the load, idle was %v", n, idle)
			return n
		}
	}
}

// wrkResult is what wrk reports of one run.
type wrkResult struct {
	output        string
	requests      int
	duration      time.Duration
	perSecond     float64
	socketErrors  string // "connect 0, read 0, write 0, timeout 0", or "" if none
	non2xx        int
	latencyAvg    string
	latencyMax    string
	latencyP50    time.Duration
	latencyP99    time.Duration
	latencyP50Raw string
	latencyP99Raw string
}

var (
	wrkRequestsRE = regexp.MustCompile(`(\d+) requests in ([\d.]+\w+),`)
	wrkRateRE     = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkSocketRE   = regexp.MustCompile(`Socket errors: (.*)`)
	wrkNon2xxRE   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkLatencyRE  = regexp.MustCompile(`Latency\s+(\S+)\s+\S+\s+(\S+)`)
	wrkP50RE      = regexp.MustCompile(`(?m)^\s+50%\s+(\S+)\s*$`)
	wrkP99RE      = regexp.MustCompile(`(?m)^\s+99%\s+(\S+)\s*$`)
)

// runWrk runs wrk with connections connections for d against url.
func runWrk(t *testing.T, wrk string, connections int, d time.Duration, url string) wrkResult {
	t.Helper()
	cmd := exec.Command(wrk, "-t2", fmt.Sprintf("-c%d", connections), fmt.Sprintf("-d%ds", int(d.Seconds())), "--timeout", wrkTimeout.String(), "--latency", url)
	out, err := cmd.CombinedOutput()
	r := wrkResult{output: string(out)}
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	m := wrkRequestsRE.FindStringSubmatch(r.output)
	if m == nil {
		t.Fatalf("no request count in wrk's output:\n%s", out)
	}
	r.requests, _ = strconv.Atoi(m[1])
	r.duration = wrkDuration(t, m[2])
	if m := wrkRateRE.FindStringSubmatch(r.output); m != nil {
		r.perSecond, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := wrkSocketRE.FindStringSubmatch(r.output); m != nil {
		r.socketErrors = m[1]
	}
	if m := wrkNon2xxRE.FindStringSubmatch(r.output); m != nil {
		r.non2xx, _ = strconv.Atoi(m[1])
	}
	if m := wrkLatencyRE.FindStringSubmatch(r.output); m != nil {
		r.latencyAvg, r.latencyMax = m[1], m[2]
	}
	p50, p99 := wrkP50RE.FindStringSubmatch(r.output), wrkP99RE.FindStringSubmatch(r.output)
	if p50 == nil || p99 == nil {
		t.Fatalf("no latency distribution in wrk's output:\n%s", out)
	}
	r.latencyP50Raw, r.latencyP50 = p50[1], wrkDuration(t, p50[1])
	r.latencyP99Raw, r.latencyP99 = p99[1], wrkDuration(t, p99[1])
	return r
}

// wrkDuration parses wrk's durations (1.23us, 4.56ms, 7.89s, 1.00m, 2.00h),
// which Go's syntax covers.
func wrkDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("wrk duration %q: %v", s, err)
	}
	return d
}

func (r wrkResult) String() string {
	return fmt.Sprintf("%d requests in %v (%.0f/s), latency avg %s p50 %s p99 %s max %s, non-2xx %d",
		r.requests, r.duration, r.perSecond, r.latencyAvg, r.latencyP50Raw, r.latencyP99Raw, r.latencyMax, r.non2xx)
}

// stripeStats sums up the exporter's calls to Stripe so far: how many,
// their total time, and how many took over a second.
type stripeStats struct {
	calls, seconds, slow float64
}

func (e loadExporter) stripeStats(t *testing.T, body string) stripeStats {
	t.Helper()
	const h = `stripe_api_request_duration_seconds`
	n := value(t, body, h+`_count{endpoint="balance"}`)
	return stripeStats{
		calls:   n,
		seconds: value(t, body, h+`_sum{endpoint="balance"}`),
		slow:    n - value(t, body, h+`_bucket{endpoint="balance",le="1"}`),
	}
}

// since describes the calls made between before and s.
func (s stripeStats) since(before stripeStats) string {
	n := s.calls - before.calls
	if n == 0 {
		return "no Stripe calls"
	}
	mean := time.Duration((s.seconds - before.seconds) / n * float64(time.Second))
	return fmt.Sprintf("%.0f Stripe calls, mean %v, %.0f over 1s", n, mean.Round(100*time.Microsecond), s.slow-before.slow)
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/(1<<10)) }

// TestLoadUnderMaxRequests scrapes /metrics as fast as 32 connections can,
// under the --web.max-requests cap of 40, twice: every scrape must succeed,
// and the second run must leave memory and goroutines where the first did.
func TestLoadUnderMaxRequests(t *testing.T) {
	wrk := exportertest.Tool(t, "WRK", "wrk", wrkInstall)
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetDelay(20 * time.Millisecond)
	e := startLoadExporter(t, fake, "--web.max-requests=40")

	body := e.scrape(t)
	idle := value(t, body, "go_goroutines")
	stats := e.stripeStats(t, body)
	t.Logf("idle: %s RSS, %v goroutines", mib(e.rss(t)), idle)

	const connections, d = 32, 8 * time.Second
	var rss [2]int64
	for i := range rss {
		r := runWrk(t, wrk, connections, d, e.URL+"/metrics")
		e.alive(t)
		rss[i] = e.rss(t)
		after := e.stripeStats(t, e.scrape(t))
		t.Logf("run %d: %v; RSS %s; %s", i+1, r, mib(rss[i]), after.since(stats))
		stats = after
		if r.non2xx != 0 {
			t.Errorf("run %d: %d responses were not 2xx under the cap; wrk:\n%s", i+1, r.non2xx, r.output)
		}
		if r.socketErrors != "" && r.socketErrors != "connect 0, read 0, write 0, timeout 0" {
			t.Errorf("run %d: socket errors: %s; wrk:\n%s", i+1, r.socketErrors, r.output)
		}
		// Each scrape waits about 20ms on the fake, shared by the
		// scrapes in flight: even a slow machine does 25 a second.
		if min := int(25 * d.Seconds()); r.requests < min {
			t.Errorf("run %d: %d requests in %v, want at least %d; wrk:\n%s", i+1, r.requests, d, min, r.output)
		}
		n := e.waitGoroutines(t, idle, 10)
		t.Logf("run %d: %v goroutines after (idle %v)", i+1, n, idle)
	}
	if limit := rss[0] + rss[0]/4 + 4<<10; rss[1] > limit {
		t.Errorf("RSS grew from %s after the first run to %s after the second, more than the %s allowed", mib(rss[0]), mib(rss[1]), mib(limit))
	}
	body = e.scrape(t)
	if !strings.Contains(body, `promhttp_metric_handler_requests_total{code="503"} 0`) {
		t.Errorf("some scrapes were answered 503 under the cap")
	}
	// Scrapes wrk hung up on are abandoned, not Stripe's failures.
	if n := value(t, body, `stripe_fetch_errors_total{account="self",endpoint="balance"}`); n != 0 {
		t.Errorf("stripe_fetch_errors_total for the balance is %v under load, want 0", n)
	}
	e.checkLogs(t)
}

// TestLoadOverMaxRequests opens three times as many connections as
// --web.max-requests lets through, against a fake that takes half a
// second: the excess must be answered 503 at once, without errors or
// timeouts, and the exporter must stay healthy.
func TestLoadOverMaxRequests(t *testing.T) {
	wrk := exportertest.Tool(t, "WRK", "wrk", wrkInstall)
	const delay = 500 * time.Millisecond
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetDelay(delay)
	e := startLoadExporter(t, fake, "--web.max-requests=40")
	body := e.scrape(t)
	idle := value(t, body, "go_goroutines")
	stats := e.stripeStats(t, body)

	const connections, d = 120, 5 * time.Second
	r := runWrk(t, wrk, connections, d, e.URL+"/metrics")
	e.alive(t)
	t.Logf("%v; RSS %s", r, mib(e.rss(t)))
	if r.socketErrors != "" && r.socketErrors != "connect 0, read 0, write 0, timeout 0" {
		t.Errorf("socket errors: %s; wrk:\n%s", r.socketErrors, r.output)
	}
	if r.non2xx == 0 {
		t.Errorf("no 503 with %d connections over a cap of 40; wrk:\n%s", connections, r.output)
	}
	// Scrapes that got a slot still succeed: batches of up to 40 every
	// half second.
	if ok, min := r.requests-r.non2xx, 40; ok < min {
		t.Errorf("%d scrapes succeeded, want at least %d; wrk:\n%s", ok, min, r.output)
	}
	// Most answers are 503s, which must not wait for Stripe: one that
	// queued for a slot would take at least one Stripe answer (delay). The
	// bound is that behaviour, not a speed goal, so a loaded machine's
	// slower answers do not fail it.
	if r.non2xx < r.requests/2 || r.latencyP50 >= delay {
		t.Errorf("median latency %v with %d of %d answers 503, want most answered 503 in under %v, before Stripe could answer; wrk:\n%s", r.latencyP50, r.non2xx, r.requests, delay, r.output)
	}

	// Scrapes wrk left in flight give their slots back once the
	// exporter sees the connections closed.
	body, refused := e.waitHealthy(t, loadStripeTimeout+time.Second)
	t.Logf("%s", e.stripeStats(t, body).since(stats))
	// The exporter counts every 503 wrk saw, those wrk gave up on when
	// its time was up, and those waitHealthy saw.
	if n := int(value(t, body, `promhttp_metric_handler_requests_total{code="503"}`)); n < r.non2xx+refused || n > r.non2xx+refused+connections {
		t.Errorf("the exporter counts %d answers 503, wrk %d and waitHealthy %d", n, r.non2xx, refused)
	}
	n := e.waitGoroutines(t, idle, 10)
	t.Logf("%v goroutines after (idle %v)", n, idle)
	e.checkLogs(t)
}

// checkLogs fails the test on any error logged but those of scrapes that
// wrk hung up on when its time was up, which the exporter could not finish
// sending. Their number is logged.
func (e loadExporter) checkLogs(t *testing.T) {
	t.Helper()
	var hungUp int
	for line := range strings.Lines(e.Log.String()) {
		switch {
		case !strings.HasPrefix(line, "level=error"):
		case strings.Contains(line, "broken pipe"), strings.Contains(line, "connection reset by peer"):
			hungUp++
		default:
			t.Errorf("error logged under load: %s", line)
		}
	}
	t.Logf("%d error lines about scrapes wrk hung up on", hungUp)
}
