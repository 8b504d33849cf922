package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"

	"github.com/stripe-exporter/stripe_exporter/activity"
	"github.com/stripe-exporter/stripe_exporter/collector"
	"github.com/stripe-exporter/stripe_exporter/discovery"
)

// readmeTableNames returns the first-column names of the README's table
// rows that start with prefix.
func readmeTableNames(t *testing.T, prefix string) []string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?m)^\\| `(" + regexp.QuoteMeta(prefix) + "[^`]*)` \\|")
	var names []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return names
}

func TestREADMEFlagsMatchCode(t *testing.T) {
	app, _ := newApp()
	var flags []string
	for _, f := range app.Model().Flags {
		if !f.Hidden && f.Name != "help" {
			flags = append(flags, "--"+f.Name)
		}
	}
	slices.Sort(flags)
	if got := readmeTableNames(t, "--"); !slices.Equal(got, flags) {
		t.Errorf("README flags table lists\n  %v\nthe code has\n  %v", got, flags)
	}

	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range app.Model().Flags {
		if f.Hidden || strings.Join(f.Default, "") == "" {
			continue
		}
		row := "| `--" + f.Name + "` | `" + strings.Join(f.Default, ",") + "` |"
		if !strings.Contains(string(b), row) {
			t.Errorf("README flags table has no row starting %s", row)
		}
	}
}

func TestREADMEMetricsMatchCode(t *testing.T) {
	descs := make(chan *prometheus.Desc, 100)
	collector.New(&collector.Result{}, nil).Describe(descs)
	collector.NewMetrics().Describe(descs)
	poller, err := activity.New(nil, activity.Config{Interval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	poller.Describe(descs)
	versioncollector.NewCollector(exporterName).Describe(descs)
	close(descs)
	nameRE := regexp.MustCompile(`fqName: "([^"]+)"`)
	labelsRE := regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var metrics []string
	for d := range descs {
		name := nameRE.FindStringSubmatch(d.String())[1]
		metrics = append(metrics, name)
		if name == exporterName+"_build_info" {
			continue // its labels are constant, set by the version collector
		}
		labels := strings.ReplaceAll(labelsRE.FindStringSubmatch(d.String())[1], ",", ", ")
		row := strings.Replace("| `"+name+"` | "+labels+" |", "|  |", "| |", 1)
		if !strings.Contains(string(b), row) {
			t.Errorf("README metrics table has no row starting %s", row)
		}
	}
	reg := prometheus.NewRegistry()
	discovery.New(nil, time.Minute, time.Minute, log.NewNopLogger(), reg)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		metrics = append(metrics, mf.GetName())
		if row := "| `" + mf.GetName() + "` | |"; !strings.Contains(string(b), row) {
			t.Errorf("README metrics table has no row starting %s", row)
		}
	}
	slices.Sort(metrics)
	if got := readmeTableNames(t, "stripe_"); !slices.Equal(got, metrics) {
		t.Errorf("README metrics table lists\n  %v\nthe code has\n  %v", got, metrics)
	}
	for _, m := range metrics {
		if !strings.HasPrefix(m, "stripe_") {
			t.Errorf("metric %s lacks the stripe_ prefix", m)
		}
	}
}

// TestDocsNameGoModsGo: the README, CONTRIBUTING.md and the reproducible
// builds' page tell users which Go to export; it must be the one of
// go.mod's toolchain line.
func TestDocsNameGoModsGo(t *testing.T) {
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^toolchain go(\S+)$`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no toolchain line")
	}
	want := string(m[1])
	mention := regexp.MustCompile(`GOTOOLCHAIN=go(\d+\.\d+\.\d+)|builds\s+with\s+Go\s+(\d+\.\d+\.\d+)`)
	for _, doc := range []string{"README.md", "CONTRIBUTING.md", "docs/reproducible-builds.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		found := mention.FindAllStringSubmatch(string(b), -1)
		if len(found) == 0 {
			t.Errorf("%s does not say which Go to export", doc)
		}
		for _, f := range found {
			if got := f[1] + f[2]; got != want {
				t.Errorf("%s names Go %s (%q); go.mod's toolchain is %s", doc, got, f[0], want)
			}
		}
	}
}
