// Package collector turns Stripe balances and balance transactions into
// Prometheus metrics, fetched anew on every scrape.
package collector

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/stripe-exporter/stripe_exporter/stripe"
)

const namespace = "stripe"

// SelfAccount is the account label of the balance of the account that owns
// the API key, which Stripe names by no ID in the request.
const SelfAccount = "self"

// Unattributed is the source_type label of the part of an amount that
// Stripe did not break down by source type, so that the series of one
// currency always add up to Stripe's amount.
const Unattributed = "unattributed"

// maxConcurrentCalls bounds the Stripe calls one scrape has in flight; the
// client's rate limiter bounds how fast they are sent.
const maxConcurrentCalls = 8

// Target is an account to scrape and the balance transactions to look up in
// it.
type Target struct {
	// Account is a connected account ID, or "" for the key's own account.
	Account      string
	Transactions []string
}

// Label returns the account label value for the target.
func (t Target) Label() string {
	if t.Account == "" {
		return SelfAccount
	}
	return t.Account
}

var (
	sourceLabels  = []string{"account", "currency", "source_type"}
	currencyLabel = []string{"account", "currency"}
	txnLabels     = []string{"account", "id", "currency", "status", "transaction_type", "reporting_category"}

	balanceAvailable = newDesc("balance_available",
		"Funds that can be paid out or transferred, in the currency's major unit.", sourceLabels)
	balancePending = newDesc("balance_pending",
		"Funds not yet available, in the currency's major unit.", sourceLabels)
	balanceInstantAvailable = newDesc("balance_instant_available",
		"Funds that can be paid out with Instant Payouts, in the currency's major unit.", sourceLabels)
	balanceIssuingAvailable = newDesc("balance_issuing_available",
		"Funds available for Stripe Issuing, in the currency's major unit.", sourceLabels)
	balanceConnectReserved = newDesc("balance_connect_reserved",
		"Funds held against negative balances of connected accounts, in the currency's major unit.", currencyLabel)
	prefundingAvailable = newDesc("balance_refund_and_dispute_prefunding_available",
		"Refund and dispute prefunding funds available, in the currency's major unit.", currencyLabel)
	prefundingPending = newDesc("balance_refund_and_dispute_prefunding_pending",
		"Refund and dispute prefunding funds pending, in the currency's major unit.", currencyLabel)

	txnAmount = newDesc("balance_transaction_amount",
		"Gross amount of the balance transaction, in the currency's major unit.", txnLabels)
	txnFee = newDesc("balance_transaction_fee",
		"Fees paid for the balance transaction, in the currency's major unit.", txnLabels)
	txnNet = newDesc("balance_transaction_net",
		"Net amount of the balance transaction, in the currency's major unit.", txnLabels)
	txnFeeDetail = newDesc("balance_transaction_fee_detail",
		"Fees of the balance transaction by fee type, in the currency's major unit.",
		[]string{"account", "id", "currency", "fee_type"})
	txnAvailableOn = newDesc("balance_transaction_available_on_timestamp_seconds",
		"When the balance transaction's funds become available, in Unix seconds.", []string{"account", "id"})

	up = newDesc("up",
		"1 if the account's balance was fetched from Stripe in this scrape, else 0.", []string{"account"})
	scrapeDuration = newDesc("scrape_duration_seconds",
		"Time this scrape spent fetching from Stripe.", nil)
)

func newDesc(name, help string, labels []string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
}

// Collector fetches from Stripe when collected. It is built for one scrape,
// with that scrape's context: every call it makes ends by the context's
// deadline.
type Collector struct {
	ctx     context.Context
	client  stripe.Client
	targets []Target
	metrics *Metrics
	logger  log.Logger
}

// New returns a Collector for one scrape of targets. metrics, when not nil,
// counts the fetches that fail.
func New(ctx context.Context, client stripe.Client, targets []Target, metrics *Metrics, logger log.Logger) *Collector {
	return &Collector{ctx: ctx, client: client, targets: targets, metrics: metrics, logger: logger}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		balanceAvailable, balancePending, balanceInstantAvailable, balanceIssuingAvailable,
		balanceConnectReserved, prefundingAvailable, prefundingPending,
		txnAmount, txnFee, txnNet, txnFeeDetail, txnAvailableOn,
		up, scrapeDuration,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	start := time.Now()
	var g errgroup.Group
	g.SetLimit(maxConcurrentCalls)
	for _, t := range c.targets {
		g.Go(func() error {
			c.collectBalance(ch, t)
			return nil
		})
		for _, id := range t.Transactions {
			g.Go(func() error {
				c.collectTransaction(ch, t, id)
				return nil
			})
		}
	}
	_ = g.Wait()
	ch <- prometheus.MustNewConstMetric(scrapeDuration, prometheus.GaugeValue, time.Since(start).Seconds())
}

