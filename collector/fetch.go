package collector

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/stripe-exporter/stripe_exporter/stripe"
)

// maxConcurrentCalls bounds the Stripe calls one scrape has in flight; the
// client's rate limiter bounds how fast they are sent.
const maxConcurrentCalls = 8

// Target is an account to scrape and the balance transactions to look up in
// it.
type Target struct {
	// Account is a connected account ID, or "" for the key's own account.
	Account      string
	Transactions []string
	// Payouts asks for the account's payouts in flight and how the last
	// ended.
	Payouts bool
}

// Label returns the account label value for the target.
func (t Target) Label() string {
	if t.Account == "" {
		return SelfAccount
	}
	return t.Account
}

// Result is what one scrape fetched from Stripe.
type Result struct {
	Accounts []AccountResult
	// Took is how long the fetch took.
	Took time.Duration
	// Abandoned is set when the scrape's client went away before the calls
	// were over: their failures are then not Stripe's.
	Abandoned bool
}

// AccountResult is what was fetched for one target.
type AccountResult struct {
	Target
	// Balance is nil when BalanceErr is set.
	Balance    *stripe.Balance
	BalanceErr error
	// Transactions holds one entry for each of Target.Transactions, in order.
	Transactions []TransactionResult
	// Payouts is set when Target.Payouts asked for it and the call worked.
	Payouts    *stripe.PayoutSummary
	PayoutsErr error
}

// TransactionResult is one looked-up balance transaction.
type TransactionResult struct {
	ID string
	// Transaction is nil when Err is set.
	Transaction *stripe.BalanceTransaction
	Err         error
}

// call is one of a scrape's calls to Stripe.
type call struct{ endpoint, account, id string }

// logFields describes c for a log line.
func (c call) logFields() []any {
	kv := []any{"endpoint", c.endpoint, "account", c.account}
	if c.id != "" {
		kv = append(kv, "id", c.id)
	}
	return kv
}

// calls yields each of r's calls and its error, nil when it worked.
func (r *Result) calls(yield func(call, error) bool) {
	for _, a := range r.Accounts {
		if !yield(call{stripe.EndpointBalance, a.Label(), ""}, a.BalanceErr) {
			return
		}
		for _, t := range a.Transactions {
			if !yield(call{stripe.EndpointBalanceTransaction, a.Label(), t.ID}, t.Err) {
				return
			}
		}
		if a.Target.Payouts && !yield(call{stripe.EndpointPayouts, a.Label(), ""}, a.PayoutsErr) {
			return
		}
	}
}

// Fetch gets the balance, listed transactions and, when asked for, the
// payouts of each target, at most maxConcurrentCalls at a time, balances
// first, until ctx ends. A failed call is recorded in the result, and so is
// an answer whose series would sum beyond an int64; Fetch itself does not
// fail.
func Fetch(ctx context.Context, client stripe.Client, targets []Target) *Result {
	start := time.Now()
	r := &Result{Accounts: make([]AccountResult, len(targets))}
	var g errgroup.Group
	g.SetLimit(maxConcurrentCalls)
	for i, t := range targets {
		a := &r.Accounts[i]
		a.Target = t
		g.Go(func() error {
			b, err := client.Balance(ctx, t.Account)
			if err == nil {
				_, err = balanceSeries(b)
			}
			if err != nil {
				b = nil
			}
			a.Balance, a.BalanceErr = b, err
			return nil
		})
		if t.Payouts {
			g.Go(func() error {
				a.Payouts, a.PayoutsErr = client.PayoutSummary(ctx, t.Account)
				return nil
			})
		}
	}
	for i, t := range targets {
		a := &r.Accounts[i]
		a.Transactions = make([]TransactionResult, len(t.Transactions))
		for j, id := range t.Transactions {
			g.Go(func() error {
				txn, err := client.BalanceTransaction(ctx, t.Account, id)
				if err == nil {
					_, err = sumFees(txn.FeeDetails)
				}
				if err != nil {
					txn = nil
				}
				a.Transactions[j] = TransactionResult{ID: id, Transaction: txn, Err: err}
				return nil
			})
		}
	}
	_ = g.Wait()
	r.Took = time.Since(start)
	r.Abandoned = errors.Is(ctx.Err(), context.Canceled)
	return r
}
