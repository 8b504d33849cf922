package activity

import (
	"math"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stripe-exporter/stripe_exporter/stripe"
)

var (
	txnLabels = []string{"account", "currency", "type", "reporting_category"}
	feeLabels = []string{"account", "currency", "fee_type"}

	transactionsDesc = prometheus.NewDesc("stripe_balance_activity_transactions_total",
		"Balance transactions created since the exporter started.", txnLabels, nil)
	creditDesc = prometheus.NewDesc("stripe_balance_activity_credit_total",
		"Sum of the positive amounts of those transactions, in the currency's major unit.", txnLabels, nil)
	debitDesc = prometheus.NewDesc("stripe_balance_activity_debit_total",
		"Sum of the absolute values of their negative amounts, in the currency's major unit.", txnLabels, nil)
	feesDesc = prometheus.NewDesc("stripe_balance_activity_fees_total",
		"Sum of the positive fee_details amounts of those transactions, in the currency's major unit.", feeLabels, nil)
	feeRefundsDesc = prometheus.NewDesc("stripe_balance_activity_fee_refunds_total",
		"Sum of the absolute values of their negative fee_details amounts, in the currency's major unit.", feeLabels, nil)
	lastSuccessDesc = prometheus.NewDesc("stripe_balance_activity_last_success_timestamp_seconds",
		"When the account's balance transactions were last listed in full (Unix time); 0 until then.", []string{"account"}, nil)
	errorsDesc = prometheus.NewDesc("stripe_balance_activity_errors_total",
		"Calls listing the account's balance transactions that failed, after retries, or whose page could not be counted because a sum would pass 64 bits.", []string{"account"}, nil)
)

// Describe implements prometheus.Collector.
func (p *Poller) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{transactionsDesc, creditDesc, debitDesc, feesDesc, feeRefundsDesc, lastSuccessDesc, errorsDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. Sums are kept in minor units and
// converted here, so that no rounding accumulates across transactions.
func (p *Poller) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.accounts {
		for k, n := range a.txns {
			ch <- prometheus.MustNewConstMetric(transactionsDesc, prometheus.CounterValue, float64(n), a.label, k.currency, k.typ, k.category)
		}
		for desc, m := range map[*prometheus.Desc]map[series]int64{creditDesc: a.credit, debitDesc: a.debit} {
			for k, v := range m {
				ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, majorUnits(v, k.currency), a.label, k.currency, k.typ, k.category)
			}
		}
		for desc, m := range map[*prometheus.Desc]map[feeSeries]int64{feesDesc: a.fees, feeRefundsDesc: a.feeRefunds} {
			for k, v := range m {
				ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, majorUnits(v, k.currency), a.label, k.currency, k.typ)
			}
		}
		var last float64
		if !a.lastSuccess.IsZero() {
			last = float64(a.lastSuccess.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(lastSuccessDesc, prometheus.GaugeValue, last, a.label)
		ch <- prometheus.MustNewConstMetric(errorsDesc, prometheus.CounterValue, float64(a.errors), a.label)
	}
}

// majorUnits converts a sum, of positive or of negative amounts, to its
// absolute value in the major unit; the float's sign flips exactly, even
// for the sum math.MinInt64, whose absolute value no int64 holds.
func majorUnits(v int64, currency string) float64 {
	return math.Abs(stripe.MajorUnits(v, currency))
}
