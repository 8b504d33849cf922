// Package e2e proves what ships in dashboards/ against real servers: the
// exporter, scraped by a real Prometheus that loads the shipped rules and
// sends to a real Alertmanager, all on 127.0.0.1, with the project's fake
// Stripe behind the exporter.
package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v2"

	"github.com/stripe-exporter/stripe_exporter/internal/exportertest"
	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

const (
	lowAccount = "acct_1E2ELowBalance"
	dashboards = "../dashboards"
)

// selfBalance holds dollars, euros, yen (zero-decimal), dinars
// (three-decimal) and little refund prefunding; only the connected
// account's pounds are under their threshold.
const selfBalance = `{
  "object": "balance",
  "available": [
    {"amount": 250000, "currency": "usd", "source_types": {"card": 240000, "bank_account": 10000}},
    {"amount": 120050, "currency": "eur", "source_types": {"card": 120050}},
    {"amount": 150000, "currency": "jpy"},
    {"amount": 1234, "currency": "kwd", "source_types": {"card": 1234}}
  ],
  "pending": [{"amount": 5000, "currency": "usd", "source_types": {"card": 5000}}],
  "instant_available": [{"amount": 100000, "currency": "usd", "source_types": {"card": 100000}}],
  "connect_reserved": [{"amount": 700, "currency": "usd"}],
  "issuing": {"available": [{"amount": 30000, "currency": "usd"}]},
  "refund_and_dispute_prefunding": {
    "available": [{"amount": 2500, "currency": "usd"}],
    "pending": [{"amount": 100, "currency": "usd"}]
  }
}`

const lowBalance = `{
  "object": "balance",
  "available": [{"amount": 999, "currency": "gbp", "source_types": {"card": 999}}],
  "pending": [{"amount": 0, "currency": "gbp", "source_types": {"card": 0}}]
}`

// wantAvailable is what Prometheus must hold for stripe_balance_available,
// in major units by Stripe's decimal rules.
var wantAvailable = map[string]float64{
	"self/usd/card":                  2400,
	"self/usd/bank_account":          100,
	"self/usd/unattributed":          0,
	"self/eur/card":                  1200.5,
	"self/eur/unattributed":          0,
	"self/jpy/unattributed":          150000,
	"self/kwd/card":                  1.234,
	"self/kwd/unattributed":          0,
	lowAccount + "/gbp/card":         9.99,
	lowAccount + "/gbp/unattributed": 0,
}

func TestMain(m *testing.M) { exportertest.Main(m) }

