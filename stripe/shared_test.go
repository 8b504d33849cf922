package stripe

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// Shared must be usable wherever a Client is.
var _ Client = (*Shared)(nil)

func newTestShared(t *testing.T, fake *stripetest.Server) *Shared {
	t.Helper()
	return NewShared(newTestClient(t, fake.URL, 0, nil), 10*time.Second)
}

// waitForCalls waits until route has had n calls, so a test knows a call
// is in flight at the fake.
func waitForCalls(t *testing.T, fake *stripetest.Server, route string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for fake.Calls(route) < n {
		if time.Now().After(deadline) {
			t.Fatalf("route %s got %d calls after 10s; want %d", route, fake.Calls(route), n)
		}
		time.Sleep(time.Millisecond)
	}
}

type balanceResult struct {
	b   *Balance
	err error
}

func TestSharedBalanceConcurrentCallersShareOneCall(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Status: 200, Body: stripetest.Balance, Delay: 200 * time.Millisecond})
	s := newTestShared(t, fake)

	const callers = 20
	start := make(chan struct{})
	results := make([]balanceResult, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			b, err := s.Balance(testContext(t), "")
			results[i] = balanceResult{b, err}
		})
	}
	close(start)
	wg.Wait()

	if n := fake.Calls(stripetest.BalanceRoute("")); n != 1 {
		t.Errorf("fake got %d balance calls from %d concurrent callers; want 1", n, callers)
	}
	for i, r := range results {
		if r.err != nil {
			t.Errorf("caller %d: %v", i, r.err)
			continue
		}
		if r.b != results[0].b {
			t.Errorf("caller %d got a different result (%p) from caller 0 (%p)", i, r.b, results[0].b)
		}
		if !reflect.DeepEqual(r.b, wantBalance) {
			t.Errorf("caller %d: Balance =\n%+v\nwant\n%+v", i, r.b, wantBalance)
		}
	}

	// Once the shared call is over, the next caller makes a new one: a
	// balance is never cached.
	if _, err := s.Balance(testContext(t), ""); err != nil {
		t.Fatalf("Balance: %v", err)
	}
	if n := fake.Calls(stripetest.BalanceRoute("")); n != 2 {
		t.Errorf("fake got %d balance calls; want 2 after a later call", n)
	}
}

func TestSharedBalanceAccountsNotMerged(t *testing.T) {
	const account = "acct_1Connected"
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetBalance(account, stripetest.ConnectedBalance)
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Status: 200, Body: stripetest.Balance, Delay: 200 * time.Millisecond})
	fake.Script(stripetest.BalanceRoute(account), stripetest.Response{Status: 200, Body: stripetest.ConnectedBalance, Delay: 200 * time.Millisecond})
	s := newTestShared(t, fake)

	var own, connected balanceResult
	var wg sync.WaitGroup
	wg.Go(func() {
		b, err := s.Balance(testContext(t), "")
		own = balanceResult{b, err}
	})
	wg.Go(func() {
		b, err := s.Balance(testContext(t), account)
		connected = balanceResult{b, err}
	})
	wg.Wait()

	if own.err != nil || connected.err != nil {
		t.Fatalf("Balance: %v, %v", own.err, connected.err)
	}
	if !reflect.DeepEqual(own.b, wantBalance) {
		t.Errorf("own balance =\n%+v\nwant\n%+v", own.b, wantBalance)
	}
	if len(connected.b.Available) != 1 || connected.b.Available[0].Currency != "gbp" {
		t.Errorf("connected balance = %+v; want the gbp one", connected.b)
	}
	if n := fake.Calls(stripetest.BalanceRoute("")); n != 1 {
		t.Errorf("own balance: %d calls; want 1", n)
	}
	if n := fake.Calls(stripetest.BalanceRoute(account)); n != 1 {
		t.Errorf("connected balance: %d calls; want 1", n)
	}
}

// TestSharedProbesShareOnlyAmongThemselves: a probe's call may wait long
// for the probes' share of the rate limit, so other callers do not join it;
// probes still share calls with each other.
func TestSharedProbesShareOnlyAmongThemselves(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	slow := stripetest.Response{Status: 200, Body: stripetest.Balance, Delay: 300 * time.Millisecond}
	fake.Script(stripetest.BalanceRoute(""), slow, slow)
	s := newTestShared(t, fake)

	errs := make(chan error, 3)
	var wg sync.WaitGroup
	wg.Go(func() {
		_, err := s.Balance(ForProbe(testContext(t)), "")
		errs <- err
	})
	waitForCalls(t, fake, stripetest.BalanceRoute(""), 1)
	wg.Go(func() {
		_, err := s.Balance(ForProbe(testContext(t)), "")
		errs <- err
	})
	wg.Go(func() {
		_, err := s.Balance(testContext(t), "")
		errs <- err
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Balance: %v", err)
		}
	}
	if n := fake.Calls(stripetest.BalanceRoute("")); n != 2 {
		t.Errorf("two probes and a scrape made %d balance calls; want 2, one shared by the probes", n)
	}
}

