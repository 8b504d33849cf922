package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stripe-exporter/stripe_exporter/collector"
	"github.com/stripe-exporter/stripe_exporter/stripe"
)

// metricsHandler answers a scrape with fresh Stripe data and the exporter's
// own metrics. Each scrape gets its own registry and a deadline from the
// Prometheus scrape timeout, as in mysqld_exporter and blackbox_exporter.
type metricsHandler struct {
	client   stripe.Client
	targets  []collector.Target
	metrics  *collector.Metrics
	exporter prometheus.Gatherer
	timeout  time.Duration
	offset   time.Duration
	logger   log.Logger
}

func (h *metricsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	timeout := scrapeTimeout(r.Header, h.timeout, h.offset, h.logger)
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()

	scrape := prometheus.NewRegistry()
	scrape.MustRegister(collector.New(ctx, h.client, h.targets, h.metrics, h.logger))
	// The scrape goes first so that the API counters gathered after it
	// include its own calls.
	promhttp.HandlerFor(prometheus.Gatherers{scrape, h.exporter}, promhttp.HandlerOpts{
		ErrorLog:      promLogger{h.logger},
		ErrorHandling: promhttp.ContinueOnError,
	}).ServeHTTP(w, r)
}

// scrapeTimeout is the time a scrape may spend on Stripe: --stripe.timeout,
// or Prometheus's scrape timeout less offset when that is shorter. When the
// scrape timeout is no longer than the offset, half of it is used instead.
func scrapeTimeout(h http.Header, limit, offset time.Duration, logger log.Logger) time.Duration {
	v := h.Get("X-Prometheus-Scrape-Timeout-Seconds")
	if v == "" {
		return limit
	}
	seconds, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(seconds) || seconds <= 0 {
		level.Debug(logger).Log("msg", "ignoring invalid X-Prometheus-Scrape-Timeout-Seconds", "value", v)
		return limit
	}
	// Compared in seconds first: a huge header value would overflow a
	// Duration.
	if seconds-offset.Seconds() >= limit.Seconds() {
		return limit
	}
	t := time.Duration(seconds * float64(time.Second))
	if t <= offset {
		return t / 2
	}
	return t - offset
}

// promLogger lets promhttp report gathering errors through go-kit log.
type promLogger struct{ logger log.Logger }

func (l promLogger) Println(v ...any) {
	level.Error(l.logger).Log("msg", "error gathering metrics", "err", fmt.Sprint(v...))
}
