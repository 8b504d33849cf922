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
	dto "github.com/prometheus/client_model/go"

	"github.com/stripe-exporter/stripe_exporter/collector"
	"github.com/stripe-exporter/stripe_exporter/stripe"
)

// scraper answers scrapes with fresh Stripe data. Each scrape gets its own
// registry and a deadline from the Prometheus scrape timeout, as in
// mysqld_exporter and blackbox_exporter.
type scraper struct {
	client  stripe.Client
	timeout time.Duration
	offset  time.Duration
	logger  log.Logger
}

// serve answers with targets' metrics. The Stripe calls start first; while
// they wait on Stripe, early is gathered (the runtime's metrics, say), so its
// cost hides behind Stripe's latency. late is gathered after, so that the API
// counters include this scrape's own calls. Either may be nil.
//
// metrics counts failed fetches; nil leaves them to the scrape's stripe_up.
func (s *scraper) serve(w http.ResponseWriter, r *http.Request, targets []collector.Target, metrics *collector.Metrics, early, late prometheus.Gatherer) {
	timeout := scrapeTimeout(r.Header, s.timeout, s.offset, s.logger)
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()

	scrape := prometheus.NewRegistry()
	scrape.MustRegister(collector.New(ctx, s.client, targets, metrics, s.logger))
	fetched := gatherAsync(scrape)
	gatherers := prometheus.Gatherers{fetched}
	if early != nil {
		mfs, err := early.Gather()
		gatherers = append(gatherers, prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return mfs, err }))
	}
	if late != nil {
		gatherers = append(gatherers, late)
	}
	promhttp.HandlerFor(gatherers, promhttp.HandlerOpts{
		ErrorLog:      &promLogger{logger: s.logger},
		ErrorHandling: promhttp.ContinueOnError,
	}).ServeHTTP(w, r)
}

// gatherAsync starts gathering g and returns a Gatherer that waits for it.
func gatherAsync(g prometheus.Gatherer) prometheus.Gatherer {
	var (
		mfs  []*dto.MetricFamily
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		mfs, err = g.Gather()
	}()
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		<-done
		return mfs, err
	})
}

// metricsHandler serves /metrics: the key's own account and the accounts
// given with --stripe.account, and the exporter's own metrics.
func metricsHandler(s *scraper, targets []collector.Target, metrics *collector.Metrics, runtime, api prometheus.Gatherer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, targets, metrics, runtime, api)
	})
}

// probeHandler serves /probe?account=acct_...: one connected account and
// its configured transactions, like blackbox_exporter's /probe, so that
// Prometheus can spread thousands of accounts over targets and servers. A
// probe's failures show in its own stripe_up only: counting them on
// /metrics by account would let any caller add series there.
func probeHandler(s *scraper, transactions map[string][]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		account := r.URL.Query().Get("account")
		if account == "" {
			http.Error(w, "missing the account parameter: use /probe?account=acct_...", http.StatusBadRequest)
			return
		}
		if err := stripe.CheckAccountID(account); err != nil {
			http.Error(w, "bad account parameter: "+err.Error(), http.StatusBadRequest)
			return
		}
		s.serve(w, r, []collector.Target{{Account: account, Transactions: transactions[account]}}, nil, nil, nil)
	})
}

// inFlightLimit returns a wrapper that lets at most n requests through at
// once and answers 503 to the rest at once rather than letting them pile up
// (like node_exporter's --web.max-requests).
func inFlightLimit(n int) func(http.Handler) http.Handler {
	if n == 0 {
		return func(h http.Handler) http.Handler { return h }
	}
	slots := make(chan struct{}, n)
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
				h.ServeHTTP(w, r)
			default:
				http.Error(w, fmt.Sprintf("too many scrapes at once (--web.max-requests=%d); try again later", n), http.StatusServiceUnavailable)
			}
		})
	}
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

// promLogger lets promhttp report errors through go-kit log, once per
// scrape: a client that hangs up makes promhttp fail on every remaining
// metric family, with the same error.
type promLogger struct {
	logger log.Logger
	logged bool
}

func (l *promLogger) Println(v ...any) {
	if l.logged {
		return
	}
	l.logged = true
	level.Error(l.logger).Log("msg", "error gathering or sending metrics", "err", fmt.Sprint(v...))
}