func TestSharedSettledTransactionFetchedOnce(t *testing.T) {
	const account = "acct_1Connected"
	fake := stripetest.New(t)
	fake.SetTransaction("", "txn_1Settled", stripetest.SettledTransaction)
	fake.SetTransaction(account, "txn_1Settled", stripetest.SettledTransaction)
	s := newTestShared(t, fake)
	if _, ok := s.kept("", "txn_1Settled"); ok {
		t.Error("kept has the transaction before it was fetched")
	}

	for i := range 5 {
		got, err := s.BalanceTransaction(testContext(t), "", "txn_1Settled")
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, wantSettled) {
			t.Errorf("call %d: transaction =\n%+v\nwant\n%+v", i, got, wantSettled)
		}
	}
	if n := fake.Calls(stripetest.TransactionRoute("", "txn_1Settled")); n != 1 {
		t.Errorf("fake got %d calls for a settled transaction; want 1", n)
	}
	if got, ok := s.kept("", "txn_1Settled"); !ok || !reflect.DeepEqual(got, wantSettled) {
		t.Errorf("kept = %+v, %v; want the settled transaction", got, ok)
	}
	if _, ok := s.kept(account, "txn_1Settled"); ok {
		t.Error("kept has the connected account's transaction, which was not fetched")
	}

	// The cache is per account: the same ID elsewhere is fetched on its own.
	for range 3 {
		if _, err := s.BalanceTransaction(testContext(t), account, "txn_1Settled"); err != nil {
			t.Fatalf("connected account: %v", err)
		}
	}
	if n := fake.Calls(stripetest.TransactionRoute(account, "txn_1Settled")); n != 1 {
		t.Errorf("fake got %d calls for the connected account's settled transaction; want 1", n)
	}
	if n := fake.Calls(stripetest.TransactionRoute("", "txn_1Settled")); n != 1 {
		t.Errorf("fake got %d calls for the own account's transaction; want still 1", n)
	}
}

func TestSharedPendingTransactionFetchedEveryTime(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetTransaction("", "txn_1Pending", stripetest.PendingTransaction)
	s := newTestShared(t, fake)

	for i := range 5 {
		got, err := s.BalanceTransaction(testContext(t), "", "txn_1Pending")
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, wantPending) {
			t.Errorf("call %d: transaction =\n%+v\nwant\n%+v", i, got, wantPending)
		}
	}
	if n := fake.Calls(stripetest.TransactionRoute("", "txn_1Pending")); n != 5 {
		t.Errorf("fake got %d calls for a pending transaction in 5 calls; want 5", n)
	}
	if _, ok := s.kept("", "txn_1Pending"); ok {
		t.Error("kept has a pending transaction")
	}

	// Once it settles, it is fetched one more time and then kept.
	fake.SetTransaction("", "txn_1Pending", `{"object": "balance_transaction", "id": "txn_1Pending", "currency": "kwd", "amount": 10500, "status": "available"}`)
	for i := range 3 {
		got, err := s.BalanceTransaction(testContext(t), "", "txn_1Pending")
		if err != nil {
			t.Fatalf("call %d after settling: %v", i, err)
		}
		if got.Status != "available" {
			t.Errorf("call %d after settling: status %q; want available", i, got.Status)
		}
	}
	if n := fake.Calls(stripetest.TransactionRoute("", "txn_1Pending")); n != 6 {
		t.Errorf("fake got %d calls; want 6 (5 pending, then 1 settled)", n)
	}
}