func TestMonitoringStack(t *testing.T) {
	prometheus, promtool, alertmanager := prometheusTool(t), promtoolTool(t), alertmanagerTool(t)
	dir := t.TempDir()

	fake := stripetest.New(t)
	fake.SetBalance("", selfBalance)
	fake.SetBalance(lowAccount, lowBalance)
	fake.SetTransaction("", "txn_1E2E", stripetest.SettledTransaction)
	// One failed call, retried, so the retry series exist; txn_1E2EMissing
	// is unknown to the fake, so failed fetches are counted too.
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Status: http.StatusInternalServerError, Body: "{}"})
	// The key's own account has a payout on its way; the connected one's
	// newest payout failed after its last paid one.
	fake.AddPayouts("", stripetest.Payout{ID: "po_1E2ETransit", Created: 1767300000, Amount: 150000, Currency: "usd", Status: "in_transit", ArrivalDate: 1767398400})
	fake.AddPayouts(lowAccount,
		stripetest.Payout{ID: "po_1E2EPaid", Created: 1767100000, Amount: 500, Currency: "gbp", Status: "paid", ArrivalDate: 1767139200},
		stripetest.Payout{ID: "po_1E2EFailed", Created: 1767200000, Amount: 999, Currency: "gbp", Status: "failed", ArrivalDate: 1767225600, FailureCode: "account_closed"},
	)

	exporter := startExporter(t, fake.URL,
		"--collector.payouts",
		"--collector.balance-activity",
		"--collector.balance-activity.interval=1s",
		"--stripe.account="+lowAccount,
		"--stripe.balance-transaction=txn_1E2E",
		"--stripe.balance-transaction=txn_1E2EMissing",
	)
	// Activity is counted from the exporter's start: a charge and a dispute
	// created since.
	now := time.Now().Unix()
	fake.AddTransactions("",
		stripetest.Transaction{ID: "txn_1E2ECharge", Created: now, Currency: "usd", Amount: 10000, Fee: 320,
			FeeDetails: []stripetest.Fee{{Amount: 300, Currency: "usd", Type: "stripe_fee"}, {Amount: 20, Currency: "usd", Type: "tax"}},
			Status:     "pending", Type: "charge", ReportingCategory: "charge"},
		stripetest.Transaction{ID: "txn_1E2ERefund", Created: now, Currency: "usd", Amount: -2500,
			Status: "available", Type: "refund", ReportingCategory: "refund"},
		stripetest.Transaction{ID: "txn_1E2EDispute", Created: now, Currency: "usd", Amount: -5000, Fee: 1500,
			FeeDetails: []stripetest.Fee{{Amount: 1500, Currency: "usd", Type: "stripe_fee"}},
			Status:     "available", Type: "adjustment", ReportingCategory: "dispute"},
	)
	am := startAlertmanager(t, alertmanager, dir)
	prom := startPrometheus(t, prometheus, dir, exporter.Addr, am)

	// Enough samples for every rate() in the dashboard.
	waitFor(t, 60*time.Second, "Prometheus to have 10 scrapes of the exporter", func() bool {
		r := query(t, prom, `count_over_time(up{job="stripe"}[1m])`)
		return len(r) == 1 && r[0].value() >= 10
	})

	t.Run("scraped values equal the fake's", func(t *testing.T) {
		got := map[string]float64{}
		for _, s := range query(t, prom, `stripe_balance_available`) {
			got[s.Metric["account"]+"/"+s.Metric["currency"]+"/"+s.Metric["source_type"]] = s.value()
		}
		if fmt.Sprint(got) != fmt.Sprint(wantAvailable) {
			t.Errorf("stripe_balance_available in Prometheus:\n  %v\nwant\n  %v", got, wantAvailable)
		}
		for q, want := range map[string]float64{
			`stripe_balance_issuing_available{account="self",currency="usd"}`:                       300,
			`stripe_balance_refund_and_dispute_prefunding_available{account="self",currency="usd"}`: 25,
			`stripe_balance_transaction_fee{id="txn_1E2E"}`:                                         0.59,
			`stripe_balance_transaction_fee_detail{id="txn_1E2E",fee_type="tax"}`:                   0.09,
			`stripe_up{account="` + lowAccount + `"}`:                                               1,
			`stripe_payouts_in_flight_amount{account="self",currency="usd",status="in_transit"}`:    1500,
			`stripe_balance_activity_credit_total{account="self",reporting_category="charge"}`:      100,
			`stripe_balance_activity_debit_total{account="self",reporting_category="dispute"}`:      50,
			`stripe_balance_activity_fees_total{account="self",fee_type="stripe_fee"}`:              18,
		} {
			r := query(t, prom, q)
			if len(r) != 1 || r[0].value() != want {
				t.Errorf("%s = %v, want %v", q, r, want)
			}
		}
	})

	t.Run("every dashboard query returns data", func(t *testing.T) {
		exprs, vars := dashboardQueries(t)
		if len(exprs) < 20 || len(vars) != 3 {
			t.Fatalf("found %d panel queries and %d variables; the dashboard walk is broken", len(exprs), len(vars))
		}
		for _, e := range exprs {
			if r := query(t, prom, substitute(e)); len(r) == 0 {
				t.Errorf("panel query returns nothing: %s", e)
			}
		}
		for _, v := range vars {
			m := labelValuesRE.FindStringSubmatch(v)
			if m == nil {
				t.Errorf("variable query is not label_values(selector, label): %s", v)
				continue
			}
			if values := labelValues(t, prom, substitute(m[1]), m[2]); len(values) == 0 {
				t.Errorf("variable query returns nothing: %s", v)
			}
		}
	})

	t.Run("request latency arrives as a native histogram", func(t *testing.T) {
		const balance = `{job="stripe",endpoint="balance"}`
		r := query(t, prom, `stripe_api_request_duration_seconds`+balance)
		if len(r) != 1 || len(r[0].Histogram) != 2 {
			t.Fatalf("stripe_api_request_duration_seconds%s = %+v, want one native histogram", balance, r)
		}
		var h struct {
			Count   string            `json:"count"`
			Buckets []json.RawMessage `json:"buckets"`
		}
		err := json.Unmarshal(r[0].Histogram[1], &h)
		if count, _ := strconv.ParseFloat(h.Count, 64); err != nil || count == 0 || len(h.Buckets) == 0 {
			t.Errorf("native histogram %s (%v): want observations in buckets", r[0].Histogram[1], err)
		}
		// Only scrapes call the balance endpoint, and a scrape observes its
		// calls before it answers, so each scraped histogram counts what the
		// request counter of the same scrape counts.
		agree := `histogram_count(stripe_api_request_duration_seconds` + balance + `)
		  == on (job, instance) sum by (job, instance) (stripe_api_requests_total` + balance + `)`
		if r := query(t, prom, agree); len(r) != 1 {
			t.Errorf("the native histogram's count differs from the balance requests counted: %s = %+v", agree, r)
		}
	})

	t.Run("promtool check metrics on a real scrape", func(t *testing.T) {
		body := exportertest.Get(t, exporter.URL+"/metrics", nil)
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(body)
		out, err := cmd.CombinedOutput()
		if err != nil || len(out) != 0 {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	})

	t.Run("low balance alert reaches Alertmanager", func(t *testing.T) {
		low := waitAlerts(t, am, "StripeBalanceLow")
		if len(low) != 1 {
			t.Fatalf("StripeBalanceLow alerts: %+v, want only the one for %s in gbp", low, lowAccount)
		}
		a := low[0]
		for k, want := range map[string]string{
			"alertname": "StripeBalanceLow", "severity": "warning", "job": "stripe",
			"account": lowAccount, "currency": "gbp", "instance": exporter.Addr,
		} {
			if a.Labels[k] != want {
				t.Errorf("label %s = %q, want %q (labels %v)", k, a.Labels[k], want, a.Labels)
			}
		}
		if want := "Stripe balance of " + lowAccount + " is low in GBP"; a.Annotations["summary"] != want {
			t.Errorf("summary = %q, want %q", a.Annotations["summary"], want)
		}
		if want := "The available balance of Stripe account " + lowAccount + " is 9.99 GBP, below the threshold of 100.00 GBP."; a.Annotations["description"] != want {
			t.Errorf("description = %q, want %q", a.Annotations["description"], want)
		}
		if down := alertsNamed(t, am, "StripeExporterDown"); len(down) != 0 {
			t.Errorf("StripeExporterDown fires while the exporter is up: %+v", down)
		}
	})

	t.Run("payout failed alert reaches Alertmanager", func(t *testing.T) {
		failed := waitAlerts(t, am, "StripePayoutFailed")
		if len(failed) != 1 {
			t.Fatalf("StripePayoutFailed alerts: %+v, want only the one for %s", failed, lowAccount)
		}
		for k, want := range map[string]string{
			"severity": "critical", "account": lowAccount, "currency": "gbp", "failure_code": "account_closed", "instance": exporter.Addr,
		} {
			if failed[0].Labels[k] != want {
				t.Errorf("label %s = %q, want %q (labels %v)", k, failed[0].Labels[k], want, failed[0].Labels)
			}
		}
	})

	t.Run("dispute alert reaches Alertmanager", func(t *testing.T) {
		disputes := waitAlerts(t, am, "StripeDisputeReceived")
		if len(disputes) != 1 || disputes[0].Labels["account"] != "self" || disputes[0].Labels["currency"] != "usd" {
			t.Errorf("StripeDisputeReceived alerts: %+v, want one for self in usd", disputes)
		}
		if stale := alertsNamed(t, am, "StripeBalanceActivityStale"); len(stale) != 0 {
			t.Errorf("StripeBalanceActivityStale fires while activity is listed: %+v", stale)
		}
	})

	t.Run("balance activity stale alert fires when listing fails", func(t *testing.T) {
		failures := make([]stripetest.Response, 1000)
		for i := range failures {
			failures[i] = stripetest.Response{Status: http.StatusInternalServerError, Body: "{}"}
		}
		fake.Script(stripetest.BalanceTransactionsRoute(""), failures...)
		stale := waitAlerts(t, am, "StripeBalanceActivityStale")
		if stale[0].Labels["account"] != "self" || stale[0].Labels["instance"] != exporter.Addr {
			t.Errorf("StripeBalanceActivityStale = %+v, want it for self at %s", stale[0], exporter.Addr)
		}
	})

	t.Run("exporter down alert fires when the exporter stops", func(t *testing.T) {
		if code := exporter.Stop(); code != 0 {
			t.Errorf("the exporter exited with code %d on SIGTERM, want 0", code)
		}
		down := waitAlerts(t, am, "StripeExporterDown")
		if a := down[0]; a.Labels["severity"] != "critical" || a.Labels["instance"] != exporter.Addr ||
			!strings.Contains(a.Annotations["description"], exporter.Addr) {
			t.Errorf("StripeExporterDown = %+v", a)
		}
	})
}

