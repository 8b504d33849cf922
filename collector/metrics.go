package collector

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stripe-exporter/stripe_exporter/stripe"
)

// Metrics are the exporter's own metrics about its work, kept across
// scrapes. They implement stripe.Observer to count API calls.
type Metrics struct {
	requests    *prometheus.CounterVec
	durations   *prometheus.HistogramVec
	retries     *prometheus.CounterVec
	fetchErrors *prometheus.CounterVec
}

// NewMetrics returns the exporter's own metrics, all zero.
func NewMetrics() *Metrics {
	return &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "api_requests_total",
			Help:      `HTTP requests sent to the Stripe API, by endpoint and status code ("none" when no response arrived).`,
		}, []string{"endpoint", "code"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace:                   namespace,
			Name:                        "api_request_duration_seconds",
			Help:                        "Time taken by HTTP requests to the Stripe API, by endpoint.",
			Buckets:                     []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
			NativeHistogramBucketFactor: 1.1,
		}, []string{"endpoint"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "api_retries_total",
			Help:      `Retries of failed Stripe API requests, by endpoint and the status code that was retried ("none" when no response arrived).`,
		}, []string{"endpoint", "code"}),
		fetchErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "fetch_errors_total",
			Help:      "Scrapes that could not fetch a balance, a balance transaction or payouts, after retries, by account and endpoint.",
		}, []string{"account", "endpoint"}),
	}
}

// ObserveRequest implements stripe.Observer.
func (m *Metrics) ObserveRequest(endpoint string, code int, took time.Duration) {
	m.requests.WithLabelValues(endpoint, codeLabel(code)).Inc()
	m.durations.WithLabelValues(endpoint).Observe(took.Seconds())
}

// ObserveRetry implements stripe.Observer.
func (m *Metrics) ObserveRetry(endpoint string, code int) {
	m.retries.WithLabelValues(endpoint, codeLabel(code)).Inc()
}

func codeLabel(code int) string {
	if code == 0 {
		return "none"
	}
	return strconv.Itoa(code)
}

// Prepare makes the fetch-error series of targets exist at zero, so that
// increase() sees the first failure.
func (m *Metrics) Prepare(targets []Target) {
	for _, t := range targets {
		m.fetchErrors.WithLabelValues(t.Label(), stripe.EndpointBalance)
		if len(t.Transactions) > 0 {
			m.fetchErrors.WithLabelValues(t.Label(), stripe.EndpointBalanceTransaction)
		}
		if t.Payouts {
			m.fetchErrors.WithLabelValues(t.Label(), stripe.EndpointPayouts)
		}
	}
}

// CountFailures counts r's failed calls, unless its client abandoned it.
func (m *Metrics) CountFailures(r *Result) {
	if r.Abandoned {
		return
	}
	for c, err := range r.calls {
		if err != nil {
			m.fetchErrors.WithLabelValues(c.account, c.endpoint).Inc()
		}
	}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.requests.Describe(ch)
	m.durations.Describe(ch)
	m.retries.Describe(ch)
	m.fetchErrors.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.requests.Collect(ch)
	m.durations.Collect(ch)
	m.retries.Collect(ch)
	m.fetchErrors.Collect(ch)
}
