// Command stripe_exporter serves a Stripe account's balance as Prometheus
// metrics, fetched from the Stripe API on every scrape.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	// Lets promhttp answer scrapers that accept zstd with it.
	_ "github.com/prometheus/client_golang/prometheus/promhttp/zstd"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"
	sloggokit "github.com/tjhop/slog-gokit"

	"github.com/stripe-exporter/stripe_exporter/activity"
	"github.com/stripe-exporter/stripe_exporter/collector"
	"github.com/stripe-exporter/stripe_exporter/discovery"
	"github.com/stripe-exporter/stripe_exporter/stripe"
)

const exporterName = "stripe_exporter"

// defaultAddress is outside 9100-9999, which Prometheus's list of default
// exporter ports has filled, and below Linux's ephemeral port range.
const defaultAddress = ":19550"

// Paths of the multi-target endpoints.
const (
	probePath     = "/probe"
	discoveryPath = "/discovery"
)

// keyEnv names the environment variable that holds the API key. The key is
// never taken as a flag, so it does not show in the process's arguments.
const keyEnv = "STRIPE_API_KEY"

type config struct {
	keyFile           string
	apiURL            string
	accounts          []string
	transactions      []string
	timeout           time.Duration
	timeoutOffset     time.Duration
	payouts           bool
	discovery         bool
	discoveryInterval time.Duration
	probeAnyAccount   bool
	probeShare        float64
	activity          bool
	activityInterval  time.Duration
	activityOverlap   time.Duration
	maxRetries        int
	rateLimit         float64
	telemetryPath     string
	maxRequests       int
	logLevel          string
	logFormat         string
	web               *web.FlagConfig
}

func newApp() (*kingpin.Application, *config) {
	app := kingpin.New(exporterName, "Prometheus exporter for the balance of a Stripe account.")
	c := &config{}
	app.Flag("stripe.api-key-file", "File holding the Stripe API key (instead of the "+keyEnv+" environment variable). A restricted key (rk_...) with read access to Balance is enough.").
		PlaceHolder("PATH").StringVar(&c.keyFile)
	app.Flag("stripe.api-url", "Base URL of the Stripe API.").
		Default("https://api.stripe.com").StringVar(&c.apiURL)
	app.Flag("stripe.account", "Connected account whose balance to export besides the key's own (acct_...). Repeatable.").
		PlaceHolder("acct_...").StringsVar(&c.accounts)
	app.Flag("stripe.balance-transaction", "Balance transaction to export (txn_..., or acct_.../txn_... for one of a connected account). Repeatable.").
		PlaceHolder("ID").StringsVar(&c.transactions)
	app.Flag("stripe.timeout", "Longest time one scrape may spend on Stripe, retries included; a shorter Prometheus scrape timeout wins.").
		Default("10s").DurationVar(&c.timeout)
	app.Flag("stripe.timeout-offset", "Subtracted from Prometheus's scrape timeout (X-Prometheus-Scrape-Timeout-Seconds) to leave time to answer.").
		Default("500ms").DurationVar(&c.timeoutOffset)
	app.Flag("stripe.max-retries", "Retries of a failed Stripe request (connection errors, 409, 429, 5xx), within the scrape's deadline.").
		Default("2").IntVar(&c.maxRetries)
	app.Flag("stripe.rate-limit", "Most requests per second sent to Stripe, over all scrapes together.").
		Default("20").Float64Var(&c.rateLimit)
	app.Flag("collector.payouts", "Export each account's payouts in flight, next arrival, and last paid and failed payout (GET /v1/payouts, one to three calls per account and scrape). The key needs read access to Payouts.").
		BoolVar(&c.payouts)
	app.Flag("discovery.enabled", "Serve the platform's connected accounts (GET /v1/accounts) at "+discoveryPath+" for Prometheus's http_sd_configs. The key needs read access to Connect accounts.").
		BoolVar(&c.discovery)
	app.Flag("discovery.refresh-interval", "How often to list the connected accounts for "+discoveryPath+".").
		Default("5m").DurationVar(&c.discoveryInterval)
	app.Flag("probe.allow-any-account", "Let "+probePath+" scrape any connected account, not only those listed with --stripe.account or --stripe.balance-transaction or found by discovery; others are answered 404 without a call to Stripe.").
		BoolVar(&c.probeAnyAccount)
	app.Flag("probe.rate-limit-share", "Part of --stripe.rate-limit, more than 0 and at most 1, that probes may use together; the rest is kept for the metrics path, discovery and the balance-activity poller.").
		Default("0.5").Float64Var(&c.probeShare)
	app.Flag("collector.balance-activity", "Count the balance transactions each account creates (GET /v1/balance_transactions), listed in the background, as stripe_balance_activity_* counters. Read access to Balance covers balance transactions.").
		BoolVar(&c.activity)
	app.Flag("collector.balance-activity.interval", "How often to list each account's new balance transactions.").
		Default("30s").DurationVar(&c.activityInterval)
	app.Flag("collector.balance-activity.overlap", "How long after its created second a transaction may show in Stripe's list and still be counted: each second is listed once more when it is this old.").
		Default("5m").DurationVar(&c.activityOverlap)
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").
		Default("/metrics").StringVar(&c.telemetryPath)
	app.Flag("web.max-requests", "Most scrapes served at once by the metrics path, and again by "+probePath+"; more are answered 503. 0 means no limit.").
		Default("40").IntVar(&c.maxRequests)
	app.Flag("log.level", "Only log messages with the given severity or above. One of: [debug, info, warn, error]").
		Default("info").StringVar(&c.logLevel)
	app.Flag("log.format", "Output format of log messages. One of: [logfmt, json]").
		Default("logfmt").StringVar(&c.logFormat)
	c.web = kingpinflag.AddFlags(app, defaultAddress)
	app.Version(version.Print(exporterName))
	app.HelpFlag.Short('h')
	return app, c
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	os.Exit(code)
}

