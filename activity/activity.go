// Package activity counts the balance transactions that accounts create,
// listing them from Stripe in the background, and exports the counts and
// money moved as Prometheus counters.
package activity

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/stripe-exporter/stripe_exporter/stripe"
)

// Lister lists one page of an account's balance transactions, newest first;
// *stripe.APIClient is one.
type Lister interface {
	BalanceTransactions(ctx context.Context, account string, q stripe.TransactionQuery) ([]stripe.BalanceTransaction, bool, error)
}

// pageSize is the most Stripe lists in a page, so the fewest calls.
const pageSize = 100

// headMargin is how far before the last head listing's start the next one
// begins, so that a transaction Stripe shows a few seconds after its
// created second, or a clock a few seconds off Stripe's, is still counted
// within a poll rather than by the tail, the overlap later.
const headMargin = 5 * time.Second

// MinOverlap is the shortest overlap that keeps the head's margin: the tail
// listing's lower bound also bounds the head's.
const MinOverlap = headMargin

// callTimeout bounds one list call, retries included, so that a stalled
// Stripe cannot stop polling; the listing resumes from its cursor next time.
const callTimeout = 30 * time.Second

// Config configures a Poller.
type Config struct {
	// Accounts are the accounts to follow; "" is the key's own account.
	Accounts []string
	// Interval is how often the accounts are listed.
	Interval time.Duration
	// Overlap is how long after its created second a transaction may
	// become visible and still be counted: each second is listed once more
	// when it is the overlap old.
	Overlap time.Duration
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger log.Logger
}

// Poller lists the new balance transactions of each account every interval
// and counts them. It is a prometheus.Collector of the counts; collecting
// only reads them, and never waits for Stripe.
type Poller struct {
	lister   Lister
	interval time.Duration
	overlap  time.Duration
	now      func() time.Time
	logger   log.Logger
	accounts []*account

	// mu guards the counts of every account, which Collect reads.
	mu sync.Mutex
}

// listing is a listing of one range of created times, newest first, that
// may take several polls; query holds its bounds and cursor.
type listing struct {
	query  stripe.TransactionQuery
	active bool
}

// account is what the Poller keeps for one account. Only the polling
// goroutine touches the listing state; the counts are under Poller.mu.
type account struct {
	id, label string

	// Two listings find the transactions. The head lists those created
	// since the last head listing began, so that new ones are counted
	// within a poll. The tail lists each created second once more when it
	// is the overlap old, for those Stripe showed late, behind ones the
	// head had paged past. Each is listed once more per poll, not the
	// whole overlap window.
	head, tail listing
	// headFrom is the second the last head listing began: the next lists
	// from there.
	headFrom int64
	// tailFrom is the lower bound (Unix seconds, inclusive) of what is
	// still to be listed by the tail: everything created before it is
	// counted, or predates the process.
	tailFrom int64
	// seen maps each counted transaction created at or after tailFrom to
	// its created time, so that a listing that sees it again skips it.
	seen map[string]int64
	// failing is how the last poll failed, "" when it did not.
	failing string

	// The counts, under Poller.mu. Sums are in minor units: credit and
	// fees of the positive amounts, debit and feeRefunds of the negative
	// ones, which are exported as their absolute values.
	txns             map[series]uint64
	credit, debit    map[series]int64
	fees, feeRefunds map[feeSeries]int64
	lastSuccess      time.Time
	errors           uint64
}

type series struct{ currency, typ, category string }

type feeSeries struct{ currency, typ string }