func TestSharedTransactionConcurrentCallersShareOneCall(t *testing.T) {
	fake := stripetest.New(t)
	route := stripetest.TransactionRoute("", "txn_1Pending")
	fake.SetTransaction("", "txn_1Pending", stripetest.PendingTransaction)
	fake.Script(route, stripetest.Response{Status: 200, Body: stripetest.PendingTransaction, Delay: 200 * time.Millisecond})
	s := newTestShared(t, fake)

	const callers = 10
	start := make(chan struct{})
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			<-start
			got, err := s.BalanceTransaction(testContext(t), "", "txn_1Pending")
			if err == nil && !reflect.DeepEqual(got, wantPending) {
				err = errors.New("wrong transaction")
			}
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := fake.Calls(route); n != 1 {
		t.Errorf("fake got %d calls from %d concurrent callers; want 1", n, callers)
	}
}

func TestSharedCallerDeadlineStopsOnlyThatCaller(t *testing.T) {
	fake := stripetest.New(t)
	route := stripetest.BalanceRoute("")
	fake.SetBalance("", stripetest.Balance)
	fake.Script(route, stripetest.Response{Status: 200, Body: stripetest.Balance, Delay: time.Second})
	s := newTestShared(t, fake)

	// A patient caller starts the call.
	patient := make(chan balanceResult, 1)
	go func() {
		b, err := s.Balance(testContext(t), "")
		patient <- balanceResult{b, err}
	}()
	waitForCalls(t, fake, route, 1)

	// An impatient one joins it, and leaves at its own deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	b, err := s.Balance(ctx, "")
	took := time.Since(start)
	if err == nil {
		t.Fatalf("impatient caller got %+v; want its deadline's error", b)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("impatient caller's error %v does not match context.DeadlineExceeded", err)
	}
	if took > 900*time.Millisecond {
		t.Errorf("impatient caller waited %v past its 100ms deadline", took)
	}
	select {
	case r := <-patient:
		t.Fatalf("the shared call ended (%v) when the impatient caller left; want it to go on", r.err)
	default:
	}

	r := <-patient
	if r.err != nil {
		t.Fatalf("patient caller: %v", r.err)
	}
	if !reflect.DeepEqual(r.b, wantBalance) {
		t.Errorf("patient caller: Balance =\n%+v\nwant\n%+v", r.b, wantBalance)
	}
	if n := fake.Calls(route); n != 1 {
		t.Errorf("fake got %d calls; want 1", n)
	}
}

// TestSharedImpatientStarter: a caller with little time starts the call and
// a patient one joins; the call outlives the first caller's deadline and
// serves the second.
func TestSharedImpatientStarter(t *testing.T) {
	fake := stripetest.New(t)
	route := stripetest.BalanceRoute("")
	fake.SetBalance("", stripetest.Balance)
	fake.Script(route, stripetest.Response{Status: 200, Body: stripetest.Balance, Delay: 500 * time.Millisecond})
	s := newTestShared(t, fake)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	starter := make(chan error, 1)
	go func() {
		_, err := s.Balance(ctx, "")
		starter <- err
	}()
	waitForCalls(t, fake, route, 1)
	b, err := s.Balance(testContext(t), "")
	if err != nil {
		t.Fatalf("patient caller: %v; want the call to outlive the impatient starter's deadline", err)
	}
	if !reflect.DeepEqual(b, wantBalance) {
		t.Errorf("patient caller: Balance =\n%+v\nwant\n%+v", b, wantBalance)
	}
	if err := <-starter; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("impatient starter's error %v does not match context.DeadlineExceeded", err)
	}
	if n := fake.Calls(route); n != 1 {
		t.Errorf("fake got %d calls; want 1", n)
	}
}

// TestSharedCallHasItsOwnDeadline: with no caller deadline at all, the
// shared call still ends at the Shared's timeout.
func TestSharedCallHasItsOwnDeadline(t *testing.T) {
	fake := stripetest.New(t)
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Body: stripetest.Balance, Delay: 30 * time.Second})
	s := NewShared(newTestClient(t, fake.URL, 0, nil), 200*time.Millisecond)
	start := time.Now()
	_, err := s.Balance(context.Background(), "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not match context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("shared call took %v; want it to end at its 200ms timeout", took)
	}
}

