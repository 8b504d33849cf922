package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// The benchmarks below measure the goals the README's "Performance and
// reliability" section publishes; `make bench` runs them. Each fails when
// its goal is missed.

// benchBalance has three currencies, as the overhead goal asks.
const benchBalance = `{
  "object": "balance",
  "available": [
    {"amount": 123456, "currency": "usd", "source_types": {"card": 100000, "bank_account": 23456}},
    {"amount": 5000, "currency": "jpy", "source_types": {"card": 5000}},
    {"amount": 1234, "currency": "kwd", "source_types": {"card": 1234}}
  ],
  "pending": [
    {"amount": 100, "currency": "usd", "source_types": {"card": 100}},
    {"amount": 0, "currency": "jpy", "source_types": {"card": 0}},
    {"amount": 0, "currency": "kwd", "source_types": {"card": 0}}
  ]
}`

var benchTransactions = []string{"txn_1Bench1", "txn_1Bench2", "txn_1Bench3", "txn_1Bench4", "txn_1Bench5"}

// benchFake is a fake Stripe answering every call after delay, with the
// benchmark balance and five settled transactions.
func benchFake(b *testing.B, delay time.Duration) (*stripetest.Server, []string) {
	fake := stripetest.New(b)
	setUpBenchFake(fake, delay)
	return fake, benchFlags()
}

func setUpBenchFake(fake *stripetest.Server, delay time.Duration) {
	fake.SetBalance("", benchBalance)
	for _, id := range benchTransactions {
		fake.SetTransaction("", id, strings.Replace(stripetest.SettledTransaction, "txn_1Settled", id, 1))
	}
	fake.SetDelay(delay)
}

// benchFlags lists the benchmark's transactions to the exporter.
func benchFlags() []string {
	var args []string
	for _, id := range benchTransactions {
		args = append(args, "--stripe.balance-transaction="+id)
	}
	return args
}

// benchFakeEnv makes this test binary serve the benchmark fake, answering
// after the delay it holds, instead of running tests (see TestMain).
const benchFakeEnv = "STRIPE_EXPORTER_BENCH_FAKE_DELAY"

// serveBenchFake serves the benchmark fake until standard input closes,
// having printed its URL on standard output.
func serveBenchFake(delay string) {
	d, err := time.ParseDuration(delay)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", benchFakeEnv, err)
		os.Exit(2)
	}
	fake := stripetest.Start()
	setUpBenchFake(fake, d)
	fmt.Println(fake.URL)
	_, _ = io.Copy(io.Discard, os.Stdin)
	fake.Close()
	os.Exit(0)
}

// benchFakeProcess runs the benchmark fake in a process of its own, as
// Stripe is: a fake in the exporter's process shares its Go scheduler, and
// there its requests wait unread while the exporter works (the runtime
// looks at the network only when a CPU has nothing else to do), so that it
// would answer later than the delay it is asked for.
func benchFakeProcess(b *testing.B, delay time.Duration) (url string, args []string) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), benchFakeEnv+"="+delay.String())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("the benchmark fake did not start: %v", err)
	}
	return strings.TrimSpace(line), benchFlags()
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkScrapeOverhead times, side by side, a scrape of /metrics (one
// account, three currencies, five settled transactions) and one direct GET
// /v1/balance to the same fake, which answers after 20 ms from a process of
// its own. Goal: the median scrape takes at most 1.05 times the median
// direct call. The two alternate which goes first, so that neither always
// follows the other. The exporter runs with a rate limit of 1,000 requests
// per second so that the limiter does not space the scrapes out: this
// measures the exporter's own cost.
func BenchmarkScrapeOverhead(b *testing.B) {
	fakeURL, args := benchFakeProcess(b, 20*time.Millisecond)
	e := startExporterAt(b, fakeURL, envWith(stripetest.Key), args...)
	defer e.stop()
	get(b, e.url+"/metrics", nil) // fetches and keeps the settled transactions

	direct, err := http.NewRequest(http.MethodGet, fakeURL+"/v1/balance", nil)
	if err != nil {
		b.Fatal(err)
	}
	direct.Header.Set("Authorization", "Bearer "+stripetest.Key)
	client := &http.Client{}
	var scrapes, directs []time.Duration
	callDirect := func() {
		start := time.Now()
		resp, err := client.Do(direct)
		if err != nil {
			b.Fatal(err)
		}
		drain(resp)
		directs = append(directs, time.Since(start))
	}
	scrape := func() {
		start := time.Now()
		get(b, e.url+"/metrics", nil)
		scrapes = append(scrapes, time.Since(start))
	}
	b.ResetTimer()
	for b.Loop() {
		if len(scrapes)%2 == 0 {
			callDirect()
			scrape()
		} else {
			scrape()
			callDirect()
		}
	}
	b.StopTimer()
	ratio := float64(median(scrapes)) / float64(median(directs))
	b.ReportMetric(ratio, "overhead-ratio")
	b.ReportMetric(float64(median(scrapes).Microseconds())/1000, "scrape-median-ms")
	b.ReportMetric(float64(median(directs).Microseconds())/1000, "direct-median-ms")
	// The exporter's own count: one call per settled transaction, ever.
	series := `stripe_api_requests_total{code="200",endpoint="balance_transaction"}`
	if n := gauge(b, get(b, e.url+"/metrics", nil), series); n != float64(len(benchTransactions)) {
		b.Errorf("%s is %v after %d scrapes, want %d: one call per settled transaction", series, n, len(scrapes)+2, len(benchTransactions))
	}
	if ratio > 1.05 {
		b.Errorf("median scrape %v is %.3f times the median direct call %v; the goal is 1.05", median(scrapes), ratio, median(directs))
	}
}

// BenchmarkConcurrentScrapes sends 100 scrapes at once and counts the calls
// Stripe sees. Goal: at most 2 balance calls per 100 scrapes, and no call
// for a settled transaction after its first fetch.
func BenchmarkConcurrentScrapes(b *testing.B) {
	fake, args := benchFake(b, 20*time.Millisecond)
	e := startExporter(b, fake, envWith(stripetest.Key), append(args, "--web.max-requests=200")...)
	defer e.stop()
	// Like Prometheus servers, the scrapers keep their connections open, so
	// the 100 scrapes arrive together rather than behind 100 handshakes.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	round := func() {
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				resp, err := client.Get(e.url + "/metrics")
				if err != nil {
					b.Error(err)
					return
				}
				if resp.StatusCode != http.StatusOK {
					b.Errorf("scrape: %s", resp.Status)
				}
				drain(resp)
			})
		}
		wg.Wait()
	}
	round()
	balanceBefore := fake.Calls(stripetest.BalanceRoute(""))
	txnBefore := fake.Calls(stripetest.TransactionRoute("", benchTransactions[0]))

	worst := 0
	rounds := 0
	for b.Loop() {
		before := fake.Calls(stripetest.BalanceRoute(""))
		round()
		worst = max(worst, fake.Calls(stripetest.BalanceRoute(""))-before)
		rounds++
	}
	b.StopTimer()
	txnCalls := fake.Calls(stripetest.TransactionRoute("", benchTransactions[0])) - txnBefore
	b.ReportMetric(float64(fake.Calls(stripetest.BalanceRoute(""))-balanceBefore)/float64(rounds), "balance-calls/100-scrapes")
	b.ReportMetric(float64(worst), "worst-balance-calls/100-scrapes")
	b.ReportMetric(float64(txnCalls), "settled-txn-calls")
	if worst > 2 {
		b.Errorf("100 simultaneous scrapes made %d balance calls; the goal is at most 2", worst)
	}
	if txnCalls != 0 {
		b.Errorf("settled transactions were fetched %d more times after their first fetch; the goal is 0", txnCalls)
	}
}

