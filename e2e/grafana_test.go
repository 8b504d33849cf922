package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	grafana "github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

// TestDashboardGrafanaTypes checks the dashboard against the types Grafana
// publishes for dashboards (grafana-foundation-sdk): it decodes strictly,
// with no unknown or missing field, it validates, and every panel's options
// and every query decode into a known plugin's types.
func TestDashboardGrafanaTypes(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	raw, err := os.ReadFile(filepath.Join(dashboards, "stripe-balance.json"))
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 the JSON is a classic dashboard, which Grafana 11 and 12 import; dashboardv2 is the newer schema
	var strict grafana.Dashboard
	if err := strict.UnmarshalJSONStrict(raw); buildFailed(err) {
		t.Fatalf("the dashboard does not decode strictly into Grafana's types: %v", err)
	}
	// The strict decoding leaves panels out (v0.0.22 returns a nil
	// BuildErrors as a non-nil error from each), so the kinds are checked
	// on the ordinary decoding.
	//lint:ignore SA1019 as above
	var d grafana.Dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); buildFailed(err) {
		t.Fatalf("the dashboard does not validate: %v", err)
	}
	panels := 0
	for i, p := range d.Panels {
		if p.RowPanel != nil {
			continue
		}
		if p.Panel == nil {
			t.Errorf("panels[%d] is neither a panel nor a row", i)
			continue
		}
		panels++
		if _, unknown := p.Panel.Options.(map[string]any); unknown || p.Panel.Options == nil {
			t.Errorf("panel %q: options of type %q are not a known panel plugin's (%T)", *p.Panel.Title, p.Panel.Type, p.Panel.Options)
		}
		for _, q := range p.Panel.Targets {
			if _, ok := q.(*prometheus.Dataquery); !ok {
				t.Errorf("panel %q: a query is %T, not a Prometheus query", *p.Panel.Title, q)
			}
		}
	}
	if panels < 20 {
		t.Errorf("found %d panels; the walk is broken", panels)
	}
}

// buildFailed reports whether err holds an error: the SDK returns an empty
// cog.BuildErrors, a non-nil error, when there is none.
func buildFailed(err error) bool {
	var be cog.BuildErrors
	if errors.As(err, &be) {
		return len(be) > 0
	}
	return err != nil
}
