package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/go-kit/log"
	"github.com/go-logfmt/logfmt"

	"github.com/stripe-exporter/stripe_exporter/collector"
	"github.com/stripe-exporter/stripe_exporter/internal/exportertest"
	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

func TestMain(m *testing.M) { exportertest.Main(m) }

func TestBuildTargets(t *testing.T) {
	got, byAccount, err := buildTargets(
		[]string{"acct_1A", "acct_1B", "acct_1A"},
		[]string{"txn_1", "acct_1B/txn_2", "txn_1", "txn_3", "acct_1Z/txn_4"},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := []collector.Target{
		{Transactions: []string{"txn_1", "txn_3"}},
		{Account: "acct_1A"},
		{Account: "acct_1B", Transactions: []string{"txn_2"}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("buildTargets = %v, want %v", got, want)
	}
	// acct_1Z is not listed: its transaction is for /probe only.
	wantByAccount := map[string][]string{"": {"txn_1", "txn_3"}, "acct_1B": {"txn_2"}, "acct_1Z": {"txn_4"}}
	if fmt.Sprint(byAccount) != fmt.Sprint(wantByAccount) {
		t.Errorf("transactions by account = %v, want %v", byAccount, wantByAccount)
	}

	for _, tc := range []struct {
		accounts, txns []string
		wantErr        []string
	}{
		{accounts: []string{"cus_1A"}, wantErr: []string{"--stripe.account", `"cus_1A"`, "acct_"}},
		{accounts: []string{"acct 1"}, wantErr: []string{`"acct 1"`}},
		{txns: []string{"txn-1"}, wantErr: []string{"--stripe.balance-transaction", `"txn-1"`}},
		{txns: []string{"txn_1;drop"}, wantErr: []string{`"txn_1;drop"`}},
		{txns: []string{""}, wantErr: []string{`""`}},
		{txns: []string{"cus_1/txn_1"}, wantErr: []string{`"cus_1/txn_1"`, "acct_"}},
		{txns: []string{"acct_1Z/bad-id"}, wantErr: []string{`"acct_1Z/bad-id"`}},
	} {
		_, _, err := buildTargets(tc.accounts, tc.txns)
		if err == nil {
			t.Errorf("buildTargets(%q, %q) succeeded, want an error", tc.accounts, tc.txns)
			continue
		}
		for _, w := range tc.wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("buildTargets(%q, %q) error %q does not mention %q", tc.accounts, tc.txns, err, w)
			}
		}
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte("rk_test_fromfile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyFile := filepath.Join(dir, "empty")
	if err := os.WriteFile(emptyFile, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(v string) func(string) string {
		return func(name string) string {
			if name == keyEnv {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name    string
		env     string
		file    string
		want    string
		wantErr []string
	}{
		{name: "env", env: "rk_test_fromenv", want: "rk_test_fromenv"},
		{name: "file", file: keyFile, want: "rk_test_fromfile"},
		{name: "neither", wantErr: []string{"STRIPE_API_KEY", "--stripe.api-key-file"}},
		{name: "both", env: "rk_test_x", file: keyFile, wantErr: []string{"STRIPE_API_KEY", "--stripe.api-key-file", "only one"}},
		{name: "empty file", file: emptyFile, wantErr: []string{"empty"}},
		{name: "missing file", file: filepath.Join(dir, "nope"), wantErr: []string{"--stripe.api-key-file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadKey(env(tc.env), tc.file)
			if tc.wantErr == nil {
				if err != nil || got != tc.want {
					t.Fatalf("loadKey = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("loadKey = %q, want an error", got)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestScrapeTimeout(t *testing.T) {
	for _, tc := range []struct {
		header        string
		limit, offset time.Duration
		want          time.Duration
	}{
		{header: "", limit: 10 * time.Second, offset: time.Second / 2, want: 10 * time.Second},
		{header: "5", limit: 10 * time.Second, offset: time.Second / 2, want: 4500 * time.Millisecond},
		{header: "30", limit: 10 * time.Second, offset: time.Second / 2, want: 10 * time.Second},
		{header: "0.25", limit: 10 * time.Second, offset: time.Second / 2, want: 125 * time.Millisecond},
		{header: "junk", limit: 7 * time.Second, offset: time.Second / 2, want: 7 * time.Second},
		{header: "-3", limit: 7 * time.Second, offset: time.Second / 2, want: 7 * time.Second},
		{header: "NaN", limit: 7 * time.Second, offset: time.Second / 2, want: 7 * time.Second},
		{header: "Inf", limit: 7 * time.Second, offset: time.Second / 2, want: 7 * time.Second},
		{header: "1e300", limit: 7 * time.Second, offset: time.Second / 2, want: 7 * time.Second},
		{header: "0.5", limit: 7 * time.Second, offset: time.Second / 2, want: 250 * time.Millisecond},
		{header: "0.2", limit: 7 * time.Second, offset: time.Second / 2, want: 100 * time.Millisecond},
	} {
		h := http.Header{}
		if tc.header != "" {
			h.Set("X-Prometheus-Scrape-Timeout-Seconds", tc.header)
		}
		if got := scrapeTimeout(h, tc.limit, tc.offset, log.NewNopLogger()); got != tc.want {
			t.Errorf("scrapeTimeout(%q, %v, %v) = %v, want %v", tc.header, tc.limit, tc.offset, got, tc.want)
		}
	}
}

func TestStartupErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		key      string
		wantCode int
		want     []string
	}{
		{name: "no key", wantCode: 1, want: []string{"STRIPE_API_KEY", "--stripe.api-key-file"}},
		{name: "publishable key", key: "pk_test_abc", wantCode: 1, want: []string{"publishable", "rk_"}},
		{name: "bad transaction", key: stripetest.Key, args: []string{"--stripe.balance-transaction=txn_ok", "--stripe.balance-transaction=bad-id"}, wantCode: 1, want: []string{"bad-id"}},
		{name: "bad account", key: stripetest.Key, args: []string{"--stripe.account=1234"}, wantCode: 1, want: []string{`\"1234\"`, "acct_"}},
		{name: "bad url", key: stripetest.Key, args: []string{"--stripe.api-url=api.stripe.com"}, wantCode: 1, want: []string{"api.stripe.com", "https://"}},
		{name: "credentials in url", key: stripetest.Key, args: []string{"--stripe.api-url=https://sk_live_inURL:@api.stripe.com"}, wantCode: 1, want: []string{"user information"}},
		{name: "bad rate", key: stripetest.Key, args: []string{"--stripe.rate-limit=0"}, wantCode: 1, want: []string{"rate limit"}},
		{name: "probe share of 0", key: stripetest.Key, args: []string{"--probe.rate-limit-share=0"}, wantCode: 1, want: []string{"--probe.rate-limit-share=0", "at most 1"}},
		{name: "probe share over 1", key: stripetest.Key, args: []string{"--probe.rate-limit-share=1.5"}, wantCode: 1, want: []string{"--probe.rate-limit-share=1.5"}},
		{name: "bad timeout", key: stripetest.Key, args: []string{"--stripe.timeout=0s"}, wantCode: 1, want: []string{"--stripe.timeout"}},
		{name: "bad activity interval", key: stripetest.Key, args: []string{"--collector.balance-activity", "--collector.balance-activity.interval=0s"}, wantCode: 1, want: []string{"--collector.balance-activity.interval"}},
		{name: "activity overlap under its minimum", key: stripetest.Key, args: []string{"--collector.balance-activity", "--collector.balance-activity.overlap=1s"}, wantCode: 1, want: []string{"--collector.balance-activity.overlap=1s", "5s or more"}},
		{name: "bad path", key: stripetest.Key, args: []string{"--web.telemetry-path=metrics"}, wantCode: 1, want: []string{"--web.telemetry-path"}},
		{name: "key as a flag", key: stripetest.Key, args: []string{"--stripe.api-key=" + stripetest.Key}, wantCode: 2, want: []string{"unknown long flag"}},
		{name: "bad log level", key: stripetest.Key, args: []string{"--log.level=loud"}, wantCode: 2, want: []string{"--log.level", "loud"}},
		{name: "bad log format", key: stripetest.Key, args: []string{"--log.format=xml"}, wantCode: 2, want: []string{"--log.format", "xml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var env []string
			if tc.key != "" {
				env = []string{keyEnv + "=" + tc.key}
			}
			code, out := exportertest.Run(t, env, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d; output:\n%s", code, tc.wantCode, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output does not mention %q:\n%s", w, out)
				}
			}
			for _, secret := range []string{tc.key, "sk_live_inURL"} {
				if secret != "" && strings.Contains(out, secret) {
					t.Errorf("output contains %s:\n%s", secret, out)
				}
			}
		})
	}
}

// TestServesMetricsAndShutsDown scrapes the exporter, then sends it
// SIGTERM, on which it must exit 0.
func TestServesMetricsAndShutsDown(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetTransaction("", "txn_1Settled", stripetest.SettledTransaction)
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Status: http.StatusServiceUnavailable, Body: "{}"})
	e := startExporter(t, fake, stripetest.Key, "--stripe.balance-transaction=txn_1Settled")

	body := exportertest.Get(t, e.URL+"/metrics", nil)
	for _, want := range []string{
		`stripe_up{account="self"} 1`,
		`stripe_balance_available{account="self",currency="kwd",source_type="card"} 1.234`,
		`stripe_balance_transaction_net{account="self",currency="usd",id="txn_1Settled",reporting_category="charge",status="available",transaction_type="charge"} 9.41`,
		`stripe_exporter_build_info{`,
		`stripe_api_requests_total{code="200",endpoint="balance"} 1`,
		`stripe_api_requests_total{code="503",endpoint="balance"} 1`,
		`stripe_api_retries_total{code="503",endpoint="balance"} 1`,
		`stripe_fetch_errors_total{account="self",endpoint="balance"} 0`,
		`stripe_fetch_errors_total{account="self",endpoint="balance_transaction"} 0`,
		`stripe_scrape_duration_seconds `,
		`promhttp_metric_handler_requests_total{code="200"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if landing := exportertest.Get(t, e.URL+"/", nil); !strings.Contains(landing, `href="/metrics"`) {
		t.Errorf("landing page has no link to /metrics:\n%s", landing)
	}
	if code := e.Stop(); code != 0 {
		t.Errorf("exit code %d after shutdown, want 0; logs:\n%s", code, e.Log)
	}
	if !strings.Contains(e.Log.String(), "shutting down") {
		t.Errorf("no shutdown line in logs:\n%s", e.Log)
	}
}

func TestScrapeTimeoutHeaderBoundsStripeWork(t *testing.T) {
	fake := stripetest.New(t)
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Delay: 30 * time.Second, Body: stripetest.Balance})
	e := startExporter(t, fake, stripetest.Key, "--stripe.timeout-offset=250ms", "--stripe.timeout=2s")

	start := time.Now()
	body := exportertest.Get(t, e.URL+"/metrics", http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"1"}})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("scrape with a 1s timeout took %v", took)
	}
	if !strings.Contains(body, `stripe_up{account="self"} 0`) {
		t.Errorf("a timed-out scrape does not say stripe_up 0:\n%s", body)
	}
}

func TestConcurrentScrapesShareBalanceCall(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Delay: 500 * time.Millisecond, Body: stripetest.Balance})
	e := startExporter(t, fake, stripetest.Key)

	var wg sync.WaitGroup
	bodies := make([]string, 20)
	for i := range bodies {
		wg.Go(func() { bodies[i] = exportertest.Get(t, e.URL+"/metrics", nil) })
	}
	wg.Wait()
	for i, b := range bodies {
		if !strings.Contains(b, `stripe_up{account="self"} 1`) {
			t.Errorf("scrape %d lacks stripe_up 1", i)
		}
	}
	if n := fake.Calls(stripetest.BalanceRoute("")); n != 1 {
		t.Errorf("20 simultaneous scrapes made %d balance calls, want 1", n)
	}
}

// TestKeyNeverLeaks makes Stripe answer 401 with the whole key in its
// message, as a misbehaving proxy might, and looks for the key everywhere the
// exporter writes, and in its command line.
func TestKeyNeverLeaks(t *testing.T) {
	const key = "rk_test_51LeakCanaryDoNotPrintMe"
	fake := stripetest.New(t)
	fake.SetKey("rk_test_someOtherKey")
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{
		Status: http.StatusUnauthorized,
		Body:   stripetest.ErrorBody("invalid_request_error", "", "Invalid API Key provided: "+key),
	})
	fake.Script(stripetest.TransactionRoute("", "txn_1X"), stripetest.Response{
		Status: http.StatusOK,
		Body:   "<html>not json " + key + "</html>",
	})
	e := startExporter(t, fake, key, "--stripe.balance-transaction=txn_1X", "--log.level=debug")
	body := exportertest.Get(t, e.URL+"/metrics", nil)
	body += exportertest.Get(t, e.URL+"/metrics", nil) // the second one meets the fake's plain 401
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", e.PID))
	if err != nil {
		t.Fatal(err)
	}
	e.Stop()

	if !strings.Contains(body, `stripe_up{account="self"} 0`) {
		t.Errorf("401 did not give stripe_up 0:\n%s", body)
	}
	logs := e.Log.String()
	if !strings.Contains(logs, "status=401") {
		t.Errorf("no log line for the 401:\n%s", logs)
	}
	for what, text := range map[string]string{"metrics": body, "logs": logs, "command line": string(cmdline)} {
		if strings.Contains(text, key) {
			t.Errorf("the API key appears in the %s", what)
		}
	}
}

// TestKeyNeverLeaksInAnyForm has Stripe, or a proxy in front of it, quote
// the key in every form stripetest.KeyForms makes (escaped for JSON, URL-
// encoded, as HTML references, split, cut, in upper case...) in every part
// of an error answer, a good answer after each so that each failure is
// logged, and checks that no form of the key reaches the logs or /metrics.
func TestKeyNeverLeaksInAnyForm(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	good := stripetest.Response{Status: http.StatusOK, Body: stripetest.Balance}
	forms := stripetest.KeyForms(stripetest.Key)
	var failures int
	for _, f := range forms {
		echo, err := json.Marshal(map[string]string{"echo": f.Text})
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []stripetest.Response{
			// Stripe's error type, code and message, and the request ID.
			{Status: http.StatusBadRequest, Body: stripetest.ErrorBody(f.Text, f.Text, "key: "+f.Text), Header: http.Header{"Request-Id": {f.Text}}},
			// JSON without an error, which the SDK quotes whole.
			{Status: http.StatusConflict, Body: string(echo)},
			// Not JSON.
			{Status: http.StatusBadGateway, Body: "upstream error for Bearer " + f.Text},
		} {
			fake.Script(stripetest.BalanceRoute(""), bad, good)
			failures++
		}
	}
	e := startExporter(t, fake, stripetest.Key, "--stripe.max-retries=0", "--log.level=debug")
	var metrics strings.Builder
	for range 2 * failures {
		metrics.WriteString(exportertest.Get(t, e.URL+"/metrics", nil))
	}
	e.Stop()

	logs := e.Log.String()
	if n := strings.Count(logs, `msg="fetch from Stripe failed"`); n != failures {
		t.Errorf("%d failures logged; want %d", n, failures)
	}
	if n := strings.Count(metrics.String(), `stripe_up{account="self"} 0`); n != failures {
		t.Errorf("%d scrapes with stripe_up 0; want %d", n, failures)
	}
	if !strings.Contains(logs, "withheld: it held the API key") {
		t.Errorf("the logs do not say that parts of the errors were withheld:\n%s", logs)
	}
	// The log's values are looked at decoded too, as its reader sees them.
	texts := map[string]string{"metrics": metrics.String(), "logs": logs}
	d := logfmt.NewDecoder(strings.NewReader(logs))
	for line := 1; d.ScanRecord(); line++ {
		for d.ScanKeyval() {
			texts[fmt.Sprintf("log line %d's %s", line, d.Key())] = string(d.Value())
		}
	}
	if err := d.Err(); err != nil {
		t.Fatalf("the logs are not logfmt: %v", err)
	}
	secret := strings.TrimPrefix(stripetest.Key, "rk_test_")
	for what, text := range texts {
		for _, f := range forms {
			if strings.Contains(text, f.Text) {
				t.Errorf("the %s hold the key %s", what, f.Name)
			}
		}
		// With only letters and digits, in lower case: a key split or
		// re-cased.
		squeezed := strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToLower(r)
			}
			return -1
		}, text)
		for i := 0; i+stripetest.SecretRun <= len(secret); i++ {
			if run := strings.ToLower(secret[i : i+stripetest.SecretRun]); strings.Contains(squeezed, run) {
				t.Errorf("the %s hold %q of the key", what, run)
			}
		}
	}
}

// startExporter runs the exporter against fake with key as its API key,
// and a rate limit that does not space the tests' scrapes out unless args
// set one.
func startExporter(t testing.TB, fake *stripetest.Server, key string, args ...string) *exportertest.Exporter {
	t.Helper()
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--stripe.rate-limit=") }) {
		args = append(args, "--stripe.rate-limit=1000")
	}
	return exportertest.Start(t, []string{keyEnv + "=" + key}, append(args, "--stripe.api-url="+fake.URL)...)
}

func TestSecretKeyWarnsOnce(t *testing.T) {
	const key = "sk_test_51SecretKeyCanary"
	fake := stripetest.New(t)
	fake.SetKey(key)
	fake.SetBalance("", stripetest.Balance)
	e := startExporter(t, fake, key)
	exportertest.Get(t, e.URL+"/metrics", nil)
	exportertest.Get(t, e.URL+"/metrics", nil)
	e.Stop()
	logs := e.Log.String()
	if n := strings.Count(logs, "restricted key (rk_)"); n != 1 {
		t.Errorf("want one warning about the secret key, got %d:\n%s", n, logs)
	}
	if !strings.Contains(logs, "level=warn") {
		t.Errorf("the secret-key message is not a warning:\n%s", logs)
	}
	if strings.Contains(logs, key) {
		t.Error("the key is in the logs")
	}
}

// TestWorldReadableKeyFileWarns: a key file any local user can read is
// named at start-up, without its content; one only its owner reads is not.
func TestWorldReadableKeyFileWarns(t *testing.T) {
	const key = "rk_test_51KeyFileCanary"
	fake := stripetest.New(t)
	fake.SetKey(key)
	fake.SetBalance("", stripetest.Balance)
	for mode, warns := range map[os.FileMode]bool{0o644: true, 0o604: true, 0o640: false, 0o600: false} {
		t.Run(fmt.Sprintf("%04o", mode), func(t *testing.T) {
			keyFile := filepath.Join(t.TempDir(), "stripe.key")
			if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(keyFile, mode); err != nil {
				t.Fatal(err)
			}
			e := exportertest.Start(t, nil, "--stripe.api-key-file="+keyFile, "--stripe.api-url="+fake.URL)
			exportertest.Get(t, e.URL+"/metrics", nil)
			e.Stop()
			logs := e.Log.String()
			if got := strings.Contains(logs, "can be read by every user"); got != warns {
				t.Errorf("warned about the key file's mode: %v, want %v:\n%s", got, warns, logs)
			}
			if strings.Contains(logs, key) {
				t.Error("the key is in the logs")
			}
		})
	}
}

func TestProbe(t *testing.T) {
	const account = "acct_1Probed"
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetBalance(account, stripetest.ConnectedBalance)
	fake.SetTransaction(account, "txn_1Settled", stripetest.SettledTransaction)
	// Any account may be probed, for the one Stripe does not know below.
	e := startExporter(t, fake, stripetest.Key, "--stripe.balance-transaction="+account+"/txn_1Settled", "--probe.allow-any-account")

	body := exportertest.Get(t, e.URL+"/probe?account="+account, http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"5"}})
	for _, want := range []string{
		`stripe_up{account="` + account + `"} 1`,
		`stripe_balance_available{account="` + account + `",currency="gbp",source_type="card"} 9.99`,
		`stripe_balance_transaction_net{account="` + account + `",currency="usd",id="txn_1Settled"`,
		`stripe_scrape_duration_seconds `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/probe lacks %q:\n%s", want, body)
		}
	}
	for _, unwanted := range []string{`account="self"`, "stripe_api_requests_total", "stripe_exporter_build_info", "go_goroutines"} {
		if strings.Contains(body, unwanted) {
			t.Errorf("/probe has %q, which belongs on /metrics only", unwanted)
		}
	}
	if metrics := exportertest.Get(t, e.URL+"/metrics", nil); strings.Contains(metrics, `stripe_up{account="`+account+`"}`) {
		t.Errorf("/metrics scrapes %s, which is not listed with --stripe.account", account)
	}
	if n := fake.Calls(stripetest.BalanceRoute(account)); n != 1 {
		t.Errorf("%s balance fetched %d times, want once (by the probe)", account, n)
	}

	// A probe of an account Stripe does not know says so in its stripe_up,
	// and adds nothing to /metrics.
	if body := exportertest.Get(t, e.URL+"/probe?account=acct_1Unknown", nil); !strings.Contains(body, `stripe_up{account="acct_1Unknown"} 0`) {
		t.Errorf("/probe of an unknown account lacks stripe_up 0:\n%s", body)
	}
	if metrics := exportertest.Get(t, e.URL+"/metrics", nil); strings.Contains(metrics, "acct_1Unknown") {
		t.Errorf("a failed probe left a series on /metrics")
	}

	for query, want := range map[string]string{
		"":                       "missing the account parameter",
		"?account=":              "missing the account parameter",
		"?account=cus_1Customer": `"cus_1Customer" is not a connected account ID`,
		"?account=acct_1%20x":    `"acct_1 x" is not a connected account ID`,
	} {
		r, err := fetch(t, http.DefaultClient, e.URL+"/probe"+query, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, want) {
			t.Errorf("/probe%s: %d %q, want 400 with %q", query, r.status, r.body, want)
		}
	}
}

// TestBalanceActivity runs the exporter with --collector.balance-activity
// and waits for transactions created after its start to be counted.
func TestBalanceActivity(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetBalance("acct_1One", stripetest.Balance)
	e := startExporter(t, fake, stripetest.Key, "--stripe.account=acct_1One",
		"--collector.balance-activity", "--collector.balance-activity.interval=100ms")
	charge := stripetest.Transaction{
		Created:           time.Now().Unix(),
		Currency:          "usd",
		Amount:            1000,
		Fee:               59,
		FeeDetails:        []stripetest.Fee{{Amount: 59, Currency: "usd", Type: "stripe_fee"}},
		Status:            "pending",
		Type:              "charge",
		ReportingCategory: "charge",
	}
	charge.ID = "txn_1A"
	fake.AddTransactions("", charge)
	charge.ID = "txn_1B"
	fake.AddTransactions("acct_1One", charge)

	want := []string{
		`stripe_balance_activity_transactions_total{account="self",currency="usd",reporting_category="charge",type="charge"} 1`,
		`stripe_balance_activity_credit_total{account="acct_1One",currency="usd",reporting_category="charge",type="charge"} 10`,
		`stripe_balance_activity_fees_total{account="acct_1One",currency="usd",fee_type="stripe_fee"} 0.59`,
		`stripe_balance_activity_errors_total{account="self"} 0`,
	}
	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		body = exportertest.Get(t, e.URL+"/metrics", nil)
		if strings.Contains(body, want[0]) && strings.Contains(body, want[1]) {
			break
		}
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %s", w)
		}
	}
}

func TestDiscoveryEndpoint(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetAccounts("acct_1One", "acct_1Two")

	off := startExporter(t, fake, stripetest.Key)
	if r, err := fetch(t, http.DefaultClient, off.URL+"/discovery", "", ""); err != nil || r.status != http.StatusNotFound {
		t.Errorf("/discovery without --discovery.enabled: %d %v, want 404", r.status, err)
	}
	off.Stop()

	e := startExporter(t, fake, stripetest.Key, "--discovery.enabled")
	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		r, err := fetch(t, http.DefaultClient, e.URL+"/discovery", "", "")
		if err != nil {
			t.Fatal(err)
		}
		if r.status == http.StatusOK {
			body = r.body
			break
		}
	}
	for _, want := range []string{`"targets":["acct_1One"]`, `"targets":["acct_1Two"]`, `"__meta_stripe_account_type":"express"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/discovery lacks %s: %s", want, body)
		}
	}
	if m := exportertest.Get(t, e.URL+"/metrics", nil); !strings.Contains(m, "stripe_discovery_accounts 2") {
		t.Errorf("/metrics lacks stripe_discovery_accounts 2")
	}
}

func TestMaxRequestsAnswers503(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetBalance("acct_1Slow", stripetest.ConnectedBalance)
	fake.SetDelay(time.Second)
	e := startExporter(t, fake, stripetest.Key, "--web.max-requests=1", "--probe.allow-any-account")

	// Each endpoint has one slot; a slow scrape of each fills them.
	done := make(chan string, 2)
	go func() { done <- exportertest.Get(t, e.URL+"/metrics", nil) }()
	go func() { done <- exportertest.Get(t, e.URL+"/probe?account=acct_1Slow", nil) }()
	for deadline := time.Now().Add(10 * time.Second); fake.PeakInFlight() < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the two slow scrapes did not reach the fake")
		}
	}
	for _, path := range []string{"/metrics", "/probe?account=acct_1Slow"} {
		r, err := fetch(t, http.DefaultClient, e.URL+path, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "--web.max-requests=1") {
			t.Errorf("third scrape of %s: %d %q, want 503 naming the limit", path, r.status, r.body)
		}
	}
	<-done
	<-done
	if body := exportertest.Get(t, e.URL+"/metrics", nil); !strings.Contains(body, `promhttp_metric_handler_requests_total{code="503"} 1`) {
		t.Errorf("the 503 on /metrics is not counted")
	}
}

func TestPayoutsCollector(t *testing.T) {
	const account = "acct_1Payouts"
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetBalance(account, stripetest.ConnectedBalance)
	fake.AddPayouts("", stripetest.Payout{ID: "po_1Transit", Created: 1767300000, Amount: 150000, Currency: "usd", Status: "in_transit", ArrivalDate: 1767398400})
	fake.AddPayouts(account, stripetest.Payout{ID: "po_1Failed", Created: 1767200000, Amount: 999, Currency: "gbp", Status: "failed", ArrivalDate: 1767225600, FailureCode: "account_closed"})

	off := startExporter(t, fake, stripetest.Key)
	if body := exportertest.Get(t, off.URL+"/metrics", nil); strings.Contains(body, "stripe_payout") {
		t.Error("payout series without --collector.payouts")
	}
	if n := fake.Calls(stripetest.PayoutsRoute("")); n != 0 {
		t.Errorf("%d payout calls without --collector.payouts", n)
	}
	off.Stop()

	e := startExporter(t, fake, stripetest.Key, "--collector.payouts", "--probe.allow-any-account")
	body := exportertest.Get(t, e.URL+"/metrics", nil)
	for _, want := range []string{
		`stripe_payouts_in_flight_amount{account="self",currency="usd",status="in_transit"} 1500`,
		`stripe_payouts_in_flight{account="self",currency="usd",status="in_transit"} 1`,
		`stripe_payout_next_arrival_timestamp_seconds{account="self",currency="usd"} 1.7673984e+09`,
		`stripe_fetch_errors_total{account="self",endpoint="payouts"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	probe := exportertest.Get(t, e.URL+"/probe?account="+account, nil)
	if want := `stripe_payout_last_failed_timestamp_seconds{account="` + account + `",currency="gbp",failure_code="account_closed"} 1.7672256e+09`; !strings.Contains(probe, want) {
		t.Errorf("/probe lacks %s:\n%s", want, probe)
	}
}
