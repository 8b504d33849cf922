package e2e

import (
	"fmt"
	"net/url"
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
	// What dashboards/prometheus-probe.yml advises: nearly all of the rate
	// limit for the probes, as /metrics scrapes only the key's own account.
	probeShare := scaleSetting(t, "SCALE_PROBE_SHARE", 0.9, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) })
	delay := scaleSetting(t, "SCALE_DELAY", 50*time.Millisecond, time.ParseDuration)

	prometheus := prometheusTool(t)
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

	exporter := startExporter(t, fake.URL,
		"--discovery.enabled",
		"--discovery.refresh-interval="+interval.String(),
		"--stripe.rate-limit="+strconv.Itoa(rateLimit),
		fmt.Sprintf("--probe.rate-limit-share=%g", probeShare),
	)
	prom := startProbePrometheus(t, prometheus, dir, exporter.Addr, interval)

	// Warm up: discovery, then a whole interval in which every account has
	// been scraped.
	window := fmt.Sprintf("%dms", (interval + interval/4).Milliseconds())
	coveredQuery := `count(count_over_time(stripe_up{job="stripe-accounts"}[` + window + `]))`
	waitFor(t, 3*interval+time.Minute, "every account to be scraped", func() bool {
		r := query(t, prom, coveredQuery)
		return len(r) == 1 && int(r[0].value()) == accounts
	})

	from := time.Now()
	var rss []int64
	for range intervals {
		time.Sleep(interval)
		rss = append(rss, exporter.StatusKB(t, "VmRSS"))
	}
	// Every quarter interval, every account must have been scraped within
	// the last interval and a quarter: a skipped scrape leaves a gap of two
	// intervals, which some of these points fall in. The quarter absorbs
	// the scrape timestamps' jitter.
	step := interval / 4
	coveredMin := accounts
	for _, v := range queryRange(t, prom, coveredQuery, from, time.Now(), step) {
		coveredMin = min(coveredMin, int(v))
	}
	if coveredMin != accounts {
		t.Errorf("at some point only %d of %d accounts had been scraped within the last %s", coveredMin, accounts, window)
	}
	if failed := queryRange(t, prom, `count(stripe_up{job="stripe-accounts"} == 0)`, from, time.Now(), step); len(failed) > 0 {
		t.Errorf("scrapes with stripe_up 0: %v", failed)
	}
	peakRSS := exporter.StatusKB(t, "VmHWM")
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

	report := fmt.Sprintf("accounts=%d interval=%v intervals=%d delay=%v rate_limit=%d/s probe_share=%g min_accounts_covered_per_interval=%d peak_requests_per_second=%d rss_kib_per_interval=%s peak_rss_kib=%d",
		accounts, interval, intervals, delay, rateLimit, probeShare, coveredMin, peakRate,
		strings.Trim(strings.Join(strings.Fields(fmt.Sprint(rss)), ","), "[]"), peakRSS)
	t.Log(report)
	if path := os.Getenv("SCALE_REPORT"); path != "" {
		writeFile(t, path, report+"\n")
	}
}

// startProbePrometheus runs Prometheus with the stripe-accounts job of
// dashboards/prometheus-probe.yml, its addresses and intervals changed to
// the test's.
func startProbePrometheus(t *testing.T, prometheus, dir, exporterAddr string, interval time.Duration) string {
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
	return runPrometheus(t, prometheus, dir, map[string]any{
		"global":         map[string]any{"scrape_interval": iv, "evaluation_interval": iv},
		"scrape_configs": []any{job},
	})
}

// queryRange evaluates q from start to end every step and returns the
// values of its single series (none where q returns nothing).
func queryRange(t *testing.T, prom, q string, start, end time.Time, step time.Duration) []float64 {
	t.Helper()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Values [][2]any `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	// Times in milliseconds: truncating the start to the second could
	// evaluate a point before the warm-up had covered every account.
	getJSON(t, fmt.Sprintf("%s/api/v1/query_range?query=%s&start=%.3f&end=%.3f&step=%gs", prom, url.QueryEscape(q),
		float64(start.UnixMilli())/1000, float64(end.UnixMilli())/1000, step.Seconds()), &r)
	if r.Status != "success" {
		t.Fatalf("query_range %s: %s", q, r.Error)
	}
	var out []float64
	for _, s := range r.Data.Result {
		for _, v := range s.Values {
			f, _ := strconv.ParseFloat(v[1].(string), 64)
			out = append(out, f)
		}
	}
	return out
}
