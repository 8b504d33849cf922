// Package discovery serves the platform's connected accounts in Prometheus's
// HTTP service discovery format, so that Prometheus finds new accounts and
// scrapes each through the exporter's /probe endpoint.
package discovery

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stripe-exporter/stripe_exporter/stripe"
)

// Lister lists connected accounts.
type Lister interface {
	ConnectedAccounts(ctx context.Context) ([]stripe.Account, error)
}

// Group is one entry of an HTTP service discovery answer.
type Group struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// Discovery keeps the list of connected accounts fresh and serves it.
type Discovery struct {
	lister   Lister
	interval time.Duration
	timeout  time.Duration
	logger   log.Logger

	mu     sync.RWMutex
	body   []byte
	ids    map[string]bool
	listed bool

	accounts    prometheus.Gauge
	lastSuccess prometheus.Gauge
	failures    prometheus.Counter
}

// New returns a Discovery that lists accounts every interval, each listing
// taking at most timeout, and registers its metrics with reg.
func New(lister Lister, interval, timeout time.Duration, logger log.Logger, reg prometheus.Registerer) *Discovery {
	d := &Discovery{
		lister:   lister,
		interval: interval,
		timeout:  timeout,
		logger:   logger,
		accounts: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "stripe_discovery_accounts",
			Help: "Connected accounts in the last successful listing.",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "stripe_discovery_last_success_timestamp_seconds",
			Help: "When connected accounts were last listed successfully, in Unix seconds.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stripe_discovery_failures_total",
			Help: "Listings of connected accounts that failed; the last good list is served meanwhile.",
		}),
	}
	reg.MustRegister(d.accounts, d.lastSuccess, d.failures)
	return d
}

// Run lists accounts now and then every interval, until ctx ends.
func (d *Discovery) Run(ctx context.Context) {
	ticker := time.NewTicker(d.interval)
	defer ticker.Stop()
	for {
		d.Refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// Refresh lists the accounts once. On failure the last good list stays.
func (d *Discovery) Refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	accounts, err := d.lister.ConnectedAccounts(ctx)
	if err != nil {
		d.failures.Inc()
		level.Warn(d.logger).Log("msg", "listing connected accounts failed; serving the last good list", "err", err)
		return
	}
	body, err := json.Marshal(groups(accounts))
	if err != nil {
		level.Error(d.logger).Log("msg", "encode discovered accounts", "err", err)
		return
	}
	ids := make(map[string]bool, len(accounts))
	for _, a := range accounts {
		ids[a.ID] = true
	}
	d.mu.Lock()
	d.body, d.ids, d.listed = body, ids, true
	d.mu.Unlock()
	d.accounts.Set(float64(len(accounts)))
	d.lastSuccess.SetToCurrentTime()
	level.Debug(d.logger).Log("msg", "listed connected accounts", "count", len(accounts))
}

// Has reports whether account is in the last good listing, and whether
// there has been one yet.
func (d *Discovery) Has(account string) (found, listed bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.ids[account], d.listed
}

// groups puts each account in a group of its own, so it can carry its own
// meta labels for relabelling (keep only Express accounts, say).
func groups(accounts []stripe.Account) []Group {
	out := make([]Group, 0, len(accounts))
	for _, a := range accounts {
		out = append(out, Group{
			Targets: []string{a.ID},
			Labels: map[string]string{
				"__meta_stripe_account_type":            a.Type,
				"__meta_stripe_account_country":         a.Country,
				"__meta_stripe_account_charges_enabled": strconv.FormatBool(a.ChargesEnabled),
				"__meta_stripe_account_payouts_enabled": strconv.FormatBool(a.PayoutsEnabled),
			},
		})
	}
	return out
}

// ServeHTTP answers with the last good list, or 503 until there is one, so
// Prometheus keeps what it had rather than dropping every target.
func (d *Discovery) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	d.mu.RLock()
	body, listed := d.body, d.listed
	d.mu.RUnlock()
	if !listed {
		http.Error(w, "connected accounts have not been listed yet", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}