// BenchmarkMemory runs the built exporter as its own process and scrapes it
// 10,000 times after 1,000 to warm it up. It reports resident memory idle,
// warm and after, and the number of goroutines; the goal is no growth
// beyond noise from warm to after.
func BenchmarkMemory(b *testing.B) {
	fake, args := benchFake(b, 0)
	dir := b.TempDir()
	bin := filepath.Join(dir, "stripe_exporter")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append(args, "--web.listen-address=127.0.0.1:0", "--stripe.api-url="+fake.URL, "--stripe.rate-limit=100000")...)
	cmd.Env = append(os.Environ(), keyEnv+"="+stripetest.Key)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	url := waitListening(b, logs) + "/metrics"
	scrapes := func(n int) {
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < n; i += 8 {
					get(b, url, nil)
				}
			})
		}
		wg.Wait()
		time.Sleep(time.Second)
	}

	get(b, url, nil)
	time.Sleep(time.Second)
	idleRSS, idleGoroutines := rssKiB(b, cmd.Process.Pid), goroutines(b, url)
	scrapes(1000)
	warmRSS := rssKiB(b, cmd.Process.Pid)
	for b.Loop() {
		scrapes(10000)
	}
	b.StopTimer()
	afterRSS, afterGoroutines := rssKiB(b, cmd.Process.Pid), goroutines(b, url)
	b.ReportMetric(float64(idleRSS)/1024, "idle-rss-MiB")
	b.ReportMetric(float64(warmRSS)/1024, "warm-rss-MiB")
	b.ReportMetric(float64(afterRSS)/1024, "rss-after-10k-scrapes-MiB")
	b.ReportMetric(float64(idleGoroutines), "idle-goroutines")
	b.ReportMetric(float64(afterGoroutines), "goroutines-after")
	if afterRSS > warmRSS+warmRSS/10+2048 {
		b.Errorf("resident memory grew from %d KiB (warm) to %d KiB over 10,000 more scrapes", warmRSS, afterRSS)
	}
	if afterGoroutines > idleGoroutines+2 {
		b.Errorf("goroutines grew from %d to %d over 11,000 scrapes", idleGoroutines, afterGoroutines)
	}
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func rssKiB(b *testing.B, pid int) int {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(status)
	if m == nil {
		b.Fatalf("no VmRSS in /proc/%d/status", pid)
	}
	kb, _ := strconv.Atoi(string(m[1]))
	return kb
}

func goroutines(b *testing.B, url string) int {
	m := regexp.MustCompile(`(?m)^go_goroutines (\d+)`).FindStringSubmatch(get(b, url, nil))
	if m == nil {
		b.Fatal("no go_goroutines in /metrics")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
