package stripe

import "context"

// Client is what the exporter needs from Stripe. An empty account means the
// account that owns the API key; otherwise it is a connected account (acct_...)
// and the call is made on its behalf with the Stripe-Account header.
// APIClient calls Stripe every time; Shared, in front of it, shares
// concurrent calls and answers for a settled balance transaction from memory.
type Client interface {
	Balance(ctx context.Context, account string) (*Balance, error)
	BalanceTransaction(ctx context.Context, account, id string) (*BalanceTransaction, error)
}

// Funds is one currency's part of a balance, in the currency's smallest API
// unit. SourceTypes breaks Amount down by payment source where Stripe gives a
// breakdown; it may be empty, and Stripe does not promise that it adds up.
type Funds struct {
	Currency    string
	Amount      int64
	SourceTypes map[string]int64
}

// Balance is a Stripe Balance object.
type Balance struct {
	Available                 []Funds
	Pending                   []Funds
	InstantAvailable          []Funds
	IssuingAvailable          []Funds
	ConnectReserved           []Funds
	RefundAndDisputeAvailable []Funds
	RefundAndDisputePending   []Funds
}

// FeeDetail is one fee charged on a balance transaction.
type FeeDetail struct {
	Currency string
	Amount   int64
	Type     string
}

// BalanceTransaction is a Stripe BalanceTransaction object. Amounts are in
// the currency's smallest API unit.
type BalanceTransaction struct {
	ID                string
	Currency          string
	Amount            int64
	Fee               int64
	Net               int64
	FeeDetails        []FeeDetail
	Status            string
	Type              string
	ReportingCategory string
	// AvailableOn is when the funds become available, in Unix seconds.
	AvailableOn int64
	// Created is when Stripe created the transaction, in Unix seconds; lists
	// are ordered and filtered by it.
	Created int64
}

// Settled reports whether the transaction can no longer change: Stripe
// moves a transaction from pending to available once, and never back.
func (t *BalanceTransaction) Settled() bool {
	return t.Status == "available"
}

// Account is a connected account, as discovery lists it.
type Account struct {
	ID             string
	Type           string
	Country        string
	ChargesEnabled bool
	PayoutsEnabled bool
}
