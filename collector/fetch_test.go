package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/stripe-exporter/stripe_exporter/stripe"
	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// fakeStripe serves fixtureResult's bodies; the client counts its calls
// in metrics.
func fakeStripe(t *testing.T) (*stripetest.Server, stripe.Client, *Metrics) {
	t.Helper()
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetBalance(connected, stripetest.ConnectedBalance)
	fake.SetTransaction("", "txn_1Settled", stripetest.SettledTransaction)
	fake.SetTransaction("", "txn_1Pending", stripetest.PendingTransaction)
	metrics := NewMetrics()
	api, err := stripe.New(stripe.Config{Key: stripetest.Key, URL: fake.URL, MaxRetries: 0, RateLimit: 1000, Observer: metrics})
	if err != nil {
		t.Fatal(err)
	}
	return fake, api, metrics
}

func fixtureTargets() []Target {
	var targets []Target
	for _, a := range fixtureResult().Accounts {
		targets = append(targets, a.Target)
	}
	return targets
}

func TestFetch(t *testing.T) {
	_, client, _ := fakeStripe(t)
	got := Fetch(context.Background(), client, fixtureTargets())
	want := fixtureResult()
	if got.Took <= 0 {
		t.Errorf("Took = %v, want the time the calls took", got.Took)
	}
	got.Took = want.Took
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Fetch =\n%#v\nwant\n%#v", got, want)
	}
}

func TestFetchFailures(t *testing.T) {
	fake, client, metrics := fakeStripe(t)
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Status: http.StatusUnauthorized, Body: stripetest.UnauthorizedBody})
	targets := fixtureTargets()
	targets[0].Transactions = append(targets[0].Transactions, "txn_1Unknown")
	r := Fetch(context.Background(), client, targets)

	var se *stripe.Error
	if self := r.Accounts[0]; self.Balance != nil || !errors.As(self.BalanceErr, &se) || se.Status != http.StatusUnauthorized {
		t.Errorf("self's balance = %v, %v; want a 401 error", self.Balance, self.BalanceErr)
	}
	if r.Accounts[1].Balance == nil {
		t.Errorf("%s's balance failed too: %v", connected, r.Accounts[1].BalanceErr)
	}
	if txn := r.Accounts[0].Transactions[2]; txn.Transaction != nil || !errors.As(txn.Err, &se) || se.Status != http.StatusNotFound {
		t.Errorf("txn_1Unknown = %v, %v; want a 404 error", txn.Transaction, txn.Err)
	}

	metrics.CountFailures(r)
	for endpoint, want := range map[string]float64{stripe.EndpointBalance: 1, stripe.EndpointBalanceTransaction: 1} {
		if got := testutil.ToFloat64(metrics.fetchErrors.WithLabelValues(SelfAccount, endpoint)); got != want {
			t.Errorf("stripe_fetch_errors_total{account=self,endpoint=%s} = %v, want %v", endpoint, got, want)
		}
	}
	if got := testutil.ToFloat64(metrics.fetchErrors.WithLabelValues(connected, stripe.EndpointBalance)); got != 0 {
		t.Errorf("stripe_fetch_errors_total{account=%s} = %v, want 0", connected, got)
	}

	var logs bytes.Buffer
	NewFailureLog(log.NewLogfmtLogger(&logs)).Record(r)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want a line for each of the two failures, got:\n%s", logs.String())
	}
	for i, want := range [][]string{
		{"level=warn", "endpoint=balance", "account=self", "status=401", "error_type=invalid_request_error", "request_id=req_fake"},
		{"level=warn", "endpoint=balance_transaction", "account=self", "id=txn_1Unknown", "status=404"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("log line %q lacks %q", lines[i], w)
			}
		}
	}
}

func TestDeadlineEndsFetch(t *testing.T) {
	fake, client, _ := fakeStripe(t)
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Delay: 30 * time.Second, Body: stripetest.Balance})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	r := Fetch(ctx, client, []Target{{}})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("fetch took %v past its 200ms deadline", took)
	}
	if r.Accounts[0].Balance != nil || !errors.Is(r.Accounts[0].BalanceErr, context.DeadlineExceeded) {
		t.Errorf("balance = %v, %v; want a deadline error", r.Accounts[0].Balance, r.Accounts[0].BalanceErr)
	}
	if r.Abandoned {
		t.Error("a fetch past its deadline is taken for abandoned")
	}
}

// TestFetchConcurrentlyWithinBound checks that one slow account does not
// hold up the others, and that a scrape has at most maxConcurrentCalls
// calls in flight.
func TestFetchConcurrentlyWithinBound(t *testing.T) {
	fake, client, _ := fakeStripe(t)
	var targets []Target
	for i := range 3 * maxConcurrentCalls {
		account := fmt.Sprintf("acct_1Slow%d", i)
		fake.SetBalance(account, stripetest.ConnectedBalance)
		targets = append(targets, Target{Account: account})
	}
	fake.SetDelay(200 * time.Millisecond)
	r := Fetch(context.Background(), client, targets)
	for _, a := range r.Accounts {
		if a.BalanceErr != nil {
			t.Errorf("%s: %v", a.Account, a.BalanceErr)
		}
	}
	if peak := fake.PeakInFlight(); peak < 2 || peak > maxConcurrentCalls {
		t.Errorf("%d calls in flight at the peak, want between 2 and %d", peak, maxConcurrentCalls)
	}
}

// TestAbandonedFetchIsNoStripeFailure: when Prometheus gives up on a
// scrape, the calls it cancels are neither counted nor logged as Stripe's
// failures.
func TestAbandonedFetchIsNoStripeFailure(t *testing.T) {
	fake, client, metrics := fakeStripe(t)
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Delay: 30 * time.Second, Body: stripetest.Balance})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	r := Fetch(ctx, client, []Target{{}})
	if !r.Abandoned {
		t.Fatal("a cancelled fetch is not marked abandoned")
	}
	metrics.CountFailures(r)
	if got := testutil.ToFloat64(metrics.fetchErrors.WithLabelValues(SelfAccount, stripe.EndpointBalance)); got != 0 {
		t.Errorf("stripe_fetch_errors_total = %v after an abandoned scrape, want 0", got)
	}
	var logs bytes.Buffer
	NewFailureLog(log.NewLogfmtLogger(&logs)).Record(r)
	if strings.Contains(logs.String(), "level=warn") {
		t.Errorf("an abandoned scrape was logged as a warning:\n%s", logs.String())
	}
}