// TestPromtool runs promtool's own checks on the shipped files.
func TestPromtool(t *testing.T) {
	promtool := promtoolTool(t)
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml", "thresholds.yml"},
		{"check", "config", "prometheus.yml"},
		{"check", "config", "prometheus-probe.yml"},
		{"test", "rules", "alerts_test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dashboards
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// The Debian packages' programs, which `make test` installs.
const debianInstall = "install the Debian package %s (`make debian-packages`)"

func prometheusTool(t *testing.T) string {
	t.Helper()
	return exportertest.Tool(t, "PROMETHEUS", "prometheus", fmt.Sprintf(debianInstall, "prometheus"))
}

func promtoolTool(t *testing.T) string {
	t.Helper()
	return exportertest.Tool(t, "PROMTOOL", "promtool", fmt.Sprintf(debianInstall, "prometheus"))
}

func alertmanagerTool(t *testing.T) string {
	t.Helper()
	return exportertest.Tool(t, "ALERTMANAGER", "prometheus-alertmanager", fmt.Sprintf(debianInstall, "prometheus-alertmanager"))
}

// startExporter runs the exporter against the fake Stripe at stripeURL.
func startExporter(t *testing.T, stripeURL string, args ...string) *exportertest.Exporter {
	t.Helper()
	return exportertest.Start(t, []string{exportertest.KeyEnv + "=" + stripetest.Key}, append(args, "--stripe.api-url="+stripeURL)...)
}

// startServer runs Prometheus or Alertmanager on a free port of 127.0.0.1
// and returns its URL once it is ready.
func startServer(t *testing.T, bin string, args ...string) string {
	t.Helper()
	_, m := exportertest.StartProcess(t, exec.Command(bin, append(args, "--web.listen-address=127.0.0.1:0")...), exportertest.Listening)
	base := "http://" + m[1]
	waitFor(t, 60*time.Second, base+" to be ready", func() bool {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return base
}

func startAlertmanager(t *testing.T, alertmanager, dir string) string {
	t.Helper()
	cfg := filepath.Join(dir, "alertmanager.yml")
	writeFile(t, cfg, `
route:
  receiver: none
  group_by: [alertname, account, currency, instance]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: none
`)
	return startServer(t, alertmanager,
		"--config.file="+cfg,
		"--storage.path="+filepath.Join(dir, "alertmanager"),
		"--cluster.listen-address=",
	)
}

// startPrometheus runs Prometheus with dashboards/prometheus.yml, changed
// only where a test must: addresses, and intervals, `for` durations and the
// stale-activity threshold cut to seconds so alerts fire within the test.
// It also scrapes native histograms, as users who want them would.
func startPrometheus(t *testing.T, prometheus, dir, exporterAddr, amURL string) string {
	t.Helper()
	var cfg map[string]any
	readYAML(t, filepath.Join(dashboards, "prometheus.yml"), &cfg)
	cfg["global"] = map[string]any{"scrape_interval": "1s", "evaluation_interval": "1s"}
	cfg["alerting"] = map[string]any{"alertmanagers": []any{map[string]any{
		"static_configs": []any{map[string]any{"targets": []string{strings.TrimPrefix(amURL, "http://")}}},
	}}}
	var rules []string
	for _, f := range cfg["rule_files"].([]any) {
		name := f.(string)
		var r map[string]any
		readYAML(t, filepath.Join(dashboards, name), &r)
		for _, g := range r["groups"].([]any) {
			for _, rule := range g.(map[any]any)["rules"].([]any) {
				rm := rule.(map[any]any)
				if rm["for"] != nil {
					rm["for"] = "2s"
				}
				if rm["alert"] == "StripeBalanceActivityStale" {
					rm["expr"] = strings.ReplaceAll(rm["expr"].(string), "> 900", "> 5")
				}
			}
		}
		if name == "thresholds.yml" {
			// It ships with no threshold set; the test sets one as a user
			// would, for the low-balance alert to fire.
			r["groups"].([]any)[0].(map[any]any)["rules"] = []any{map[string]any{
				"record": "stripe:balance_available:low_threshold",
				"expr":   "vector(100)",
				"labels": map[string]string{"currency": "gbp"},
			}}
		}
		path := filepath.Join(dir, name)
		writeYAML(t, path, r)
		rules = append(rules, path)
	}
	cfg["rule_files"] = rules
	// Prometheus 3.8 and later scrape native histograms when the job says
	// so, and keep the classic buckets too only when asked. Before, a
	// feature flag turns them on instead (their config refuses the key),
	// and Debian's 2.42 can keep only the native histogram.
	var flags []string
	major, minor := prometheusVersion(t, prometheus)
	nativeInConfig := major > 3 || major == 3 && minor >= 8
	if !nativeInConfig {
		flags = append(flags, "--enable-feature=native-histograms")
	}
	found := false
	for _, sc := range cfg["scrape_configs"].([]any) {
		m := sc.(map[any]any)
		if m["job_name"] == "stripe" {
			found = true
			m["scrape_interval"] = "1s"
			m["scrape_timeout"] = "1s"
			m["static_configs"] = []any{map[string]any{"targets": []string{exporterAddr}}}
			if nativeInConfig {
				m["scrape_native_histograms"] = true
				m["always_scrape_classic_histograms"] = true
			}
		}
	}
	if !found {
		t.Fatal(`dashboards/prometheus.yml has no "stripe" job`)
	}
	return runPrometheus(t, prometheus, dir, cfg, flags...)
}

var versionRE = regexp.MustCompile(`version ((\d+)\.(\d+)\.\S+)`)

// prometheusVersion returns the major and minor version that `prometheus
// --version` prints, and logs the version, which tells what a run tested.
func prometheusVersion(t *testing.T, prometheus string) (major, minor int) {
	t.Helper()
	out, err := exec.Command(prometheus, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", prometheus, err, out)
	}
	m := versionRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("%s --version names no version (built without -X github.com/prometheus/common/version.Version=...?):\n%s", prometheus, out)
	}
	t.Logf("%s is Prometheus %s", prometheus, m[1])
	major, _ = strconv.Atoi(string(m[2]))
	minor, _ = strconv.Atoi(string(m[3]))
	return major, minor
}

// runPrometheus writes cfg into dir, runs Prometheus with it and flags on a
// free port of 127.0.0.1, and returns its URL once it is ready.
func runPrometheus(t *testing.T, prometheus, dir string, cfg map[string]any, flags ...string) string {
	t.Helper()
	path := filepath.Join(dir, "prometheus.yml")
	writeYAML(t, path, cfg)
	return startServer(t, prometheus, append([]string{
		"--config.file=" + path,
		"--storage.tsdb.path=" + filepath.Join(dir, "tsdb"),
	}, flags...)...)
}

// dashboardQueries returns every panel query and template variable query
// of the shipped dashboard.
func dashboardQueries(t *testing.T) (exprs, vars []string) {
	t.Helper()
	d := readDashboard(t)
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				exprs = append(exprs, tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			vars = append(vars, v.queryText())
		}
	}
	return exprs, vars
}

var labelValuesRE = regexp.MustCompile(`^label_values\((.+),\s*(\w+)\)$`)

// substitute replaces Grafana's variables as a user would pick them: the
// exporter's job, "All" accounts and currencies, and $__rate_interval with a
// window of several scrapes.
func substitute(q string) string {
	return strings.NewReplacer(
		"$__rate_interval", "20s",
		"$job", "stripe",
		"$account", ".*",
		"$currency", ".*",
	).Replace(q)
}

type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
	// Histogram, [time, histogram], is there instead of Value for a
	// native histogram.
	Histogram []json.RawMessage `json:"histogram"`
}

func (s sample) value() float64 {
	v, _ := strconv.ParseFloat(s.Value[1].(string), 64)
	return v
}

func query(t *testing.T, prom, q string) []sample {
	t.Helper()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string   `json:"resultType"`
			Result     []sample `json:"result"`
		} `json:"data"`
	}
	getJSON(t, prom+"/api/v1/query?query="+url.QueryEscape(q), &r)
	if r.Status != "success" {
		t.Errorf("query %s: %s", q, r.Error)
	}
	return r.Data.Result
}

func labelValues(t *testing.T, prom, selector, label string) []string {
	t.Helper()
	var r struct {
		Data []string `json:"data"`
	}
	getJSON(t, prom+"/api/v1/label/"+label+"/values?match[]="+url.QueryEscape(selector), &r)
	return r.Data
}

type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// waitAlerts waits up to a minute for Alertmanager to hold alerts named
// name, and returns them.
func waitAlerts(t *testing.T, am, name string) []amAlert {
	t.Helper()
	var alerts []amAlert
	waitFor(t, 60*time.Second, name+" in Alertmanager", func() bool {
		alerts = alertsNamed(t, am, name)
		return len(alerts) > 0
	})
	return alerts
}

func alertsNamed(t *testing.T, am, name string) []amAlert {
	t.Helper()
	var all []amAlert
	getJSON(t, am+"/api/v2/alerts?active=true&filter="+url.QueryEscape(`alertname="`+name+`"`), &all)
	return all
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(exportertest.Get(t, u, nil)), v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out after %v waiting for %s", limit, what)
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func writeYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, string(b))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