// New returns a Poller of cfg.Accounts that counts the transactions created
// from now on.
func New(lister Lister, cfg Config) (*Poller, error) {
	if cfg.Interval <= 0 {
		return nil, fmt.Errorf("balance activity interval is %v: want more than 0", cfg.Interval)
	}
	if cfg.Overlap < 0 {
		return nil, fmt.Errorf("balance activity overlap is %v: want 0 or more", cfg.Overlap)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	logger := cfg.Logger
	if logger == nil {
		logger = log.NewNopLogger()
	}
	p := &Poller{lister: lister, interval: cfg.Interval, overlap: cfg.Overlap, now: now, logger: logger}
	start := now().Unix()
	for _, id := range cfg.Accounts {
		label := id
		if id == "" {
			label = "self"
		}
		p.accounts = append(p.accounts, &account{
			id: id, label: label, headFrom: start, tailFrom: start, seen: map[string]int64{},
			txns: map[series]uint64{}, credit: map[series]int64{}, debit: map[series]int64{},
			fees: map[feeSeries]int64{}, feeRefunds: map[feeSeries]int64{},
		})
	}
	return p, nil
}

// Run polls every interval until ctx ends. A poll that runs longer than the
// interval delays the next rather than overlapping it.
func (p *Poller) Run(ctx context.Context) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		p.Poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PollStats is what one poll of one account did.
type PollStats struct {
	Account string
	// Calls is the list calls made, failed ones included.
	Calls int
	// Counted is the transactions counted for the first time.
	Counted int
	// Complete is true when the account was listed in full in this poll.
	Complete bool
	// Remembered is the transactions remembered after the poll.
	Remembered int
}

// Poll lists each account once: it resumes the listings in progress, or
// starts new ones, and pages to their end or to the first failure.
func (p *Poller) Poll(ctx context.Context) []PollStats {
	stats := make([]PollStats, 0, len(p.accounts))
	for _, a := range p.accounts {
		s := p.poll(ctx, a)
		level.Debug(p.logger).Log("msg", "listed balance activity", "account", a.label, "calls", s.Calls, "counted", s.Counted, "complete", s.Complete, "remembered", s.Remembered)
		stats = append(stats, s)
	}
	return stats
}

func (p *Poller) poll(ctx context.Context, a *account) (s PollStats) {
	s.Account = a.label
	defer func() { s.Remembered = len(a.seen) }()
	now := p.now().Unix()
	if !a.head.active {
		a.head = listing{query: stripe.TransactionQuery{CreatedGTE: max(a.headFrom-int64(headMargin/time.Second), a.tailFrom), Limit: pageSize}, active: true}
		a.headFrom = now
	}
	if !p.list(ctx, a, &a.head, &s) {
		return s
	}
	if !a.tail.active {
		upper := now - int64(p.overlap/time.Second)
		if upper <= a.tailFrom {
			p.complete(a, &s)
			return s
		}
		a.tail = listing{query: stripe.TransactionQuery{CreatedGTE: a.tailFrom, CreatedLT: upper, Limit: pageSize}, active: true}
	}
	if !p.list(ctx, a, &a.tail, &s) {
		return s
	}
	// Every second before the tail's upper bound has now been listed the
	// overlap after it: what was counted in them can be forgotten.
	a.tailFrom = a.tail.query.CreatedLT
	for id, created := range a.seen {
		if created < a.tailFrom {
			delete(a.seen, id)
		}
	}
	p.complete(a, &s)
	return s
}

// list pages through l from its cursor to its end, and reports whether it
// got there; on a failure it stops, and the next poll resumes it.
func (p *Poller) list(ctx context.Context, a *account, l *listing, s *PollStats) bool {
	for ctx.Err() == nil {
		callCtx, cancel := context.WithTimeout(ctx, callTimeout)
		page, more, err := p.lister.BalanceTransactions(callCtx, a.id, l.query)
		cancel()
		s.Calls++
		if err != nil {
			// Shutting down is not Stripe's failure.
			if ctx.Err() == nil {
				p.failed(a, err)
			}
			return false
		}
		counted, err := p.count(a, page)
		if err != nil {
			// The page stays the cursor's next, so the account's counts
			// stop rather than skip it or count it wrong.
			p.failed(a, err)
			return false
		}
		s.Counted += counted
		if len(page) > 0 {
			l.query.StartingAfter = page[len(page)-1].ID
		}
		if !more {
			l.active = false
			return true
		}
	}
	return false
}

// count counts the transactions of page not counted before, and returns
// how many. A page that would take a sum beyond an int64 fails it and
// changes nothing.
func (p *Poller) count(a *account, page []stripe.BalanceTransaction) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	credit, debit := pageSums[series]{}, pageSums[series]{}
	fees, feeRefunds := pageSums[feeSeries]{}, pageSums[feeSeries]{}
	var fresh []stripe.BalanceTransaction
	inPage := map[string]bool{}
	for _, t := range page {
		if _, dup := a.seen[t.ID]; dup || inPage[t.ID] {
			continue
		}
		inPage[t.ID] = true
		fresh = append(fresh, t)
		k := series{t.Currency, t.Type, t.ReportingCategory}
		if t.Amount >= 0 {
			credit.add(a.credit, k, t.Amount)
		} else {
			debit.add(a.debit, k, t.Amount)
		}
		for _, f := range t.FeeDetails {
			fk := feeSeries{f.Currency, f.Type}
			if f.Amount >= 0 {
				fees.add(a.fees, fk, f.Amount)
			} else {
				feeRefunds.add(a.feeRefunds, fk, f.Amount)
			}
		}
	}
	for _, s := range []struct {
		what string
		sums interface{ check() error }
	}{{"credit", credit}, {"debit", debit}, {"fees", fees}, {"fee refunds", feeRefunds}} {
		if err := s.sums.check(); err != nil {
			return 0, fmt.Errorf("counting a page of balance transactions: the %s sums: %w", s.what, err)
		}
	}
	credit.keep(a.credit)
	debit.keep(a.debit)
	fees.keep(a.fees)
	feeRefunds.keep(a.feeRefunds)
	for _, t := range fresh {
		a.seen[t.ID] = t.Created
		a.txns[series{t.Currency, t.Type, t.ReportingCategory}]++
	}
	return len(fresh), nil
}