// run starts the exporter and serves until ctx ends. It returns the
// process's exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	app, cfg := newApp()
	if _, err := app.Parse(args); err != nil {
		fmt.Fprintf(stderr, "%s: %v (see --help)\n", exporterName, err)
		return 2
	}
	if err := checkLogFlags(cfg.logLevel, cfg.logFormat); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", exporterName, err)
		return 2
	}
	base, logger := newLoggers(cfg.logLevel, cfg.logFormat, stderr)
	fail := func(msg string, err error) int {
		level.Error(logger).Log("msg", msg, "err", err)
		return 1
	}

	key, err := loadKey(getenv, cfg.keyFile)
	if err != nil {
		return fail("cannot load the Stripe API key", err)
	}
	kind, err := stripe.CheckKey(key)
	if err != nil {
		return fail("cannot use the Stripe API key", err)
	}
	if msg := keyFileExposure(cfg.keyFile); msg != "" {
		level.Warn(logger).Log("msg", msg)
	}
	if kind == stripe.SecretKey {
		level.Warn(logger).Log("msg", "using a secret key (sk_), which can do anything on the account; a restricted key (rk_) with read access to Balance is safer")
	}
	targets, transactions, err := buildTargets(cfg.accounts, cfg.transactions)
	if err != nil {
		return fail("invalid account or balance transaction", err)
	}
	for i := range targets {
		targets[i].Payouts = cfg.payouts
	}
	if err := cfg.check(); err != nil {
		return fail("invalid flag", err)
	}

	metrics := collector.NewMetrics()
	api, err := stripe.New(stripe.Config{
		Key:            key,
		URL:            cfg.apiURL,
		MaxRetries:     cfg.maxRetries,
		RateLimit:      cfg.rateLimit,
		ProbeRateLimit: cfg.rateLimit * cfg.probeShare,
		Observer:       metrics,
	})
	if err != nil {
		return fail("invalid Stripe client settings (--stripe.api-url, --stripe.max-retries, --stripe.rate-limit)", err)
	}

	metrics.Prepare(targets)
	registry := prometheus.NewRegistry()
	registry.MustRegister(
		versioncollector.NewCollector(exporterName),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		metrics,
	)
	scrapes := &scrapeHandler{
		client:   stripe.NewShared(api, cfg.timeout),
		timeout:  cfg.timeout,
		offset:   cfg.timeoutOffset,
		failures: collector.NewFailureLog(logger),
		payouts:  cfg.payouts,
		logger:   logger,
	}

	if cfg.activity {
		accounts := make([]string, len(targets))
		for i, t := range targets {
			accounts[i] = t.Account
		}
		poller, err := activity.New(api, activity.Config{
			Accounts: accounts,
			Interval: cfg.activityInterval,
			Overlap:  cfg.activityOverlap,
			Logger:   log.With(logger, "component", "balance_activity"),
		})
		if err != nil {
			return fail("invalid flag", err)
		}
		registry.MustRegister(poller)
		go poller.Run(ctx)
	}

	mux := http.NewServeMux()
	links := []web.LandingLinks{{Address: cfg.telemetryPath, Text: "Metrics"}}
	probes := probeAccounts{allowAny: cfg.probeAnyAccount, configured: map[string]bool{}}
	for _, t := range targets {
		probes.configured[t.Account] = true
	}
	for account := range transactions {
		probes.configured[account] = true
	}
	if cfg.discovery {
		// A listing may take as long as the interval: thousands of
		// accounts are many pages at the rate limit.
		d := discovery.New(api, cfg.discoveryInterval, cfg.discoveryInterval, log.With(logger, "component", "discovery"), registry)
		go d.Run(ctx)
		mux.Handle(discoveryPath, d)
		links = append(links, web.LandingLinks{Address: discoveryPath, Text: "Connected accounts (HTTP service discovery)"})
		probes.discovered = d
	}
	// Each endpoint has its own slots, so that a backlog of probes cannot
	// make /metrics answer 503, and the exporter look down.
	mux.Handle(cfg.telemetryPath, promhttp.InstrumentMetricHandler(registry,
		inFlightLimit(cfg.maxRequests)(scrapes.metricsHandler(targets, metrics, registry))))
	mux.Handle(probePath, inFlightLimit(cfg.maxRequests)(scrapes.probeHandler(transactions, probes)))
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        "Stripe Exporter",
		Description: "Prometheus exporter for the balance of a Stripe account",
		Version:     version.Info(),
		Links:       links,
		Form: web.LandingForm{
			Action: probePath,
			Inputs: []web.LandingFormInput{{Label: "Connected account", Type: "text", Name: "account", Placeholder: "acct_..."}},
		},
	})
	if err != nil {
		return fail("cannot build the landing page", err)
	}
	mux.Handle("/", landing)

	level.Info(logger).Log("msg", "starting "+exporterName, "version", version.Info(), "accounts", len(targets), "api_url", redactURL(cfg.apiURL))
	// Scrapes in progress get their whole Stripe timeout to finish.
	if err := serve(ctx, mux, cfg.web, cfg.timeout+5*time.Second, slogLevel(cfg.logLevel), base, logger); err != nil {
		return fail("HTTP server failed", err)
	}
	return 0
}