// TestSharedCallerOutOfTimeMakesNoCall: a scrape whose deadline has passed
// while its calls waited for their turn sends none of them, which would
// only use up the rate limit.
func TestSharedCallerOutOfTimeMakesNoCall(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetTransaction("", "txn_1Pending", stripetest.PendingTransaction)
	s := NewShared(newTestClient(t, fake.URL, 0, nil), time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if _, err := s.Balance(ctx, ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Balance error %v does not match context.DeadlineExceeded", err)
	}
	if _, err := s.BalanceTransaction(ctx, "", "txn_1Pending"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("BalanceTransaction error %v does not match context.DeadlineExceeded", err)
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("the fake got %d requests from a caller out of time, want none", n)
	}
}

func TestSharedStarterCancelledCallGoesOn(t *testing.T) {
	fake := stripetest.New(t)
	route := stripetest.BalanceRoute("")
	fake.SetBalance("", stripetest.Balance)
	fake.Script(route, stripetest.Response{Status: 200, Body: stripetest.Balance, Delay: 300 * time.Millisecond})
	s := newTestShared(t, fake)

	// The caller that starts the call goes away; another is waiting on it.
	ctx, cancel := context.WithCancel(context.Background())
	starter := make(chan error, 1)
	go func() {
		_, err := s.Balance(ctx, "")
		starter <- err
	}()
	waitForCalls(t, fake, route, 1)
	other := make(chan balanceResult, 1)
	go func() {
		b, err := s.Balance(testContext(t), "")
		other <- balanceResult{b, err}
	}()
	waitForWaiters(t, s, "balance\x00", 2)
	cancel()

	if err := <-starter; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller's error %v does not match context.Canceled", err)
	}
	r := <-other
	if r.err != nil {
		t.Fatalf("other caller: %v; want the shared call to go on without the caller that started it", r.err)
	}
	if !reflect.DeepEqual(r.b, wantBalance) {
		t.Errorf("other caller: Balance =\n%+v\nwant\n%+v", r.b, wantBalance)
	}
	if n := fake.Calls(route); n != 1 {
		t.Errorf("fake got %d calls; want 1", n)
	}
}

func TestSharedErrorNotCached(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Status: 400, Body: stripetest.BadRequestBody})
	txnRoute := stripetest.TransactionRoute("", "txn_1Settled")
	fake.SetTransaction("", "txn_1Settled", stripetest.SettledTransaction)
	fake.Script(txnRoute,
		stripetest.Response{Status: 500, Body: stripetest.ErrorBody("api_error", "", "boom")},
		stripetest.Response{Status: 404, Body: stripetest.ErrorBody("invalid_request_error", "resource_missing", "No such balance transaction: 'txn_1Settled'")},
	)
	s := newTestShared(t, fake)

	_, err := s.Balance(testContext(t), "")
	if e := asError(t, err); e.Status != 400 {
		t.Errorf("first Balance: Status %d; want 400", e.Status)
	}
	b, err := s.Balance(testContext(t), "")
	if err != nil {
		t.Fatalf("second Balance: %v", err)
	}
	if !reflect.DeepEqual(b, wantBalance) {
		t.Errorf("second Balance =\n%+v\nwant\n%+v", b, wantBalance)
	}
	if n := fake.Calls(stripetest.BalanceRoute("")); n != 2 {
		t.Errorf("fake got %d balance calls; want 2", n)
	}

	for i, want := range []int{500, 404} {
		_, err := s.BalanceTransaction(testContext(t), "", "txn_1Settled")
		if e := asError(t, err); e.Status != want {
			t.Errorf("transaction call %d: Status %d; want %d", i, e.Status, want)
		}
	}
	for i := range 3 {
		got, err := s.BalanceTransaction(testContext(t), "", "txn_1Settled")
		if err != nil {
			t.Fatalf("transaction call %d after the errors: %v", i, err)
		}
		if !reflect.DeepEqual(got, wantSettled) {
			t.Errorf("transaction =\n%+v\nwant\n%+v", got, wantSettled)
		}
	}
	if n := fake.Calls(txnRoute); n != 3 {
		t.Errorf("fake got %d transaction calls; want 3 (two errors, then one success kept)", n)
	}
}

// waitForWaiters waits until n callers wait on key's call.
func waitForWaiters(t *testing.T, s *Shared, key string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		s.waitMu.Lock()
		got := s.waiting[key]
		s.waitMu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d callers wait on %q after 10s; want %d", got, key, n)
		}
	}
}

// TestSharedAbandonedCallIsNotJoined: once every caller has given up on a
// stalled call, the next caller asks Stripe afresh instead of joining it.
func TestSharedAbandonedCallIsNotJoined(t *testing.T) {
	fake := stripetest.New(t)
	route := stripetest.BalanceRoute("")
	fake.SetBalance("", stripetest.Balance)
	fake.Script(route, stripetest.Response{Body: stripetest.Balance, Delay: 30 * time.Second})
	s := newTestShared(t, fake)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := s.Balance(ctx, ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("first caller: %v, want its deadline", err)
	}
	b, err := s.Balance(testContext(t), "")
	if err != nil {
		t.Fatalf("second caller, with Stripe healthy again: %v", err)
	}
	if !reflect.DeepEqual(b, wantBalance) {
		t.Errorf("second caller: Balance =\n%+v\nwant\n%+v", b, wantBalance)
	}
	if n := fake.Calls(route); n != 2 {
		t.Errorf("fake got %d calls; want 2, the stalled one and a fresh one", n)
	}
}