// pageSums are what a page adds to some of an account's sums, taken aside
// until each total is known to fit in an int64.
type pageSums[K comparable] map[K]*stripe.Sum

// add adds v to the sum k, which starts from the account's kept sum.
func (s pageSums[K]) add(kept map[K]int64, k K, v int64) {
	sum := s[k]
	if sum == nil {
		sum = new(stripe.Sum)
		sum.Add(kept[k])
		s[k] = sum
	}
	sum.Add(v)
}

func (s pageSums[K]) check() error {
	for _, sum := range s {
		if _, err := sum.Int64(); err != nil {
			return err
		}
	}
	return nil
}

// keep stores the sums in kept; check has found that they fit.
func (s pageSums[K]) keep(kept map[K]int64) {
	for k, sum := range s {
		kept[k], _ = sum.Int64()
	}
}

// complete notes that the account was listed in full.
func (p *Poller) complete(a *account, s *PollStats) {
	s.Complete = true
	if a.failing != "" {
		level.Info(p.logger).Log("msg", "listing balance activity works again", "account", a.label)
		a.failing = ""
	}
	p.mu.Lock()
	a.lastSuccess = p.now()
	p.mu.Unlock()
}

// failed counts a failed call and logs it when the account starts failing
// or fails in a new way, not on every poll of a lasting failure.
func (p *Poller) failed(a *account, err error) {
	p.mu.Lock()
	a.errors++
	p.mu.Unlock()
	how := failureOf(err)
	if how == a.failing {
		return
	}
	a.failing = how
	level.Warn(p.logger).Log("msg", "listing balance activity failed; the next poll resumes where it stopped", "account", a.label, "err", err)
}

// failureOf is how err failed, leaving out what changes on every call, such
// as Stripe's request ID.
func failureOf(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, stripe.ErrOverflow):
		return "overflow"
	}
	var se *stripe.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("status=%d type=%s code=%s", se.Status, se.Type, se.Code)
	}
	return "other"
}