// serve answers HTTP until ctx ends, then lets scrapes in progress finish.
func serve(ctx context.Context, h http.Handler, flags *web.FlagConfig, grace time.Duration, lvl slog.Level, base, logger log.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// TLS handshake and other connection errors, in the exporter's
		// log format.
		ErrorLog: stdlog.New(log.NewStdlibAdapter(level.Warn(logger)), "", 0),
	}
	errc := make(chan error, 1)
	go func() {
		errc <- web.ListenAndServe(srv, flags, slog.New(sloggokit.NewGoKitHandler(base, lvl)))
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	level.Info(logger).Log("msg", "shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// redactURL drops the user information from u: it may hold a password,
// or even the API key, which Stripe also accepts as a basic-auth user.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	p.User = nil
	return p.String()
}

// slogLevel is the --log.level for libraries that log through slog.
func slogLevel(lvl string) slog.Level {
	switch lvl {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// newLoggers returns the logger for the exporter's own messages, and a base
// without time or caller for the slog bridge, which adds both itself, under
// the same keys.
func newLoggers(lvl, format string, w io.Writer) (base, logger log.Logger) {
	w = log.NewSyncWriter(w)
	if format == "json" {
		base = log.NewJSONLogger(w)
	} else {
		base = log.NewLogfmtLogger(w)
	}
	base = level.NewFilter(base, level.Allow(level.ParseDefault(lvl, level.InfoValue())))
	return base, log.With(base, "time", log.DefaultTimestampUTC, "caller", log.DefaultCaller)
}
