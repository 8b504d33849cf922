package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

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

// serve answers with targets' metrics, early's (nil for none) and, when
// metrics is not nil, the exporter's own counters, which then count the
// scrape's failed fetches too (nil leaves them to the scrape's stripe_up).
//
// The answer is sent in parts, so that the exporter's own work hides behind
// Stripe's latency instead of adding to it. The Stripe calls start first.
// Once the first request is on the wire, or the calls are over, early (the
// runtime's metrics) is gathered, encoded and sent: started sooner, on a
// machine with one or two CPUs, it holds the request back; left for later,
// it comes after Stripe's answer. The transactions follow once the calls for
// them are over: at once when all are settled and kept from earlier scrapes.
// Last come the balances and the counters, collected after the calls so
// that they include this scrape's.
func (s *scraper) serve(w http.ResponseWriter, r *http.Request, targets []collector.Target, metrics *collector.Metrics, early prometheus.Gatherer) {
	timeout := scrapeTimeout(r.Header, s.timeout, s.offset, s.logger)
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	sent := make(chan struct{})
	var once sync.Once
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(func() { close(sent) }) },
	})
	scrape := collector.Start(ctx, s.client, targets, metrics, s.logger)

	out := newExposition(w, r, s.logger)
	if early != nil {
		select {
		case <-sent:
		case <-scrape.Done():
		}
		out.write(early.Gather())
		out.flush()
	}
	out.write(gather(scrape.Transactions()))
	out.flush()
	last := []prometheus.Collector{scrape.Balances()}
	if metrics != nil {
		last = append(last, scrape.After(metrics))
	}
	out.write(gather(last...))
	out.close()
}

// gather gathers cs in a registry of their own.
func gather(cs ...prometheus.Collector) ([]*dto.MetricFamily, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(cs...)
	return reg.Gather()
}

// exposition writes metric families to a scrape's response, in the format
// the scraper asked for, in as many parts as the caller likes: what
// promhttp does, but for metrics gathered at different times. Compression is
// left to the handler's wrapper. Like promhttp, it serves what it can when
// gathering fails, and keeps only the families named by name[] parameters
// when there are any.
type exposition struct {
	w      http.ResponseWriter
	enc    expfmt.Encoder
	names  map[string]bool
	logger log.Logger
	// unflushed: something was written since the last flush.
	unflushed bool
	// failed: sending failed, most likely because the scraper hung up, and
	// the rest is not sent.
	failed bool
}

func newExposition(w http.ResponseWriter, r *http.Request, logger log.Logger) *exposition {
	format := expfmt.NegotiateAccept(r.Header, expfmt.DefaultAcceptedFormats()...)
	w.Header().Add("Vary", "Accept")
	w.Header().Set("Content-Type", string(format))
	e := &exposition{w: w, enc: expfmt.NewEncoder(w, format), logger: logger}
	if names := r.URL.Query()["name[]"]; len(names) > 0 {
		e.names = map[string]bool{}
		for _, n := range names {
			e.names[n] = true
		}
	}
	return e
}

func (e *exposition) write(mfs []*dto.MetricFamily, err error) {
	if err != nil {
		level.Error(e.logger).Log("msg", "error gathering metrics", "err", err)
	}
	if e.failed {
		return
	}
	for _, mf := range mfs {
		if e.names != nil && !e.names[mf.GetName()] {
			continue
		}
		if err := e.enc.Encode(mf); err != nil {
			e.fail(err)
			return
		}
		e.unflushed = true
	}
}

// flush sends what was written so far, so that the scraper reads and
// decompresses it while the rest is being fetched.
func (e *exposition) flush() {
	if e.failed || !e.unflushed {
		return
	}
	e.unflushed = false
	// A writer that cannot flush sends it all at the end, which is still
	// a whole answer.
	if err := http.NewResponseController(e.w).Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		e.fail(err)
	}
}

// close ends the exposition (OpenMetrics ends with "# EOF").
func (e *exposition) close() {
	if c, ok := e.enc.(expfmt.Closer); ok && !e.failed {
		if err := c.Close(); err != nil {
			e.fail(err)
		}
	}
}

func (e *exposition) fail(err error) {
	e.failed = true
	level.Error(e.logger).Log("msg", "error sending metrics", "err", err)
}

// metricsHandler serves /metrics: the key's own account and the accounts
// given with --stripe.account, and the exporter's own metrics.
func metricsHandler(s *scraper, targets []collector.Target, metrics *collector.Metrics, runtime prometheus.Gatherer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, targets, metrics, runtime)
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
		s.serve(w, r, []collector.Target{{Account: account, Transactions: transactions[account]}}, nil, nil)
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
