package collector

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/go-kit/log"

	"github.com/stripe-exporter/stripe_exporter/stripe"
)

func balanceResult(account string, err error) *Result {
	r := &Result{Accounts: []AccountResult{{Target: Target{Account: account}, BalanceErr: err}}}
	if err == nil {
		r.Accounts[0].Balance = &stripe.Balance{}
	}
	return r
}

// TestLastingFailureLoggedOnce: a failure is logged when it starts and when
// it changes, not on every scrape, and its end is logged once.
func TestLastingFailureLoggedOnce(t *testing.T) {
	var logs bytes.Buffer
	l := NewFailureLog(log.NewLogfmtLogger(&logs))
	unauthorized := func(requestID string) error {
		return &stripe.Error{Endpoint: stripe.EndpointBalance, Status: 401, Type: "invalid_request_error", RequestID: requestID}
	}
	for _, step := range []struct {
		err  error
		want string // the line logged, "" for none
	}{
		{unauthorized("req_1"), "level=warn msg=\"fetch from Stripe failed\" endpoint=balance account=self status=401"},
		{unauthorized("req_2"), ""},
		{unauthorized("req_3"), ""},
		{&stripe.Error{Endpoint: stripe.EndpointBalance, Status: 500, Type: "api_error"}, "level=warn msg=\"fetch from Stripe failed\" endpoint=balance account=self status=500"},
		{nil, "level=info msg=\"fetch from Stripe works again\" endpoint=balance account=self"},
		{nil, ""},
		{unauthorized("req_4"), "status=401"},
	} {
		logs.Reset()
		l.Record(balanceResult("", step.err))
		got := logs.String()
		if step.want == "" && got != "" || step.want != "" && (strings.Count(got, "\n") != 1 || !strings.Contains(got, step.want)) {
			t.Errorf("after %v, logged %q, want one line with %q", step.err, got, step.want)
		}
	}
}

// TestTimeoutIsOneFailure: a scrape that stopped waiting on a shared call
// and one that got the call's own deadline error fail the same way, so two
// Prometheus servers scraping a stalled Stripe get one warning.
func TestTimeoutIsOneFailure(t *testing.T) {
	var logs bytes.Buffer
	l := NewFailureLog(log.NewLogfmtLogger(&logs))
	gaveUp := fmt.Errorf("wait for shared call: %w", context.DeadlineExceeded)
	ranOut := &stripe.Error{Endpoint: stripe.EndpointBalance, Err: context.DeadlineExceeded}
	for range 4 {
		l.Record(balanceResult("", gaveUp))
		l.Record(balanceResult("", ranOut))
	}
	if n := strings.Count(logs.String(), "\n"); n != 1 {
		t.Errorf("want one line for a lasting timeout, got:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "status=") || strings.Contains(logs.String(), "request_id=") {
		t.Errorf("a failure without a response logs empty response fields:\n%s", logs.String())
	}
}

// TestFailureLogIsBounded: failures of ever new accounts, as /probe may be
// asked for, are not all remembered; past the bound a warning says so once,
// and further new failures are logged at debug level only.
func TestFailureLogIsBounded(t *testing.T) {
	var logs bytes.Buffer
	l := NewFailureLog(log.NewLogfmtLogger(&logs))
	err := &stripe.Error{Endpoint: stripe.EndpointBalance, Status: 403}
	for i := range maxRemembered + 10 {
		l.Record(balanceResult(fmt.Sprintf("acct_1N%d", i), err))
	}
	if len(l.failing) != maxRemembered {
		t.Errorf("%d failures remembered, want %d", len(l.failing), maxRemembered)
	}
	if n := strings.Count(logs.String(), "level=warn"); n != maxRemembered+1 {
		t.Errorf("%d warnings, want one per remembered failure and one that the log is full", n)
	}
	if n := strings.Count(logs.String(), "too many calls"); n != 1 {
		t.Errorf("%d warnings that the log is full, want 1", n)
	}
	logs.Reset()
	l.Record(balanceResult("acct_1N0", err))
	l.Record(balanceResult(fmt.Sprintf("acct_1N%d", maxRemembered+5), err))
	if got := logs.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, "level=debug") {
		t.Errorf("want one debug line, for the account past the bound, got:\n%s", got)
	}
}
