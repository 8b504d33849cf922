package collector

import (
	"bytes"
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

// TestFailureLogIsBounded: failures of ever new accounts, as /probe may
// be asked for, are not all remembered; past the bound they are logged
// every time.
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
	logs.Reset()
	l.Record(balanceResult("acct_1N0", err))
	l.Record(balanceResult(fmt.Sprintf("acct_1N%d", maxRemembered+5), err))
	if n := strings.Count(logs.String(), "\n"); n != 1 {
		t.Errorf("want one line, for the account past the bound, got:\n%s", logs.String())
	}
}
