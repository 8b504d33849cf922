package stripe

import "context"

// Client is what the exporter's scrapes need from Stripe. An empty account
// means the account that owns the API key; otherwise it is a connected
// account (acct_...) and the call is made on its behalf with the
// Stripe-Account header. APIClient calls Stripe every time; Shared, in front
// of it, shares concurrent calls and answers for a settled balance
// transaction from memory.
type Client interface {
	Balance(ctx context.Context, account string) (*Balance, error)
	BalanceTransaction(ctx context.Context, account, id string) (*BalanceTransaction, error)
	PayoutSummary(ctx context.Context, account string) (*PayoutSummary, error)
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

// Payout is a Stripe Payout object: funds sent from a Stripe balance to a
// bank account or debit card. Amount is in the currency's smallest API unit.
type Payout struct {
	ID       string
	Amount   int64
	Currency string
	// Status is pending, in_transit, paid, failed or canceled.
	Status string
	// ArrivalDate is when the payout is expected to reach the bank, or
	// reached it, and Created when Stripe created it, in Unix seconds.
	ArrivalDate int64
	Created     int64
	// FailureCode and FailureMessage say why a payout failed, when Stripe
	// says; they are empty otherwise.
	FailureCode    string
	FailureMessage string
	// Automatic is true for a payout made by the account's payout schedule,
	// false for one asked for through the API or Dashboard.
	Automatic bool
}

// PayoutSummary is what the payouts of one account say at one moment: the
// money on its way to the bank, and how the last payouts ended.
type PayoutSummary struct {
	// InFlight sums the listed payouts whose status is pending or
	// in_transit, by currency and status, sorted by both.
	InFlight []PayoutsInFlight
	// ListedSince is 0 when every payout of the account was listed.
	// Otherwise only the newest were: all those created after ListedSince
	// (Unix seconds) and some created in that second. An older payout still
	// in flight is then missing from InFlight.
	ListedSince int64
	// LastPaid and LastFailed are the newest payouts (by creation) that
	// were paid and that failed, or nil when the account has none.
	LastPaid   *Payout
	LastFailed *Payout
}

// PayoutsInFlight sums the payouts of one currency and status that are on
// their way.
type PayoutsInFlight struct {
	Currency string
	Status   string
	Amount   int64
	Count    int
	// EarliestArrival is the earliest of their arrival dates, in Unix
	// seconds; in the past, a payout is late.
	EarliestArrival int64
}

// Account is a connected account, as discovery lists it.
type Account struct {
	ID             string
	Type           string
	Country        string
	ChargesEnabled bool
	PayoutsEnabled bool
}
