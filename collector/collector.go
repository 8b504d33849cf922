// Package collector turns Stripe balances and balance transactions into
// Prometheus metrics, fetched anew on every scrape.
package collector

import (
	"strings"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"

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

	payoutLabels          = []string{"account", "currency", "status"}
	payoutsInFlightAmount = newDesc("payouts_in_flight_amount",
		"Sum of the payouts on their way to the bank (status pending or in_transit), in the currency's major unit.", payoutLabels)
	payoutsInFlight = newDesc("payouts_in_flight",
		"Number of payouts on their way to the bank (status pending or in_transit).", payoutLabels)
	payoutNextArrival = newDesc("payout_next_arrival_timestamp_seconds",
		"Earliest expected arrival of the payouts in flight, in Unix seconds.", currencyLabel)
	payoutLastPaid = newDesc("payout_last_paid_timestamp_seconds",
		"Arrival date of the account's newest paid payout, in Unix seconds.", currencyLabel)
	payoutLastFailed = newDesc("payout_last_failed_timestamp_seconds",
		"Arrival date of the account's newest failed payout, in Unix seconds, with Stripe's failure code.", []string{"account", "currency", "failure_code"})

	up = newDesc("up",
		"1 if the account's balance was fetched from Stripe in this scrape, else 0.", []string{"account"})
	scrapeDuration = newDesc("scrape_duration_seconds",
		"Time this scrape spent fetching from Stripe.", nil)
)

func newDesc(name, help string, labels []string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
}

// resultCollector exposes a fetched Result. It makes no calls, so it can be
// collected, and tested, without Stripe.
type resultCollector struct {
	r      *Result
	logger log.Logger
}

// New returns a Collector of r's metrics. The logger notes, at debug level,
// currencies missing from Stripe's table.
func New(r *Result, logger log.Logger) prometheus.Collector {
	return resultCollector{r: r, logger: logger}
}

// Describe implements prometheus.Collector.
func (c resultCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		balanceAvailable, balancePending, balanceInstantAvailable, balanceIssuingAvailable,
		balanceConnectReserved, prefundingAvailable, prefundingPending,
		txnAmount, txnFee, txnNet, txnFeeDetail, txnAvailableOn,
		payoutsInFlightAmount, payoutsInFlight, payoutNextArrival, payoutLastPaid, payoutLastFailed,
		up, scrapeDuration,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c resultCollector) Collect(ch chan<- prometheus.Metric) {
	for _, a := range c.r.Accounts {
		c.collectBalance(ch, a.Label(), a.Balance)
		for _, t := range a.Transactions {
			if t.Transaction != nil {
				c.collectTransaction(ch, a.Label(), t.ID, t.Transaction)
			}
		}
		if a.Payouts != nil {
			c.collectPayouts(ch, a.Label(), a.Payouts)
		}
	}
	ch <- prometheus.MustNewConstMetric(scrapeDuration, prometheus.GaugeValue, c.r.Took.Seconds())
}

// collectBalance sends b's series. A balance that Fetch would fail, because
// a sum does not fit in an int64, is down like one that could not be
// fetched.
func (c resultCollector) collectBalance(ch chan<- prometheus.Metric, account string, b *stripe.Balance) {
	var series []balanceSample
	var err error
	if b != nil {
		series, err = balanceSeries(b)
	}
	if b == nil || err != nil {
		ch <- prometheus.MustNewConstMetric(up, prometheus.GaugeValue, 0, account)
		return
	}
	ch <- prometheus.MustNewConstMetric(up, prometheus.GaugeValue, 1, account)
	for _, s := range series {
		// Every currency's Unattributed series is there even at zero, so
		// that it does not come and go between scrapes.
		ch <- prometheus.MustNewConstMetric(s.desc, prometheus.GaugeValue, c.majorUnits(s.amount, s.labels[0]), append([]string{account}, s.labels...)...)
	}
}

// collectTransaction sends txn's series; one whose fees Fetch would fail,
// because their sum does not fit in an int64, is left out like one that
// could not be fetched.
func (c resultCollector) collectTransaction(ch chan<- prometheus.Metric, account, id string, txn *stripe.BalanceTransaction) {
	fees, err := sumFees(txn.FeeDetails)
	if err != nil {
		return
	}
	currency := strings.ToLower(txn.Currency)
	labels := []string{account, id, currency, txn.Status, txn.Type, txn.ReportingCategory}
	ch <- prometheus.MustNewConstMetric(txnAmount, prometheus.GaugeValue, c.majorUnits(txn.Amount, currency), labels...)
	ch <- prometheus.MustNewConstMetric(txnFee, prometheus.GaugeValue, c.majorUnits(txn.Fee, currency), labels...)
	ch <- prometheus.MustNewConstMetric(txnNet, prometheus.GaugeValue, c.majorUnits(txn.Net, currency), labels...)
	ch <- prometheus.MustNewConstMetric(txnAvailableOn, prometheus.GaugeValue, float64(txn.AvailableOn), account, id)
	for k, amount := range fees {
		ch <- prometheus.MustNewConstMetric(txnFeeDetail, prometheus.GaugeValue, c.majorUnits(amount, k.currency), account, id, k.currency, k.feeType)
	}
}

func (c resultCollector) majorUnits(amount int64, currency string) float64 {
	v, known := stripe.Convert(amount, currency)
	if !known {
		level.Debug(c.logger).Log("msg", "currency not in Stripe's table, assuming two decimals", "currency", currency)
	}
	return v
}

func (c resultCollector) collectPayouts(ch chan<- prometheus.Metric, account string, p *stripe.PayoutSummary) {
	next := map[string]int64{}
	for _, f := range p.InFlight {
		currency := strings.ToLower(f.Currency)
		ch <- prometheus.MustNewConstMetric(payoutsInFlightAmount, prometheus.GaugeValue, c.majorUnits(f.Amount, currency), account, currency, f.Status)
		ch <- prometheus.MustNewConstMetric(payoutsInFlight, prometheus.GaugeValue, float64(f.Count), account, currency, f.Status)
		if t, ok := next[currency]; !ok || f.EarliestArrival < t {
			next[currency] = f.EarliestArrival
		}
	}
	for currency, t := range next {
		ch <- prometheus.MustNewConstMetric(payoutNextArrival, prometheus.GaugeValue, float64(t), account, currency)
	}
	if paid := p.LastPaid; paid != nil {
		ch <- prometheus.MustNewConstMetric(payoutLastPaid, prometheus.GaugeValue, float64(paid.ArrivalDate), account, strings.ToLower(paid.Currency))
	}
	if failed := p.LastFailed; failed != nil {
		ch <- prometheus.MustNewConstMetric(payoutLastFailed, prometheus.GaugeValue, float64(failed.ArrivalDate), account, strings.ToLower(failed.Currency), failureCode(failed.FailureCode))
	}
}

// failureCode is code as a label value. Stripe's payout failure codes are
// a short list of lower-case words (account_closed, insufficient_funds,
// ...); anything else becomes "other", so that the label stays bounded.
func failureCode(code string) string {
	if code == "" {
		return "unknown"
	}
	if len(code) > 64 || strings.Trim(code, "abcdefghijklmnopqrstuvwxyz_") != "" {
		return "other"
	}
	return code
}
