package main

import (
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

func scrapeWith(t *testing.T, url string, h http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	// A transport of its own, which leaves the body compressed as sent.
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return resp
}

// families decodes a whole exposition and fails on a family sent twice.
func families(t *testing.T, resp *http.Response) map[string]*dto.MetricFamily {
	t.Helper()
	dec := expfmt.NewDecoder(resp.Body, expfmt.ResponseFormat(resp.Header))
	got := map[string]*dto.MetricFamily{}
	for {
		mf := &dto.MetricFamily{}
		err := dec.Decode(mf)
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		if got[mf.GetName()] != nil {
			t.Errorf("metric family %s sent twice", mf.GetName())
		}
		got[mf.GetName()] = mf
	}
}

// prometheus3Accept is the Accept header of Prometheus 3's default
// scrape_protocols, UTF-8 names allowed.
const prometheus3Accept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5," +
	"application/openmetrics-text;version=0.0.1;q=0.4," +
	"text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3," +
	"text/plain;version=0.0.4;q=0.2,*/*;q=0.1"

func TestExpositionFormats(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetTransaction("", "txn_1Settled", stripetest.SettledTransaction)
	e := startExporter(t, fake, stripetest.Key, "--stripe.balance-transaction=txn_1Settled")
	want := []string{"go_goroutines", "process_start_time_seconds", "stripe_exporter_build_info", "promhttp_metric_handler_requests_total",
		"stripe_up", "stripe_balance_available", "stripe_balance_transaction_fee", "stripe_api_requests_total"}

	for _, tc := range []struct {
		name, accept string
		format       expfmt.FormatType
	}{
		{"text", "text/plain;version=0.0.4", expfmt.TypeTextPlain},
		{"text 1.0.0", "text/plain;version=1.0.0;escaping=allow-utf-8", expfmt.TypeTextPlain},
		{"protobuf", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", expfmt.TypeProtoDelim},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := scrapeWith(t, e.URL+"/metrics", http.Header{"Accept": {tc.accept}, "Accept-Encoding": {"gzip"}})
			if got := expfmt.ResponseFormat(resp.Header).FormatType(); got != tc.format {
				t.Errorf("Content-Type %q, want format %v", resp.Header.Get("Content-Type"), tc.format)
			}
			if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
				t.Fatalf("Content-Encoding %q, want gzip", got)
			}
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body = zr
			got := families(t, resp)
			for _, name := range want {
				if got[name] == nil {
					t.Errorf("no %s in the scrape", name)
				}
			}
		})
	}

	// What Prometheus 3 asks for by default, and with native histograms on
	// (scrape_native_histograms: true puts protobuf first).
	t.Run("OpenMetrics", func(t *testing.T) {
		resp := scrapeWith(t, e.URL+"/metrics", http.Header{"Accept": {prometheus3Accept}})
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text; version=1.0.0;") {
			t.Errorf("Content-Type %q, want OpenMetrics 1.0.0", ct)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`stripe_up{account="self"} 1`, "# TYPE stripe_api_requests counter", "stripe_api_requests_total{", "# EOF\n"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("OpenMetrics scrape lacks %q", want)
			}
		}
		if !strings.HasSuffix(string(body), "# EOF\n") {
			t.Error("OpenMetrics scrape does not end with # EOF")
		}
	})
	t.Run("protobuf with native histograms", func(t *testing.T) {
		accept := "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;escaping=underscores;q=0.6," + prometheus3Accept
		resp := scrapeWith(t, e.URL+"/metrics", http.Header{"Accept": {accept}})
		if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "encoding=delimited") || !strings.Contains(ct, "escaping=underscores") {
			t.Errorf("Content-Type %q, want delimited protobuf with escaping=underscores", ct)
		}
		h := families(t, resp)["stripe_api_request_duration_seconds"]
		if h == nil || len(h.GetMetric()) == 0 {
			t.Fatal("no stripe_api_request_duration_seconds in the scrape")
		}
		for _, m := range h.GetMetric() {
			if hist := m.GetHistogram(); hist.Schema == nil || len(hist.GetPositiveSpan()) == 0 || len(hist.GetBucket()) == 0 {
				t.Errorf("stripe_api_request_duration_seconds is not both a native histogram and classic buckets: %v", hist)
			}
		}
	})

	t.Run("name filter", func(t *testing.T) {
		got := families(t, scrapeWith(t, e.URL+"/metrics?name[]=stripe_up&name[]=go_goroutines", http.Header{}))
		if len(got) != 2 || got["stripe_up"] == nil || got["go_goroutines"] == nil {
			t.Errorf("got families %v, want stripe_up and go_goroutines only", keys(got))
		}
	})

	t.Run("uncompressed", func(t *testing.T) {
		resp := scrapeWith(t, e.URL+"/metrics", http.Header{"Accept-Encoding": {"identity"}})
		if got := resp.Header.Get("Content-Encoding"); got != "" {
			t.Errorf("Content-Encoding %q for a scraper that accepts none", got)
		}
		if got := families(t, resp); got["stripe_up"] == nil {
			t.Error("no stripe_up in the scrape")
		}
	})
}

func keys(m map[string]*dto.MetricFamily) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
