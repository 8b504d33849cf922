package stripe

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Shared wraps a Client so that concurrent callers asking for the same thing
// share one call, and a settled balance transaction is fetched only once.
// Twenty scrapes arriving together then cost one balance call, not twenty.
type Shared struct {
	next    Client
	timeout time.Duration
	calls   singleflight.Group

	// waiting counts the callers waiting on each key's call, so that the
	// last one to give up can let the call go.
	waitMu  sync.Mutex
	waiting map[string]int

	mu      sync.Mutex
	settled map[string]*BalanceTransaction
}

// NewShared returns a Shared in front of next. A shared call may take up to
// timeout, whatever the deadlines of the callers waiting on it.
func NewShared(next Client, timeout time.Duration) *Shared {
	return &Shared{next: next, timeout: timeout, waiting: map[string]int{}, settled: map[string]*BalanceTransaction{}}
}

// Balance implements Client.
func (s *Shared) Balance(ctx context.Context, account string) (*Balance, error) {
	v, err := s.share(ctx, "balance\x00"+account, func(ctx context.Context) (any, error) {
		return s.next.Balance(ctx, account)
	})
	if err != nil {
		return nil, err
	}
	return v.(*Balance), nil
}

// BalanceTransaction implements Client. A transaction whose funds are
// available can no longer change, so it is kept and never fetched again.
func (s *Shared) BalanceTransaction(ctx context.Context, account, id string) (*BalanceTransaction, error) {
	if t, ok := s.kept(account, id); ok {
		return t, nil
	}
	key := account + "\x00" + id
	v, err := s.share(ctx, "txn\x00"+key, func(ctx context.Context) (any, error) {
		t, err := s.next.BalanceTransaction(ctx, account, id)
		if err == nil && t.Settled() {
			s.mu.Lock()
			s.settled[key] = t
			s.mu.Unlock()
		}
		return t, err
	})
	if err != nil {
		return nil, err
	}
	return v.(*BalanceTransaction), nil
}

// PayoutSummary implements Client. Concurrent callers for the same account
// share one summary and so its one to three calls; nothing is kept after
// it, so each scrape sees the payouts as they are.
func (s *Shared) PayoutSummary(ctx context.Context, account string) (*PayoutSummary, error) {
	v, err := s.share(ctx, "payouts\x00"+account, func(ctx context.Context) (any, error) {
		return s.next.PayoutSummary(ctx, account)
	})
	if err != nil {
		return nil, err
	}
	return v.(*PayoutSummary), nil
}

// kept returns the settled balance transaction of account kept from an
// earlier call, if there is one.
func (s *Shared) kept(account, id string) (*BalanceTransaction, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.settled[account+"\x00"+id]
	return t, ok
}

// share runs fn once for all callers with the same key at the same time.
// The call belongs to none of them: it has its own deadline, so a caller
// that leaves early, or had little time, does not cut it short for the
// others. Each caller stops waiting at its own deadline.
func (s *Shared) share(ctx context.Context, key string, fn func(context.Context) (any, error)) (any, error) {
	// A caller out of time would only start a call nobody waits for.
	if err := context.Cause(ctx); err != nil {
		return nil, fmt.Errorf("no time left for the call: %w", err)
	}
	// Probes share calls only among themselves: a probe's call waits for
	// the probes' share of the rate limit, which a flood of probes fills,
	// and a /metrics scrape that joined it would wait as long.
	if isProbe(ctx) {
		key = "probe\x00" + key
	}
	// Counted before joining, so that a caller leaving meanwhile does not
	// take this one for gone.
	s.waitMu.Lock()
	s.waiting[key]++
	s.waitMu.Unlock()
	ch := s.calls.DoChan(key, func() (any, error) {
		callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
		defer cancel()
		return fn(callCtx)
	})
	select {
	case r := <-ch:
		s.leave(key, false)
		return r.Val, r.Err
	case <-ctx.Done():
		s.leave(key, true)
		return nil, fmt.Errorf("wait for shared call: %w", context.Cause(ctx))
	}
}

// leave notes that a caller stopped waiting on key's call. When the last
// waiter gave up, the call, which runs on to its own deadline, is forgotten,
// so that a later caller asks Stripe afresh instead of joining a call that
// may be stalled.
func (s *Shared) leave(key string, gaveUp bool) {
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	s.waiting[key]--
	if s.waiting[key] > 0 {
		return
	}
	delete(s.waiting, key)
	if gaveUp {
		s.calls.Forget(key)
	}
}