func (c *Collector) collectBalance(ch chan<- prometheus.Metric, t Target) {
	account := t.Label()
	b, err := c.client.Balance(c.ctx, t.Account)
	if err != nil {
		c.fetchFailed(stripe.EndpointBalance, account, "", err)
		ch <- prometheus.MustNewConstMetric(up, prometheus.GaugeValue, 0, account)
		return
	}
	ch <- prometheus.MustNewConstMetric(up, prometheus.GaugeValue, 1, account)
	c.bySourceType(ch, balanceAvailable, account, b.Available)
	c.bySourceType(ch, balancePending, account, b.Pending)
	c.bySourceType(ch, balanceInstantAvailable, account, b.InstantAvailable)
	c.bySourceType(ch, balanceIssuingAvailable, account, b.IssuingAvailable)
	c.byCurrency(ch, balanceConnectReserved, account, b.ConnectReserved)
	c.byCurrency(ch, prefundingAvailable, account, b.RefundAndDisputeAvailable)
	c.byCurrency(ch, prefundingPending, account, b.RefundAndDisputePending)
}

// bySourceType sends one series per currency and source type. What the
// breakdown leaves out of the amount goes on source_type Unattributed, so
// that summing a currency's series gives Stripe's amount. That series is
// there even at zero, so it does not come and go between scrapes. Sums are
// taken in minor units, before conversion, so they stay exact.
func (c *Collector) bySourceType(ch chan<- prometheus.Metric, desc *prometheus.Desc, account string, funds []stripe.Funds) {
	type key struct{ currency, source string }
	sums := map[key]int64{}
	for _, f := range funds {
		currency := strings.ToLower(f.Currency)
		var attributed int64
		for source, amount := range f.SourceTypes {
			sums[key{currency, source}] += amount
			attributed += amount
		}
		sums[key{currency, Unattributed}] += f.Amount - attributed
	}
	for k, amount := range sums {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, c.majorUnits(amount, k.currency), account, k.currency, k.source)
	}
}

// byCurrency sends one series per currency.
func (c *Collector) byCurrency(ch chan<- prometheus.Metric, desc *prometheus.Desc, account string, funds []stripe.Funds) {
	sums := map[string]int64{}
	for _, f := range funds {
		sums[strings.ToLower(f.Currency)] += f.Amount
	}
	for currency, amount := range sums {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, c.majorUnits(amount, currency), account, currency)
	}
}

func (c *Collector) collectTransaction(ch chan<- prometheus.Metric, t Target, id string) {
	account := t.Label()
	txn, err := c.client.BalanceTransaction(c.ctx, t.Account, id)
	if err != nil {
		c.fetchFailed(stripe.EndpointBalanceTransaction, account, id, err)
		return
	}
	currency := strings.ToLower(txn.Currency)
	labels := []string{account, id, currency, txn.Status, txn.Type, txn.ReportingCategory}
	ch <- prometheus.MustNewConstMetric(txnAmount, prometheus.GaugeValue, c.majorUnits(txn.Amount, currency), labels...)
	ch <- prometheus.MustNewConstMetric(txnFee, prometheus.GaugeValue, c.majorUnits(txn.Fee, currency), labels...)
	ch <- prometheus.MustNewConstMetric(txnNet, prometheus.GaugeValue, c.majorUnits(txn.Net, currency), labels...)
	ch <- prometheus.MustNewConstMetric(txnAvailableOn, prometheus.GaugeValue, float64(txn.AvailableOn), account, id)

	// Stripe may list several fees of one type (two stripe_fee lines, say);
	// they are one series.
	type key struct{ currency, feeType string }
	fees := map[key]int64{}
	for _, d := range txn.FeeDetails {
		fees[key{strings.ToLower(d.Currency), d.Type}] += d.Amount
	}
	for k, amount := range fees {
		ch <- prometheus.MustNewConstMetric(txnFeeDetail, prometheus.GaugeValue, c.majorUnits(amount, k.currency), account, id, k.currency, k.feeType)
	}
}

func (c *Collector) majorUnits(amount int64, currency string) float64 {
	v, known := stripe.Convert(amount, currency)
	if !known {
		level.Debug(c.logger).Log("msg", "currency not in Stripe's table, assuming two decimals", "currency", currency)
	}
	return v
}

// fetchFailed logs a failed call once, with what Stripe said about it, and
// counts it. A scrape whose client went away (Prometheus gave up on it) is
// no failure of Stripe's, and is only logged at debug level.
func (c *Collector) fetchFailed(endpoint, account, id string, err error) {
	if errors.Is(c.ctx.Err(), context.Canceled) {
		level.Debug(c.logger).Log("msg", "scrape abandoned by its client", "endpoint", endpoint, "account", account, "err", err)
		return
	}
	if c.metrics != nil {
		c.metrics.fetchErrors.WithLabelValues(account, endpoint).Inc()
	}
	kv := []any{"msg", "fetch from Stripe failed", "endpoint", endpoint, "account", account}
	if id != "" {
		kv = append(kv, "id", id)
	}
	var se *stripe.Error
	if errors.As(err, &se) {
		kv = append(kv, "status", se.Status, "error_type", se.Type, "request_id", se.RequestID)
	}
	kv = append(kv, "err", err)
	level.Warn(c.logger).Log(kv...)
}
