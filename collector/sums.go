package collector

import (
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stripe-exporter/stripe_exporter/stripe"
)

// The series of a balance and of a transaction's fees are sums, taken in
// minor units before conversion so that they stay exact. A sum that does
// not fit in an int64 fails the call in Fetch, so that the scrape says the
// account is down instead of exporting a wrong number; Collect takes the
// same sums and exports nothing it could not take.

type sourceKey struct{ currency, source string }

type feeKey struct{ currency, feeType string }

// balancePart is one list of a balance's funds and the family it goes to.
type balancePart struct {
	desc *prometheus.Desc
	// name says which funds these are, in errors.
	name  string
	funds []stripe.Funds
	// bySource: the family has a source_type label.
	bySource bool
}

func balanceParts(b *stripe.Balance) []balancePart {
	return []balancePart{
		{balanceAvailable, "available", b.Available, true},
		{balancePending, "pending", b.Pending, true},
		{balanceInstantAvailable, "instant-available", b.InstantAvailable, true},
		{balanceIssuingAvailable, "Issuing", b.IssuingAvailable, true},
		{balanceConnectReserved, "Connect-reserved", b.ConnectReserved, false},
		{prefundingAvailable, "refund and dispute prefunding available", b.RefundAndDisputeAvailable, false},
		{prefundingPending, "refund and dispute prefunding pending", b.RefundAndDisputePending, false},
	}
}

// balanceSample is one series of a balance, in minor units.
type balanceSample struct {
	desc *prometheus.Desc
	// labels are the currency, and the source type where the family has one.
	labels []string
	amount int64
}

// balanceSeries is every series of b.
func balanceSeries(b *stripe.Balance) ([]balanceSample, error) {
	var out []balanceSample
	for _, p := range balanceParts(b) {
		if p.bySource {
			sums, err := p.sumBySourceType()
			if err != nil {
				return nil, err
			}
			for k, amount := range sums {
				out = append(out, balanceSample{p.desc, []string{k.currency, k.source}, amount})
			}
			continue
		}
		sums, err := p.sumByCurrency()
		if err != nil {
			return nil, err
		}
		for currency, amount := range sums {
			out = append(out, balanceSample{p.desc, []string{currency}, amount})
		}
	}
	return out, nil
}

// sumBySourceType sums the funds by currency (lower-cased, as Stripe sends
// it) and source type. What the breakdown leaves out of the amount goes on
// source_type Unattributed, so that summing a currency's series gives
// Stripe's amount.
func (p balancePart) sumBySourceType() (map[sourceKey]int64, error) {
	sums := map[sourceKey]*stripe.Sum{}
	for _, f := range p.funds {
		currency := strings.ToLower(f.Currency)
		unattributed := sumOf(sums, sourceKey{currency, Unattributed})
		unattributed.Add(f.Amount)
		for source, amount := range f.SourceTypes {
			sumOf(sums, sourceKey{currency, source}).Add(amount)
			unattributed.Sub(amount)
		}
	}
	out, err := totals(sums)
	if err != nil {
		return nil, fmt.Errorf("the balance's %s funds by currency and source type: %w", p.name, err)
	}
	return out, nil
}

// sumByCurrency sums the funds by currency.
func (p balancePart) sumByCurrency() (map[string]int64, error) {
	sums := map[string]*stripe.Sum{}
	for _, f := range p.funds {
		sumOf(sums, strings.ToLower(f.Currency)).Add(f.Amount)
	}
	out, err := totals(sums)
	if err != nil {
		return nil, fmt.Errorf("the balance's %s funds by currency: %w", p.name, err)
	}
	return out, nil
}

// sumFees sums a transaction's fees by currency and type: Stripe may list
// several fees of one type (two stripe_fee lines, say), which are one
// series.
func sumFees(details []stripe.FeeDetail) (map[feeKey]int64, error) {
	sums := map[feeKey]*stripe.Sum{}
	for _, d := range details {
		sumOf(sums, feeKey{strings.ToLower(d.Currency), d.Type}).Add(d.Amount)
	}
	out, err := totals(sums)
	if err != nil {
		return nil, fmt.Errorf("the transaction's fees by currency and type: %w", err)
	}
	return out, nil
}

func sumOf[K comparable](sums map[K]*stripe.Sum, k K) *stripe.Sum {
	s := sums[k]
	if s == nil {
		s = new(stripe.Sum)
		sums[k] = s
	}
	return s
}

// totals is the total of each sum, or stripe.ErrOverflow if one does not
// fit in an int64.
func totals[K comparable](sums map[K]*stripe.Sum) (map[K]int64, error) {
	out := make(map[K]int64, len(sums))
	for k, s := range sums {
		v, err := s.Int64()
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}
