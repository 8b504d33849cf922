// Package collector turns Stripe balances and balance transactions into
// Prometheus metrics, fetched anew on every scrape.
package collector

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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

// Scrape is one scrape's calls to Stripe, which start when it is made and
// end by its context's deadline, and what they returned. It is a Collector
// of all of it, and has two parts that can be collected, and so sent, one
// after the other: Transactions waits only for the transactions that need a
// call, none when all are settled and kept from earlier scrapes (by a
// client such as stripe.Shared), while Balances waits for every call.
// Collecting a Scrape again gives the same answers: it makes no new calls.
type Scrape struct {
	ctx     context.Context
	client  stripe.Client
	metrics *Metrics
	logger  log.Logger

	targets []Target
	// balances[i] and transactions[i][j] are what Stripe answered for
	// targets[i] and its j-th transaction, or nil when the call failed.
	balances     []*stripe.Balance
	transactions [][]*stripe.BalanceTransaction
	// txnCalls counts the transaction calls not over yet.
	txnCalls sync.WaitGroup
	// done is closed when all calls are over; took is set by then.
	done chan struct{}
	took time.Duration
}

// keeper is a Client that keeps settled transactions, like stripe.Shared.
type keeper interface {
	Kept(account, id string) (*stripe.BalanceTransaction, bool)
}

// Start starts the calls of one scrape of targets. metrics, when not nil,
// counts the fetches that fail.
func Start(ctx context.Context, client stripe.Client, targets []Target, metrics *Metrics, logger log.Logger) *Scrape {
	s := &Scrape{
		ctx: ctx, client: client, metrics: metrics, logger: logger,
		targets:      targets,
		balances:     make([]*stripe.Balance, len(targets)),
		transactions: make([][]*stripe.BalanceTransaction, len(targets)),
		done:         make(chan struct{}),
	}
	// Balances first: they are what a scrape waits for.
	var calls []func()
	for i, t := range targets {
		calls = append(calls, func() { s.balances[i] = s.fetchBalance(t) })
	}
	kept, _ := client.(keeper)
	for i, t := range targets {
		s.transactions[i] = make([]*stripe.BalanceTransaction, len(t.Transactions))
		for j, id := range t.Transactions {
			if kept != nil {
				if txn, ok := kept.Kept(t.Account, id); ok {
					s.transactions[i][j] = txn
					continue
				}
			}
			s.txnCalls.Add(1)
			calls = append(calls, func() {
				defer s.txnCalls.Done()
				s.transactions[i][j] = s.fetchTransaction(t, id)
			})
		}
	}
	s.run(calls)
	return s
}

// run makes calls in their order, at most maxConcurrentCalls at a time, on
// goroutines of their own so that Start does not wait (as errgroup's Go
// would once the limit is reached).
func (s *Scrape) run(calls []func()) {
	if len(calls) == 0 {
		close(s.done)
		return
	}
	start := time.Now()
	// next is the next call to make; left counts the calls not over yet,
	// and the last to end closes done.
	var next, left atomic.Int64
	left.Store(int64(len(calls)))
	for range min(maxConcurrentCalls, len(calls)) {
		go func() {
			for i := next.Add(1) - 1; i < int64(len(calls)); i = next.Add(1) - 1 {
				calls[i]()
				if left.Add(-1) == 0 {
					s.took = time.Since(start)
					close(s.done)
				}
			}
		}()
	}
}

// Done is closed when all of the scrape's calls are over.
func (s *Scrape) Done() <-chan struct{} { return s.done }

// Transactions returns the collector of the scrape's balance transactions.
func (s *Scrape) Transactions() prometheus.Collector { return transactionsPart{s} }

// Balances returns the collector of the scrape's balances, stripe_up and
// the time its calls took, which waits for all of them.
func (s *Scrape) Balances() prometheus.Collector { return balancesPart{s} }

// Describe implements prometheus.Collector.
func (s *Scrape) Describe(ch chan<- *prometheus.Desc) {
	s.Transactions().Describe(ch)
	s.Balances().Describe(ch)
}

// Collect implements prometheus.Collector.
func (s *Scrape) Collect(ch chan<- prometheus.Metric) {
	s.Transactions().Collect(ch)
	s.Balances().Collect(ch)
}

// After returns c as a collector that waits for the scrape's calls to be
// over before it collects, so that c's counts of calls include them.
func (s *Scrape) After(c prometheus.Collector) prometheus.Collector { return afterCalls{c, s} }

type afterCalls struct {
	prometheus.Collector
	s *Scrape
}

func (a afterCalls) Collect(ch chan<- prometheus.Metric) {
	<-a.s.done
	a.Collector.Collect(ch)
}

func (s *Scrape) fetchBalance(t Target) *stripe.Balance {
	b, err := s.client.Balance(s.ctx, t.Account)
	if err != nil {
		s.fetchFailed(stripe.EndpointBalance, t.Label(), "", err)
		return nil
	}
	return b
}

func (s *Scrape) fetchTransaction(t Target, id string) *stripe.BalanceTransaction {
	txn, err := s.client.BalanceTransaction(s.ctx, t.Account, id)
	if err != nil {
		s.fetchFailed(stripe.EndpointBalanceTransaction, t.Label(), id, err)
		return nil
	}
	return txn
}

type transactionsPart struct{ *Scrape }