// TestSharedPayoutSummaryConcurrentCallersShareOneSummary: 100 scrapes
// arriving together cost one summary's calls, here two (the newest payouts,
// none failed, then the newest failed), and a later scrape asks again.
func TestSharedPayoutSummaryConcurrentCallersShareOneSummary(t *testing.T) {
	fake := stripetest.New(t)
	for i := range 101 {
		fake.AddPayouts("", stripetest.Payout{ID: fmt.Sprintf("po_1Paid%03d", i), Created: 1000 + int64(i), Amount: 10, Currency: "usd", Status: "paid", ArrivalDate: 2000})
	}
	fake.AddPayouts("", stripetest.Payout{ID: "po_1Pending", Created: 5000, Amount: 99, Currency: "usd", Status: "pending", ArrivalDate: 6000})
	fake.SetDelay(200 * time.Millisecond)
	s := newTestShared(t, fake)
	route := stripetest.PayoutsRoute("")

	const callers = 100
	start := make(chan struct{})
	results := make([]*PayoutSummary, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			results[i], errs[i] = s.PayoutSummary(testContext(t), "")
		})
	}
	close(start)
	wg.Wait()

	if n := fake.Calls(route); n != 2 {
		t.Errorf("fake got %d payout calls from %d concurrent callers; want 2, one summary's", n, callers)
	}
	want := &PayoutSummary{
		InFlight:    []PayoutsInFlight{{Currency: "usd", Status: "pending", Amount: 99, Count: 1, EarliestArrival: 6000}},
		ListedSince: 1002,
		LastPaid:    &Payout{ID: "po_1Paid100", Amount: 10, Currency: "usd", Status: "paid", ArrivalDate: 2000, Created: 1100},
	}
	for i := range callers {
		if errs[i] != nil {
			t.Errorf("caller %d: %v", i, errs[i])
			continue
		}
		if results[i] != results[0] {
			t.Errorf("caller %d got a different summary (%p) from caller 0 (%p)", i, results[i], results[0])
		}
	}
	if !reflect.DeepEqual(results[0], want) {
		t.Errorf("summary =\n%+v\nwant\n%+v", results[0], want)
	}

	if _, err := s.PayoutSummary(testContext(t), ""); err != nil {
		t.Fatalf("later PayoutSummary: %v", err)
	}
	if n := fake.Calls(route); n != 4 {
		t.Errorf("fake got %d payout calls; want 4 after a later summary, nothing kept", n)
	}
}

func TestSharedPayoutSummaryAccountsNotMerged(t *testing.T) {
	const account = "acct_1Connected"
	fake := stripetest.New(t)
	fake.AddPayouts("", stripetest.Payout{ID: "po_1Own", Created: 1, Amount: 1, Currency: "usd", Status: "in_transit", ArrivalDate: 2})
	fake.AddPayouts(account, stripetest.Payout{ID: "po_1Theirs", Created: 1, Amount: 2, Currency: "gbp", Status: "pending", ArrivalDate: 3})
	fake.SetDelay(200 * time.Millisecond)
	s := newTestShared(t, fake)

	var own, theirs *PayoutSummary
	var ownErr, theirsErr error
	var wg sync.WaitGroup
	wg.Go(func() { own, ownErr = s.PayoutSummary(testContext(t), "") })
	wg.Go(func() { theirs, theirsErr = s.PayoutSummary(testContext(t), account) })
	wg.Wait()
	if ownErr != nil || theirsErr != nil {
		t.Fatalf("PayoutSummary: %v, %v", ownErr, theirsErr)
	}
	if len(own.InFlight) != 1 || own.InFlight[0].Currency != "usd" || len(theirs.InFlight) != 1 || theirs.InFlight[0].Currency != "gbp" {
		t.Errorf("summaries %+v and %+v; want each account's own", own, theirs)
	}
	for _, a := range []string{"", account} {
		if n := fake.Calls(stripetest.PayoutsRoute(a)); n != 1 {
			t.Errorf("account %q: %d payout calls; want 1", a, n)
		}
	}
}
