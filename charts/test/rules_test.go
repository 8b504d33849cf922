package charttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// ruleFile is a Prometheus rule file, whose groups have the fields of the
// Prometheus Operator's rule groups.
type ruleFile struct {
	Groups []monitoringv1.RuleGroup `json:"groups"`
}

func readRuleFile(t *testing.T, name string) ruleFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "dashboards", name))
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := decodeStrict(b, &f); err != nil {
		t.Fatalf("dashboards/%s: %v", name, err)
	}
	return f
}

// checkRules checks the PrometheusRule rendered from full-values.yaml: the
// groups of the two files, with the thresholds set in values, and promtool
// finds the rules valid and the low-balance alerts firing against those
// thresholds.
func checkRules(t *testing.T, pr *monitoringv1.PrometheusRule) {
	t.Helper()
	if pr.Labels["release"] != "prometheus" {
		t.Errorf("PrometheusRule labels = %v, want release=prometheus from values", pr.Labels)
	}
	var thresholds []monitoringv1.Rule
	for _, th := range []struct {
		record, currency, amount string
	}{
		{"stripe:balance_available:low_threshold", "gbp", "100"},
		{"stripe:balance_available:low_threshold", "jpy", "1000000"},
		{"stripe:balance_available:low_threshold", "usd", "1000"},
		{"stripe:balance_available_and_pending:low_threshold", "eur", "5000"},
		{"stripe:refund_and_dispute_prefunding_available:low_threshold", "usd", "99.5"},
	} {
		thresholds = append(thresholds, monitoringv1.Rule{
			Record: th.record,
			Expr:   intstr.FromString("vector(" + th.amount + ")"),
			Labels: map[string]string{"currency": th.currency},
		})
	}
	checkRuleGroups(t, pr, thresholds)
	alerts := readRuleFile(t, "alerts.yml")
	for _, r := range thresholds {
		if !usedByAnAlert(alerts, r.Record) {
			t.Errorf("no alert in alerts.yml uses %s", r.Record)
		}
	}

	promtool := promtoolPath(t)
	dir := t.TempDir()
	rules, err := yaml.Marshal(ruleFile{Groups: pr.Spec.Groups})
	if err != nil {
		t.Fatal(err)
	}
	unitTests, err := os.ReadFile("testdata/rules_test.yml")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"rules.yml": rules, "rules_test.yml": unitTests} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"check", "rules", "rules.yml"}, {"test", "rules", "rules_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// checkRuleGroups checks that the PrometheusRule's groups are
// dashboards/alerts.yml's, then thresholds.yml's group with the threshold
// recording rules from values after any the file holds.
func checkRuleGroups(t *testing.T, pr *monitoringv1.PrometheusRule, thresholds []monitoringv1.Rule) {
	t.Helper()
	alerts := readRuleFile(t, "alerts.yml")
	file := readRuleFile(t, "thresholds.yml")
	groups := pr.Spec.Groups
	if len(groups) != len(alerts.Groups)+1 || len(file.Groups) != 1 {
		t.Fatalf("%d rule groups, want alerts.yml's %d and thresholds.yml's 1 (it has %d)", len(groups), len(alerts.Groups), len(file.Groups))
	}
	for i, want := range alerts.Groups {
		if !reflect.DeepEqual(groups[i], want) {
			t.Errorf("group %d:\n got %+v\nwant %+v (dashboards/alerts.yml)", i, groups[i], want)
		}
	}
	want := file.Groups[0]
	want.Rules = append(want.Rules, thresholds...)
	if got := groups[len(groups)-1]; !reflect.DeepEqual(got, want) {
		t.Errorf("thresholds group:\n got %+v\nwant %+v", got, want)
	}
}

func TestRulesWithoutThresholds(t *testing.T) {
	r := render(t, chartDir, "stripe", "--set", secretArg, "--set", "prometheusRule.enabled=true")
	if got, want := r.kinds(), []string{"Deployment", "PrometheusRule", "Service"}; !slices.Equal(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
	checkRuleGroups(t, r.objects["PrometheusRule"].(*monitoringv1.PrometheusRule), nil)
}

func usedByAnAlert(f ruleFile, record string) bool {
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" && strings.Contains(r.Expr.String(), record) {
				return true
			}
		}
	}
	return false
}