func (transactionsPart) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{txnAmount, txnFee, txnNet, txnFeeDetail, txnAvailableOn} {
		ch <- d
	}
}

func (p transactionsPart) Collect(ch chan<- prometheus.Metric) {
	p.txnCalls.Wait()
	for i, t := range p.targets {
		for j, txn := range p.transactions[i] {
			if txn != nil {
				p.collectTransaction(ch, t.Label(), t.Transactions[j], txn)
			}
		}
	}
}

type balancesPart struct{ *Scrape }

func (balancesPart) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		balanceAvailable, balancePending, balanceInstantAvailable, balanceIssuingAvailable,
		balanceConnectReserved, prefundingAvailable, prefundingPending,
		up, scrapeDuration,
	} {
		ch <- d
	}
}

func (p balancesPart) Collect(ch chan<- prometheus.Metric) {
	<-p.done
	for i, t := range p.targets {
		p.collectBalance(ch, t.Label(), p.balances[i])
	}
	ch <- prometheus.MustNewConstMetric(scrapeDuration, prometheus.GaugeValue, p.took.Seconds())
}

func (s *Scrape) collectBalance(ch chan<- prometheus.Metric, account string, b *stripe.Balance) {
	if b == nil {
		ch <- prometheus.MustNewConstMetric(up, prometheus.GaugeValue, 0, account)
		return
	}
	ch <- prometheus.MustNewConstMetric(up, prometheus.GaugeValue, 1, account)
	s.bySourceType(ch, balanceAvailable, account, b.Available)
	s.bySourceType(ch, balancePending, account, b.Pending)
	s.bySourceType(ch, balanceInstantAvailable, account, b.InstantAvailable)
	s.bySourceType(ch, balanceIssuingAvailable, account, b.IssuingAvailable)
	s.byCurrency(ch, balanceConnectReserved, account, b.ConnectReserved)
	s.byCurrency(ch, prefundingAvailable, account, b.RefundAndDisputeAvailable)
	s.byCurrency(ch, prefundingPending, account, b.RefundAndDisputePending)
}

// bySourceType sends one series per currency and source type. What the
// breakdown leaves out of the amount goes on source_type Unattributed, so
// that summing a currency's series gives Stripe's amount. That series is
// there even at zero, so it does not come and go between scrapes. Sums are
// taken in minor units, before conversion, so they stay exact.
func (s *Scrape) bySourceType(ch chan<- prometheus.Metric, desc *prometheus.Desc, account string, funds []stripe.Funds) {
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
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, s.majorUnits(amount, k.currency), account, k.currency, k.source)
	}
}

// byCurrency sends one series per currency.
func (s *Scrape) byCurrency(ch chan<- prometheus.Metric, desc *prometheus.Desc, account string, funds []stripe.Funds) {
	sums := map[string]int64{}
	for _, f := range funds {
		sums[strings.ToLower(f.Currency)] += f.Amount
	}
	for currency, amount := range sums {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, s.majorUnits(amount, currency), account, currency)
	}
}

func (s *Scrape) collectTransaction(ch chan<- prometheus.Metric, account, id string, txn *stripe.BalanceTransaction) {
	currency := strings.ToLower(txn.Currency)
	labels := []string{account, id, currency, txn.Status, txn.Type, txn.ReportingCategory}
	ch <- prometheus.MustNewConstMetric(txnAmount, prometheus.GaugeValue, s.majorUnits(txn.Amount, currency), labels...)
	ch <- prometheus.MustNewConstMetric(txnFee, prometheus.GaugeValue, s.majorUnits(txn.Fee, currency), labels...)
	ch <- prometheus.MustNewConstMetric(txnNet, prometheus.GaugeValue, s.majorUnits(txn.Net, currency), labels...)
	ch <- prometheus.MustNewConstMetric(txnAvailableOn, prometheus.GaugeValue, float64(txn.AvailableOn), account, id)

	// Stripe may list several fees of one type (two stripe_fee lines, say);
	// they are one series.
	type key struct{ currency, feeType string }
	fees := map[key]int64{}
	for _, d := range txn.FeeDetails {
		fees[key{strings.ToLower(d.Currency), d.Type}] += d.Amount
	}
	for k, amount := range fees {
		ch <- prometheus.MustNewConstMetric(txnFeeDetail, prometheus.GaugeValue, s.majorUnits(amount, k.currency), account, id, k.currency, k.feeType)
	}
}

func (s *Scrape) majorUnits(amount int64, currency string) float64 {
	v, known := stripe.Convert(amount, currency)
	if !known {
		level.Debug(s.logger).Log("msg", "currency not in Stripe's table, assuming two decimals", "currency", currency)
	}
	return v
}

// fetchFailed logs a failed call once, with what Stripe said about it, and
// counts it. A scrape whose client went away (Prometheus gave up on it) is
// no failure of Stripe's, and is only logged at debug level.
func (s *Scrape) fetchFailed(endpoint, account, id string, err error) {
	if errors.Is(s.ctx.Err(), context.Canceled) {
		level.Debug(s.logger).Log("msg", "scrape abandoned by its client", "endpoint", endpoint, "account", account, "err", err)
		return
	}
	if s.metrics != nil {
		s.metrics.fetchErrors.WithLabelValues(account, endpoint).Inc()
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
	level.Warn(s.logger).Log(kv...)
}
