package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// scaleSetting reads a size of the scale test from the environment; `make
// scale` sets the full sizes, CI runs the defaults.
func scaleSetting[T any](t *testing.T, name string, def T, parse func(string) (T, error)) T {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	x, err := parse(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return x
}

// TestScale has Prometheus discover the platform's connected accounts
// through /discovery and scrape each through /probe, against a fake Stripe
// that answers every call after a delay. It checks that every account is
// scraped in every interval with stripe_up 1, that the fake never sees more
// requests in a second than the rate limit lets through, and that the
// exporter's memory stays flat, and reports what it measured.
func TestScale(t *testing.T) {
	accounts := scaleSetting(t, "SCALE_ACCOUNTS", 50, strconv.Atoi)
	interval := scaleSetting(t, "SCALE_INTERVAL", 4*time.Second, time.ParseDuration)
	intervals := scaleSetting(t, "SCALE_INTERVALS", 3, strconv.Atoi)
	rateLimit := scaleSetting(t, "SCALE_RATE_LIMIT", 20, strconv.Atoi)
	delay := scaleSetting(t, "SCALE_DELAY", 50*time.Millisecond, time.ParseDuration)

	bins := findTools(t)
	dir := t.TempDir()
	fake := stripetest.New(t)
	fake.SetDelay(delay)
	fake.SetBalance("", stripetest.Balance)
	ids := make([]string, accounts)
	for i := range ids {
		ids[i] = fmt.Sprintf("acct_1Scale%05d", i)
		fake.SetBalance(ids[i], stripetest.ConnectedBalance)
	}
	fake.SetAccounts(ids...)

	exporter := startExporter(t, dir, fake.URL,
		"--discovery.enabled",
		"--discovery.refresh-interval="+interval.String(),
		"--stripe.rate-limit="+strconv.Itoa(rateLimit),
	)
	prom := startProbePrometheus(t, bins, dir, exporter.addr, interval)

	// Warm up: discovery, then one whole interval in which every account has
	// been scraped once.
	window := fmt.Sprintf("%ds", int(interval.Seconds()))
	covered := func() int {
		r := query(t, prom, `count(count_over_time(stripe_up{job="stripe-accounts"}[`+window+`]))`)
		if len(r) == 0 {
			return 0
		}
		return int(r[0].value())
	}
	waitFor(t, 3*interval+time.Minute, "every account to be scraped", func() bool { return covered() == accounts })

	var rss []int
	var perInterval []string
	for i := 0; i < intervals; i++ {
		time.Sleep(interval)
		// Every account was scraped in this interval, and every scrape of it
		// in the interval had stripe_up 1.
		up := query(t, prom, `count(min_over_time(stripe_up{job="stripe-accounts"}[`+window+`]) == 1)`)
		n := 0
		if len(up) == 1 {
			n = int(up[0].value())
		}
		perInterval = append(perInterval, strconv.Itoa(n))
		if n != accounts {
			t.Errorf("interval %d: %d of %d accounts scraped with stripe_up 1 throughout", i+1, n, accounts)
		}
		rss = append(rss, procStatusKB(t, exporter.cmd.Process.Pid, "VmRSS"))
	}
	peakRSS := procStatusKB(t, exporter.cmd.Process.Pid, "VmHWM")
	peakRate := fake.PeakPerSecond()

	// The limiter lets a request through every 1/rate seconds, and its
	// bucket holds one more: rate+1 is the most any second can see.
	if peakRate > rateLimit+1 {
		t.Errorf("the fake saw %d requests in one second, over the rate limit of %d", peakRate, rateLimit)
	}
	// Flat memory: the last interval's resident memory is within noise of
	// the first's.
	if first, last := rss[0], rss[len(rss)-1]; last > first+first/4+4096 {
		t.Errorf("exporter RSS grew from %d KiB to %d KiB over %d intervals", first, last, intervals)
	}

	report := fmt.Sprintf("accounts=%d interval=%v delay=%v rate_limit=%d/s accounts_covered_per_interval=%s peak_requests_per_second=%d rss_kib_per_interval=%s peak_rss_kib=%d",
		accounts, interval, delay, rateLimit, strings.Join(perInterval, ","), peakRate,
		strings.Trim(strings.Join(strings.Fields(fmt.Sprint(rss)), ","), "[]"), peakRSS)
	t.Log(report)
	if path := os.Getenv("SCALE_REPORT"); path != "" {
		writeFile(t, path, report+"\n")
	}
}

// startProbePrometheus runs Prometheus with the stripe-accounts job of
// dashboards/prometheus-probe.yml, its addresses and intervals changed to
// the test's.
func startProbePrometheus(t *testing.T, bins tools, dir, exporterAddr string, interval time.Duration) string {
	t.Helper()
	var cfg map[string]any
	readYAML(t, filepath.Join(dashboards, "prometheus-probe.yml"), &cfg)
	var job map[any]any
	for _, sc := range cfg["scrape_configs"].([]any) {
		if m := sc.(map[any]any); m["job_name"] == "stripe-accounts" {
			job = m
		}
	}
	if job == nil {
		t.Fatal(`dashboards/prometheus-probe.yml has no "stripe-accounts" job`)
	}
	iv := interval.String()
	job["scrape_interval"] = iv
	job["scrape_timeout"] = iv
	sd := job["http_sd_configs"].([]any)[0].(map[any]any)
	sd["url"] = "http://" + exporterAddr + "/discovery"
	sd["refresh_interval"] = iv
	for _, r := range job["relabel_configs"].([]any) {
		if m := r.(map[any]any); m["target_label"] == "__address__" {
			m["replacement"] = exporterAddr
		}
	}
	cfg = map[string]any{
		"global":         map[string]any{"scrape_interval": iv, "evaluation_interval": iv},
		"scrape_configs": []any{job},
	}
	path := filepath.Join(dir, "prometheus.yml")
	writeYAML(t, path, cfg)
	addr := freeAddr(t)
	start(t, bins.prometheus,
		"--config.file="+path,
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+addr,
	)
	waitReady(t, "http://"+addr)
	return "http://" + addr
}

// procStatusKB reads one of the kB fields of /proc/PID/status.
func procStatusKB(t *testing.T, pid int, field string) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return kb
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
