package main

import (
	"context"
	"fmt"
	stdlog "log"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stripe-exporter/stripe_exporter/collector"
	"github.com/stripe-exporter/stripe_exporter/discovery"
	"github.com/stripe-exporter/stripe_exporter/stripe"
)

// scrapeHandler answers scrapes with fresh Stripe data, as
// blackbox_exporter answers probes: each request fetches its targets within
// the scrape's deadline, then serves the result through promhttp from a
// registry of its own.
type scrapeHandler struct {
	client   stripe.Client
	timeout  time.Duration
	offset   time.Duration
	failures *collector.FailureLog
	// payouts says whether probes fetch payouts too, as /metrics's targets do.
	payouts bool
	logger  log.Logger
}

// metricsHandler serves /metrics: the key's own account and those listed with
// --stripe.account, beside the exporter's own registry, whose counters
// include this scrape's calls and failures.
func (h *scrapeHandler) metricsHandler(targets []collector.Target, counters *collector.Metrics, own prometheus.Gatherer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		result := h.fetch(r, targets)
		counters.CountFailures(result)
		h.serve(w, r, prometheus.Gatherers{own, h.registry(result)})
	})
}

// probeHandler serves /probe?account=acct_...: one connected account and its
// listed transactions, so that Prometheus can spread thousands of accounts
// over targets and servers. An account that probes refuses is answered
// without a call to Stripe, and the calls of the others keep to the probes'
// share of the rate limit. A probe's failures show in its own stripe_up only: counting them on
// /metrics by account would let any caller add series there.
func (h *scrapeHandler) probeHandler(transactions map[string][]string, probes probeAccounts) http.Handler {
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
		if status, msg := probes.refusal(account); status != 0 {
			http.Error(w, msg, status)
			return
		}
		r = r.WithContext(stripe.ForProbe(r.Context()))
		result := h.fetch(r, []collector.Target{{Account: account, Transactions: transactions[account], Payouts: h.payouts}})
		h.serve(w, r, h.registry(result))
	})
}

// probeAccounts says which accounts /probe may ask Stripe about, so that
// whoever reaches the port cannot make the exporter query accounts of
// their choosing.
type probeAccounts struct {
	// allowAny is --probe.allow-any-account.
	allowAny bool
	// configured holds the accounts of --stripe.account and
	// --stripe.balance-transaction.
	configured map[string]bool
	// discovered is nil without --discovery.enabled.
	discovered *discovery.Discovery
}

// refusal returns the status and message that refuse a probe of account,
// or 0 when it may be probed. Before discovery's first listing, an account
// it may list is answered 503, which Prometheus retries at the next
// interval, rather than 404.
func (p probeAccounts) refusal(account string) (int, string) {
	if p.allowAny || p.configured[account] {
		return 0, ""
	}
	const anyAccount = "or run the exporter with --probe.allow-any-account to probe any account"
	if p.discovered == nil {
		return http.StatusNotFound, account + " is not an account this exporter knows: list it with --stripe.account, run the exporter with --discovery.enabled to probe the platform's connected accounts, " + anyAccount
	}
	found, listed := p.discovered.Has(account)
	switch {
	case found:
		return 0, ""
	case !listed:
		return http.StatusServiceUnavailable, account + " is not listed with --stripe.account, and discovery has not listed the connected accounts yet: try again later"
	}
	return http.StatusNotFound, account + " is not an account this exporter knows: it is neither listed with --stripe.account nor among the connected accounts discovery last listed; list it, " + anyAccount
}

func (h *scrapeHandler) fetch(r *http.Request, targets []collector.Target) *collector.Result {
	ctx, cancel := context.WithTimeout(r.Context(), scrapeTimeout(r.Header, h.timeout, h.offset, h.logger))
	defer cancel()
	result := collector.Fetch(ctx, h.client, targets)
	h.failures.Record(result)
	return result
}

// registry holds the scrape's own metrics, built from result.
func (h *scrapeHandler) registry(result *collector.Result) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector.New(result, h.logger))
	return reg
}

func (h *scrapeHandler) serve(w http.ResponseWriter, r *http.Request, g prometheus.Gatherer) {
	promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:      stdlog.New(log.NewStdlibAdapter(level.Error(h.logger)), "", 0),
		ErrorHandling: promhttp.ContinueOnError,
		// Prometheus 3 asks for OpenMetrics first.
		EnableOpenMetrics: true,
	}).ServeHTTP(w, r)
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
