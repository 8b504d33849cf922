package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

type dashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []templateVar `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type templateVar struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource *datasource     `json:"datasource"`
}

// queryText returns a query variable's query, which Grafana stores either
// as a string or as an object holding one.
func (v templateVar) queryText() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(v.Query, &o)
	return o.Query
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID         int         `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *datasource `json:"datasource"`
	Targets    []struct {
		Expr       string      `json:"expr"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dashboards, "stripe-balance.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("stripe-balance.json: %v", err)
	}
	return d
}

// TestDashboardShape checks what makes the dashboard importable and
// provisionable as it is; TestMonitoringStack runs its queries.
func TestDashboardShape(t *testing.T) {
	d := readDashboard(t)
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 36 {
		t.Errorf("uid %q, title %q, schemaVersion %d: want a uid, a title and a current schema", d.UID, d.Title, d.SchemaVersion)
	}
	vars := map[string]templateVar{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v, ok := vars["datasource"]; !ok || v.Type != "datasource" || v.queryText() != "prometheus" {
		t.Errorf("no Prometheus datasource variable named datasource: %+v", v)
	}
	for _, name := range []string{"account", "currency"} {
		v, ok := vars[name]
		if !ok || v.Type != "query" || !strings.HasPrefix(v.queryText(), "label_values(") {
			t.Errorf("variable %s is not a label_values query: %+v", name, v)
		}
	}

	rate := regexp.MustCompile(`\b(rate|irate|increase)\(`)
	seen := map[int]bool{}
	kinds := map[string]int{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if seen[p.ID] {
				t.Errorf("panel id %d is used twice", p.ID)
			}
			seen[p.ID] = true
			kinds[p.Type]++
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q does not use the datasource variable: %+v", p.Title, p.Datasource)
			}
			for _, tg := range p.Targets {
				if tg.Datasource != nil && tg.Datasource.UID != "${datasource}" {
					t.Errorf("a query of panel %q does not use the datasource variable", p.Title)
				}
				if rate.MatchString(tg.Expr) && !strings.Contains(tg.Expr, "[$__rate_interval]") {
					t.Errorf("panel %q takes a rate without $__rate_interval: %s", p.Title, tg.Expr)
				}
			}
		}
	}
	walk(d.Panels)
	for _, k := range []string{"stat", "timeseries", "table"} {
		if kinds[k] == 0 {
			t.Errorf("no %s panel", k)
		}
	}

	// Every balance family, every payout metric, the balance-activity
	// counters and every health metric the exporter has are on the dashboard.
	exprs, _ := dashboardQueries(t)
	all := strings.Join(exprs, "\n")
	for _, m := range []string{
		"stripe_balance_available", "stripe_balance_pending", "stripe_balance_instant_available",
		"stripe_balance_issuing_available", "stripe_balance_connect_reserved",
		"stripe_balance_refund_and_dispute_prefunding_available", "stripe_balance_refund_and_dispute_prefunding_pending",
		"stripe_balance_transaction_amount", "stripe_balance_transaction_fee{", "stripe_balance_transaction_net",
		"stripe_balance_transaction_fee_detail", "stripe_balance_transaction_available_on_timestamp_seconds",
		"stripe_up", "stripe_api_requests_total", "stripe_api_retries_total", "stripe_api_request_duration_seconds_bucket",
		"stripe_scrape_duration_seconds", "stripe_fetch_errors_total",
		"stripe_payouts_in_flight_amount", "stripe_payouts_in_flight{", "stripe_payout_next_arrival_timestamp_seconds",
		"stripe_payout_last_paid_timestamp_seconds", "stripe_payout_last_failed_timestamp_seconds",
		"stripe_balance_activity_fees_total", "stripe_balance_activity_credit_total",
		"stripe_balance_activity_debit_total", "stripe_balance_activity_transactions_total",
	} {
		if !strings.Contains(all, m) {
			t.Errorf("no panel queries %s", m)
		}
	}
}

// TestEveryAlertHasUnitTests checks that alerts_test.yml makes each alert
// in alerts.yml both fire and stay quiet.
func TestEveryAlertHasUnitTests(t *testing.T) {
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	readYAML(t, filepath.Join(dashboards, "alerts.yml"), &rules)
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	readYAML(t, filepath.Join(dashboards, "alerts_test.yml"), &tests)
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			if !fires[r.Alert] || !quiet[r.Alert] {
				t.Errorf("alert %s: a unit test where it fires %v, where it stays quiet %v; want both", r.Alert, fires[r.Alert], quiet[r.Alert])
			}
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("alert %s lacks a severity, summary or description", r.Alert)
			}
		}
	}
	if n < 6 {
		t.Errorf("found %d alerts in alerts.yml; the walk is broken", n)
	}
}
