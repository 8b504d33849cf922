package collector

import (
	"context"
	"fmt"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stripe-exporter/stripe_exporter/stripe"
)

// memClient answers from memory, so the benchmark measures the collector
// alone.
type memClient struct {
	balance *stripe.Balance
	txns    map[string]*stripe.BalanceTransaction
}

func (m memClient) Balance(context.Context, string) (*stripe.Balance, error) { return m.balance, nil }

func (m memClient) BalanceTransaction(_ context.Context, _, id string) (*stripe.BalanceTransaction, error) {
	return m.txns[id], nil
}

func (memClient) PayoutSummary(context.Context, string) (*stripe.PayoutSummary, error) {
	return &stripe.PayoutSummary{}, nil
}

// BenchmarkCollect measures the cost of one scrape, fetched from memory and
// collected, of 50 currencies with 3 source types each, in every per-source
// family, and 100 transactions.
func BenchmarkCollect(b *testing.B) {
	var funds []stripe.Funds
	for i := range 50 {
		funds = append(funds, stripe.Funds{
			Currency:    fmt.Sprintf("c%02d", i),
			Amount:      300000,
			SourceTypes: map[string]int64{"card": 100000, "bank_account": 100000, "fpx": 100000},
		})
	}
	client := memClient{
		balance: &stripe.Balance{
			Available: funds, Pending: funds, InstantAvailable: funds, IssuingAvailable: funds,
			ConnectReserved: funds, RefundAndDisputeAvailable: funds, RefundAndDisputePending: funds,
		},
		txns: map[string]*stripe.BalanceTransaction{},
	}
	var ids []string
	for i := range 100 {
		id := fmt.Sprintf("txn_1Bench%03d", i)
		ids = append(ids, id)
		client.txns[id] = &stripe.BalanceTransaction{
			ID: id, Currency: "usd", Amount: 10000, Fee: 320, Net: 9680, Status: "available",
			Type: "charge", ReportingCategory: "charge", AvailableOn: 1735689600,
			FeeDetails: []stripe.FeeDetail{{Currency: "usd", Amount: 300, Type: "stripe_fee"}, {Currency: "usd", Amount: 20, Type: "tax"}},
		}
	}
	targets := []Target{{Transactions: ids}}
	ch := make(chan prometheus.Metric, 4096)
	series := 0
	b.ReportAllocs()
	for b.Loop() {
		New(Fetch(context.Background(), client, targets), log.NewNopLogger()).Collect(ch)
		series = len(ch)
		for len(ch) > 0 {
			<-ch
		}
	}
	b.ReportMetric(float64(series), "series/op")
}
