package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	sdk "github.com/stripe/stripe-go/v85"

	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// recordingObserver keeps every call the client makes to its Observer.
type recordingObserver struct {
	mu      sync.Mutex
	codes   map[string][]int
	retries map[string]int
}

func newRecordingObserver() *recordingObserver {
	return &recordingObserver{codes: map[string][]int{}, retries: map[string]int{}}
}

func (o *recordingObserver) ObserveRequest(endpoint string, code int, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if took < 0 {
		code = -1000 // a negative duration shows up as an impossible code
	}
	o.codes[endpoint] = append(o.codes[endpoint], code)
}

func (o *recordingObserver) ObserveRetry(endpoint string, _ int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.retries[endpoint]++
}

// Codes returns the status codes observed for endpoint, in order.
func (o *recordingObserver) Codes(endpoint string) []int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]int(nil), o.codes[endpoint]...)
}

// Retries returns how many retries were observed for endpoint.
func (o *recordingObserver) Retries(endpoint string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.retries[endpoint]
}

const testBackoff = time.Millisecond

// newTestClient returns a client for url that retries up to retries times,
// with a tiny backoff and a rate limit that never gets in the way.
func newTestClient(t *testing.T, url string, retries int, obs Observer) *APIClient {
	t.Helper()
	c, err := New(Config{
		Key:        stripetest.Key,
		URL:        url,
		MaxRetries: retries,
		RateLimit:  1000,
		Observer:   obs,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.backoff = func(int) time.Duration { return testBackoff }
	return c
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// asError returns err as an *Error, failing the test if it is not one.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	if err == nil {
		t.Fatal("got no error; want one")
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *stripe.Error", err, err)
	}
	return e
}

func repeat(r stripetest.Response, n int) []stripetest.Response {
	rs := make([]stripetest.Response, n)
	for i := range rs {
		rs[i] = r
	}
	return rs
}

var wantBalance = &Balance{
	Available: []Funds{
		{Currency: "usd", Amount: 123456, SourceTypes: map[string]int64{"card": 100000, "bank_account": 23000, "fpx": 456}},
		{Currency: "jpy", Amount: 5000},
		{Currency: "kwd", Amount: 1234, SourceTypes: map[string]int64{"card": 1234}},
		{Currency: "eur", Amount: -2550, SourceTypes: map[string]int64{"card": -2550}},
	},
	Pending: []Funds{
		{Currency: "usd", Amount: 10000, SourceTypes: map[string]int64{"card": 7500}},
		{Currency: "eur", Amount: 0, SourceTypes: map[string]int64{"card": 0}},
	},
	InstantAvailable: []Funds{
		{Currency: "usd", Amount: 50000, SourceTypes: map[string]int64{"card": 50000}},
	},
	IssuingAvailable:          []Funds{{Currency: "usd", Amount: 150000}},
	ConnectReserved:           []Funds{{Currency: "usd", Amount: 700}},
	RefundAndDisputeAvailable: []Funds{{Currency: "usd", Amount: 2500}},
	RefundAndDisputePending:   []Funds{{Currency: "usd", Amount: 100}},
}

var wantSettled = &BalanceTransaction{
	ID:       "txn_1Settled",
	Currency: "usd",
	Amount:   1000,
	Fee:      59,
	Net:      941,
	FeeDetails: []FeeDetail{
		{Currency: "usd", Amount: 50, Type: "stripe_fee"},
		{Currency: "usd", Amount: 9, Type: "tax"},
	},
	Status:            "available",
	Type:              "charge",
	ReportingCategory: "charge",
	AvailableOn:       1735689600,
}

var wantPending = &BalanceTransaction{
	ID:       "txn_1Pending",
	Currency: "kwd",
	Amount:   10500,
	Fee:      320,
	Net:      10180,
	FeeDetails: []FeeDetail{
		{Currency: "kwd", Amount: 300, Type: "stripe_fee"},
		{Currency: "kwd", Amount: 20, Type: "stripe_fee"},
	},
	Status:            "pending",
	Type:              "charge",
	ReportingCategory: "charge",
	AvailableOn:       1767225600,
}

// checkRequest checks what the fake recorded of a GET from this client.
func checkRequest(t *testing.T, r stripetest.Request, path, account string) {
	t.Helper()
	if r.Method != http.MethodGet {
		t.Errorf("method = %q; want GET", r.Method)
	}
	if r.Path != path {
		t.Errorf("path = %q; want %q", r.Path, path)
	}
	if r.Account != account {
		t.Errorf("Stripe-Account = %q; want %q", r.Account, account)
	}
	if r.RawQuery != "" {
		t.Errorf("query = %q; want none (no expand, no parameters)", r.RawQuery)
	}
	if r.Authorization != "Bearer "+stripetest.Key {
		t.Errorf("Authorization = %q; want the key as a bearer token", r.Authorization)
	}
	if r.StripeVersion == "" || r.StripeVersion != sdk.APIVersion {
		t.Errorf("Stripe-Version = %q; want %q", r.StripeVersion, sdk.APIVersion)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	good := Config{Key: stripetest.Key, URL: "https://api.stripe.com", MaxRetries: 2, RateLimit: 25}
	if _, err := New(good); err != nil {
		t.Fatalf("New(%+v): %v", good, err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no key", func(c *Config) { c.Key = "" }, "empty"},
		{"publishable key", func(c *Config) { c.Key = "pk_test_123" }, "rk_"},
		{"no URL", func(c *Config) { c.URL = "" }, "URL"},
		{"no scheme", func(c *Config) { c.URL = "api.stripe.com" }, "URL"},
		{"ftp", func(c *Config) { c.URL = "ftp://api.stripe.com" }, "URL"},
		{"no host", func(c *Config) { c.URL = "https://" }, "URL"},
		{"negative retries", func(c *Config) { c.MaxRetries = -1 }, "retries"},
		{"zero rate", func(c *Config) { c.RateLimit = 0 }, "rate limit"},
		{"negative rate", func(c *Config) { c.RateLimit = -5 }, "rate limit"},
		{"user info, no scheme", func(c *Config) { c.URL = "//user:rk_test_UrlSecret@api.stripe.com" }, "URL"},
		{"user info, ftp", func(c *Config) { c.URL = "ftp://user:rk_test_UrlSecret@api.stripe.com" }, "URL"},
		{"user info, unparsable", func(c *Config) { c.URL = "https://user:rk_test_UrlSecret@[::1" }, "URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			c, err := New(cfg)
			if err == nil {
				t.Fatalf("New(%+v) = %v; want an error", cfg, c)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "UrlSecret") {
				t.Errorf("New error %q contains the URL's password", err)
			}
			if cfg.Key != "" && strings.Contains(err.Error(), cfg.Key) {
				t.Errorf("New error %q contains the key", err)
			}
		})
	}
}

func TestBalance(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	obs := newRecordingObserver()
	c := newTestClient(t, fake.URL, 2, obs)

	got, err := c.Balance(testContext(t), "")
	if err != nil {
		t.Fatalf("Balance: %v", err)
	}
	if !reflect.DeepEqual(got, wantBalance) {
		t.Errorf("Balance =\n%+v\nwant\n%+v", got, wantBalance)
	}
	if n := fake.Calls(stripetest.BalanceRoute("")); n != 1 {
		t.Errorf("fake got %d balance calls; want 1", n)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("fake got %d requests; want 1", len(reqs))
	}
	checkRequest(t, reqs[0], "/v1/balance", "")
	if codes := obs.Codes(EndpointBalance); !reflect.DeepEqual(codes, []int{200}) {
		t.Errorf("observed codes %v; want [200]", codes)
	}
	if n := obs.Retries(EndpointBalance); n != 0 {
		t.Errorf("observed %d retries; want 0", n)
	}
}

func TestBaseURLWithTrailingSlash(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	c := newTestClient(t, fake.URL+"/", 0, nil)
	if _, err := c.Balance(testContext(t), ""); err != nil {
		t.Fatalf("Balance: %v", err)
	}
	if reqs := fake.Requests(); len(reqs) != 1 || reqs[0].Path != "/v1/balance" {
		t.Errorf("requests %+v; want one for /v1/balance", reqs)
	}
}

func TestBalanceConnectedAccount(t *testing.T) {
	const account = "acct_1Connected"
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetBalance(account, stripetest.ConnectedBalance)
	c := newTestClient(t, fake.URL, 0, nil)

	got, err := c.Balance(testContext(t), account)
	if err != nil {
		t.Fatalf("Balance: %v", err)
	}
	want := &Balance{
		Available: []Funds{{Currency: "gbp", Amount: 999, SourceTypes: map[string]int64{"card": 999}}},
		Pending:   []Funds{{Currency: "gbp", Amount: 1, SourceTypes: map[string]int64{"card": 1}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Balance =\n%+v\nwant\n%+v", got, want)
	}
	if n := fake.Calls(stripetest.BalanceRoute(account)); n != 1 {
		t.Errorf("fake got %d calls for the connected account; want 1", n)
	}
	if n := fake.Calls(stripetest.BalanceRoute("")); n != 0 {
		t.Errorf("fake got %d calls for the platform account; want 0", n)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("fake got %d requests; want 1", len(reqs))
	}
	checkRequest(t, reqs[0], "/v1/balance", account)

	// The platform's balance, asked for after, goes without the header.
	if _, err := c.Balance(testContext(t), ""); err != nil {
		t.Fatalf("Balance: %v", err)
	}
	reqs = fake.Requests()
	if len(reqs) != 2 {
		t.Fatalf("fake got %d requests; want 2", len(reqs))
	}
	checkRequest(t, reqs[1], "/v1/balance", "")
}

func TestBalanceTransaction(t *testing.T) {
	const account = "acct_1Connected"
	fake := stripetest.New(t)
	fake.SetTransaction("", "txn_1Settled", stripetest.SettledTransaction)
	fake.SetTransaction(account, "txn_1Pending", stripetest.PendingTransaction)
	c := newTestClient(t, fake.URL, 0, nil)

	got, err := c.BalanceTransaction(testContext(t), "", "txn_1Settled")
	if err != nil {
		t.Fatalf("BalanceTransaction settled: %v", err)
	}
	if !reflect.DeepEqual(got, wantSettled) {
		t.Errorf("settled transaction =\n%+v\nwant\n%+v", got, wantSettled)
	}
	if !got.Settled() {
		t.Error("settled transaction: Settled() = false")
	}

	got, err = c.BalanceTransaction(testContext(t), account, "txn_1Pending")
	if err != nil {
		t.Fatalf("BalanceTransaction pending: %v", err)
	}
	if !reflect.DeepEqual(got, wantPending) {
		t.Errorf("pending transaction =\n%+v\nwant\n%+v", got, wantPending)
	}
	if got.Settled() {
		t.Error("pending transaction: Settled() = true")
	}

	reqs := fake.Requests()
	if len(reqs) != 2 {
		t.Fatalf("fake got %d requests; want 2", len(reqs))
	}
	checkRequest(t, reqs[0], "/v1/balance_transactions/txn_1Settled", "")
	checkRequest(t, reqs[1], "/v1/balance_transactions/txn_1Pending", account)
	if n := fake.Calls(stripetest.TransactionRoute(account, "txn_1Pending")); n != 1 {
		t.Errorf("fake got %d calls for the pending transaction; want 1", n)
	}
}

// TestBalanceTransactionCreated: a transaction's created time is kept, in
// Unix seconds as Stripe sends it.
func TestBalanceTransactionCreated(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetTransaction("", "txn_1Settled", strings.Replace(stripetest.SettledTransaction, `"currency"`, `"created": 1735084800, "currency"`, 1))
	c := newTestClient(t, fake.URL, 0, nil)
	got, err := c.BalanceTransaction(testContext(t), "", "txn_1Settled")
	if err != nil {
		t.Fatalf("BalanceTransaction: %v", err)
	}
	want := *wantSettled
	want.Created = 1735084800
	if !reflect.DeepEqual(got, &want) {
		t.Errorf("transaction =\n%+v\nwant\n%+v", got, &want)
	}
}

func TestRetryThenSuccess(t *testing.T) {
	for _, status := range []int{500, 409, 429, 502, 503} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			fake := stripetest.New(t)
			fake.SetBalance("", stripetest.Balance)
			fake.Script(stripetest.BalanceRoute(""), stripetest.Response{
				Status: status,
				Body:   stripetest.ErrorBody("api_error", "", "Something went wrong."),
			})
			obs := newRecordingObserver()
			c := newTestClient(t, fake.URL, 3, obs)

			got, err := c.Balance(testContext(t), "")
			if err != nil {
				t.Fatalf("Balance: %v", err)
			}
			if !reflect.DeepEqual(got, wantBalance) {
				t.Errorf("Balance after retry =\n%+v\nwant\n%+v", got, wantBalance)
			}
			if n := fake.Calls(stripetest.BalanceRoute("")); n != 2 {
				t.Errorf("fake got %d calls; want 2", n)
			}
			if codes := obs.Codes(EndpointBalance); !reflect.DeepEqual(codes, []int{status, 200}) {
				t.Errorf("observed codes %v; want [%d 200]", codes, status)
			}
			if n := obs.Retries(EndpointBalance); n != 1 {
				t.Errorf("observed %d retries; want 1", n)
			}
		})
	}
}

func TestRetryTransaction(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetTransaction("", "txn_1Settled", stripetest.SettledTransaction)
	route := stripetest.TransactionRoute("", "txn_1Settled")
	fake.Script(route, stripetest.Response{Status: 500, Body: "oops"}, stripetest.Response{Status: 429, Body: stripetest.ErrorBody("rate_limit_error", "rate_limit", "Too many requests")})
	obs := newRecordingObserver()
	c := newTestClient(t, fake.URL, 2, obs)

	got, err := c.BalanceTransaction(testContext(t), "", "txn_1Settled")
	if err != nil {
		t.Fatalf("BalanceTransaction: %v", err)
	}
	if !reflect.DeepEqual(got, wantSettled) {
		t.Errorf("transaction =\n%+v\nwant\n%+v", got, wantSettled)
	}
	if n := fake.Calls(route); n != 3 {
		t.Errorf("fake got %d calls; want 3", n)
	}
	if codes := obs.Codes(EndpointBalanceTransaction); !reflect.DeepEqual(codes, []int{500, 429, 200}) {
		t.Errorf("observed codes %v; want [500 429 200]", codes)
	}
	if n := obs.Retries(EndpointBalanceTransaction); n != 2 {
		t.Errorf("observed %d retries; want 2", n)
	}
	if codes := obs.Codes(EndpointBalance); len(codes) != 0 {
		t.Errorf("observed balance codes %v for a transaction call", codes)
	}
}

func TestShouldRetryHeader(t *testing.T) {
	for _, tc := range []struct {
		status    int
		header    string
		wantCalls int
	}{
		{500, "false", 1},
		{429, "false", 1},
		{503, "false", 1},
		{400, "true", 2},
		{404, "true", 2},
		{500, "true", 2},
	} {
		t.Run(http.StatusText(tc.status)+"/"+tc.header, func(t *testing.T) {
			fake := stripetest.New(t)
			fake.SetBalance("", stripetest.Balance)
			fake.Script(stripetest.BalanceRoute(""), stripetest.Response{
				Status: tc.status,
				Body:   stripetest.ErrorBody("api_error", "", "scripted"),
				Header: http.Header{"Stripe-Should-Retry": {tc.header}},
			})
			obs := newRecordingObserver()
			c := newTestClient(t, fake.URL, 3, obs)

			_, err := c.Balance(testContext(t), "")
			if n := fake.Calls(stripetest.BalanceRoute("")); n != tc.wantCalls {
				t.Errorf("fake got %d calls; want %d", n, tc.wantCalls)
			}
			if n := obs.Retries(EndpointBalance); n != tc.wantCalls-1 {
				t.Errorf("observed %d retries; want %d", n, tc.wantCalls-1)
			}
			if tc.wantCalls == 1 {
				e := asError(t, err)
				if e.Status != tc.status {
					t.Errorf("Status = %d; want %d", e.Status, tc.status)
				}
			} else if err != nil {
				t.Errorf("Balance after retry: %v", err)
			}
		})
	}
}

func TestNotRetried(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
	}{
		{400, stripetest.BadRequestBody},
		{401, stripetest.UnauthorizedBody},
		{402, stripetest.ErrorBody("invalid_request_error", "", "payment required")},
		{403, stripetest.ErrorBody("invalid_request_error", "", "The provided key does not have the required permissions for this endpoint.")},
		{404, stripetest.ErrorBody("invalid_request_error", "resource_missing", "No such thing")},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			fake := stripetest.New(t)
			fake.SetBalance("", stripetest.Balance)
			fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Status: tc.status, Body: tc.body})
			obs := newRecordingObserver()
			c := newTestClient(t, fake.URL, 3, obs)

			_, err := c.Balance(testContext(t), "")
			e := asError(t, err)
			if e.Status != tc.status {
				t.Errorf("Status = %d; want %d", e.Status, tc.status)
			}
			if e.Type != "invalid_request_error" {
				t.Errorf("Type = %q; want invalid_request_error", e.Type)
			}
			if e.Endpoint != EndpointBalance {
				t.Errorf("Endpoint = %q; want %q", e.Endpoint, EndpointBalance)
			}
			if n := fake.Calls(stripetest.BalanceRoute("")); n != 1 {
				t.Errorf("fake got %d calls; want 1", n)
			}
			if codes := obs.Codes(EndpointBalance); !reflect.DeepEqual(codes, []int{tc.status}) {
				t.Errorf("observed codes %v; want [%d]", codes, tc.status)
			}
			if n := obs.Retries(EndpointBalance); n != 0 {
				t.Errorf("observed %d retries; want 0", n)
			}
		})
	}
}

func TestMaxRetriesBoundsAttempts(t *testing.T) {
	for _, retries := range []int{0, 1, 2, 4} {
		t.Run(fmt.Sprintf("MaxRetries=%d", retries), func(t *testing.T) {
			fake := stripetest.New(t)
			fake.SetBalance("", stripetest.Balance)
			fake.Script(stripetest.BalanceRoute(""), repeat(stripetest.Response{
				Status: 500,
				Body:   stripetest.ErrorBody("api_error", "", "storm"),
			}, 20)...)
			obs := newRecordingObserver()
			c := newTestClient(t, fake.URL, retries, obs)

			_, err := c.Balance(testContext(t), "")
			e := asError(t, err)
			if e.Status != 500 || e.Type != "api_error" || e.Message != "storm" {
				t.Errorf("error = %+v; want the last 500 api_error", e)
			}
			if want := fmt.Sprintf("req_fake%d", retries+1); e.RequestID != want {
				t.Errorf("RequestID = %q; want %q, the last attempt's", e.RequestID, want)
			}
			if n := fake.Calls(stripetest.BalanceRoute("")); n != retries+1 {
				t.Errorf("fake got %d calls; want %d", n, retries+1)
			}
			if codes := obs.Codes(EndpointBalance); len(codes) != retries+1 {
				t.Errorf("observed %d requests (%v); want %d", len(codes), codes, retries+1)
			}
			if n := obs.Retries(EndpointBalance); n != retries {
				t.Errorf("observed %d retries; want %d", n, retries)
			}
		})
	}
}

// closedURL returns the URL of a port on 127.0.0.1 nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return "http://" + addr
}

func TestConnectionErrorRetried(t *testing.T) {
	obs := newRecordingObserver()
	c := newTestClient(t, closedURL(t), 2, obs)

	_, err := c.Balance(testContext(t), "")
	e := asError(t, err)
	if e.Status != 0 {
		t.Errorf("Status = %d; want 0 for a connection error", e.Status)
	}
	if e.Err == nil {
		t.Errorf("Err is nil; want the connection error")
	}
	if !strings.Contains(err.Error(), "stripe balance") {
		t.Errorf("error %q does not name the endpoint", err)
	}
	if codes := obs.Codes(EndpointBalance); !reflect.DeepEqual(codes, []int{0, 0, 0}) {
		t.Errorf("observed codes %v; want [0 0 0]", codes)
	}
	if n := obs.Retries(EndpointBalance); n != 2 {
		t.Errorf("observed %d retries; want 2", n)
	}
}

func TestErrorBadRequest(t *testing.T) {
	fake := stripetest.New(t)
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Status: 400, Body: stripetest.BadRequestBody})
	c := newTestClient(t, fake.URL, 2, nil)

	_, err := c.Balance(testContext(t), "")
	e := asError(t, err)
	if e.Status != 400 || e.Type != "invalid_request_error" || e.Code != "" {
		t.Errorf("error = %+v; want a 400 invalid_request_error without code", e)
	}
	if !strings.Contains(e.Message, "explicit keys") {
		t.Errorf("Message = %q; want Stripe's message", e.Message)
	}
	if e.RequestID != "req_fake1" {
		t.Errorf("RequestID = %q; want req_fake1", e.RequestID)
	}
	if e.Err != nil {
		t.Errorf("Err = %v; want nil when Stripe sent an error body", e.Err)
	}
	for _, want := range []string{"stripe balance", "HTTP 400", "invalid_request_error", "explicit keys", "[request req_fake1]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestErrorUnauthorized(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*stripetest.Server)
	}{
		{"scripted", func(s *stripetest.Server) {
			s.Script(stripetest.BalanceRoute(""), stripetest.Response{Status: 401, Body: stripetest.UnauthorizedBody})
		}},
		{"wrong key", func(s *stripetest.Server) { s.SetKey("rk_test_SomeOtherKey") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := stripetest.New(t)
			fake.SetBalance("", stripetest.Balance)
			tc.setup(fake)
			c := newTestClient(t, fake.URL, 2, nil)

			_, err := c.Balance(testContext(t), "")
			e := asError(t, err)
			if e.Status != 401 || e.Type != "invalid_request_error" {
				t.Errorf("error = %+v; want a 401 invalid_request_error", e)
			}
			if !strings.HasPrefix(e.Message, "Invalid API Key provided") {
				t.Errorf("Message = %q; want Stripe's message", e.Message)
			}
			if e.RequestID != "req_fake1" {
				t.Errorf("RequestID = %q; want req_fake1", e.RequestID)
			}
			if n := fake.Calls(stripetest.BalanceRoute("")); n != 1 {
				t.Errorf("fake got %d calls; want 1 (no retry on 401)", n)
			}
		})
	}
}

func TestErrorUnknownTransaction(t *testing.T) {
	fake := stripetest.New(t)
	c := newTestClient(t, fake.URL, 2, nil)

	_, err := c.BalanceTransaction(testContext(t), "", "txn_1Missing")
	e := asError(t, err)
	if e.Status != 404 || e.Type != "invalid_request_error" || e.Code != "resource_missing" {
		t.Errorf("error = %+v; want a 404 invalid_request_error (resource_missing)", e)
	}
	if e.Endpoint != EndpointBalanceTransaction {
		t.Errorf("Endpoint = %q; want %q", e.Endpoint, EndpointBalanceTransaction)
	}
	if !strings.Contains(e.Message, "txn_1Missing") {
		t.Errorf("Message = %q; want it to name the transaction", e.Message)
	}
	if !strings.HasPrefix(e.RequestID, "req_fake") {
		t.Errorf("RequestID = %q; want the fake's", e.RequestID)
	}
	if !strings.Contains(err.Error(), "(resource_missing)") {
		t.Errorf("error %q does not show the code", err)
	}
	if n := fake.Calls(stripetest.TransactionRoute("", "txn_1Missing")); n != 1 {
		t.Errorf("fake got %d calls; want 1", n)
	}
}

func TestErrorUndecodableSuccess(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
	}{
		{"not JSON", "<html><body>Bad gateway, or so</body></html>"},
		{"truncated JSON", stripetest.Balance[:len(stripetest.Balance)/2]},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := stripetest.New(t)
			fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Status: 200, Body: tc.body})
			obs := newRecordingObserver()
			c := newTestClient(t, fake.URL, 2, obs)

			b, err := c.Balance(testContext(t), "")
			if b != nil {
				t.Errorf("Balance = %+v; want nil with the error", b)
			}
			e := asError(t, err)
			if e.Status != 200 {
				t.Errorf("Status = %d; want 200", e.Status)
			}
			if e.Err == nil {
				t.Error("Err is nil; want the decoding error")
			}
			if e.RequestID != "req_fake1" {
				t.Errorf("RequestID = %q; want req_fake1", e.RequestID)
			}
			if n := fake.Calls(stripetest.BalanceRoute("")); n != 1 {
				t.Errorf("fake got %d calls; want 1", n)
			}
			if codes := obs.Codes(EndpointBalance); !reflect.DeepEqual(codes, []int{200}) {
				t.Errorf("observed codes %v; want [200]", codes)
			}
		})
	}
}

func TestErrorNonJSONServerErrorRetried(t *testing.T) {
	fake := stripetest.New(t)
	fake.Script(stripetest.BalanceRoute(""), repeat(stripetest.Response{Status: 500, Body: "upstream connect error"}, 3)...)
	obs := newRecordingObserver()
	c := newTestClient(t, fake.URL, 2, obs)

	_, err := c.Balance(testContext(t), "")
	e := asError(t, err)
	if e.Status != 500 {
		t.Errorf("Status = %d; want 500", e.Status)
	}
	if e.Err == nil {
		t.Error("Err is nil; want the decoding error")
	}
	if e.RequestID != "req_fake3" {
		t.Errorf("RequestID = %q; want req_fake3, the last attempt's", e.RequestID)
	}
	if n := fake.Calls(stripetest.BalanceRoute("")); n != 3 {
		t.Errorf("fake got %d calls; want 3", n)
	}
	if codes := obs.Codes(EndpointBalance); !reflect.DeepEqual(codes, []int{500, 500, 500}) {
		t.Errorf("observed codes %v; want [500 500 500]", codes)
	}
}

// checkNoKey checks that text holds the key in none of the forms the tests
// quote it in, nor any secretRun characters of its secret in a row, in any
// case.
func checkNoKey(t *testing.T, what, text string) {
	t.Helper()
	for _, f := range stripetest.KeyForms(stripetest.Key) {
		if strings.Contains(text, f.Text) {
			t.Errorf("%s holds the key (%s): %q", what, f.Name, text)
		}
	}
	secret := strings.ToLower(secretOf(stripetest.Key))
	for i := 0; i+secretRun <= len(secret); i++ {
		if strings.Contains(strings.ToLower(text), secret[i:i+secretRun]) {
			t.Errorf("%s holds %q of the key: %q", what, secret[i:i+secretRun], text)
		}
	}
}

// checkRedacted checks that no field of err holds the key; where Stripe's
// answer quoted the key in field, its text says that it was withheld.
func checkRedacted(t *testing.T, err error, field string) {
	t.Helper()
	e := asError(t, err)
	for name, text := range map[string]string{"Error()": err.Error(), "Type": e.Type, "Code": e.Code, "Message": e.Message, "RequestID": e.RequestID} {
		checkNoKey(t, name, text)
	}
	if field != "" && !strings.Contains(err.Error(), withheld(field)) {
		t.Errorf("error %q does not say that the %s was withheld", err, field)
	}
}

func TestErrorNeverContainsKey(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		field  string
	}{
		{"401 message", 401, stripetest.ErrorBody("invalid_request_error", "", "Invalid API Key provided: "+stripetest.Key), "error message"},
		{"400 message twice", 400, stripetest.ErrorBody("invalid_request_error", "", stripetest.Key+" is not "+stripetest.Key), "error message"},
		{"500 not JSON", 500, "proxy error for Bearer " + stripetest.Key, ""},
		{"500 JSON without error", 500, `{"echo": "` + stripetest.Key + `"}`, "error"},
		{"200 not JSON", 200, "Authorization: Bearer " + stripetest.Key + "\nbroken", ""},
		{"200 truncated JSON", 200, `{"object": "balance", "note": "` + stripetest.Key, ""},
		// The SDK cuts the body it quotes at 500 bytes, here through the key.
		{"200 not JSON, key across the cut", 200, strings.Repeat("x", 480) + stripetest.Key, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := stripetest.New(t)
			fake.Script(stripetest.BalanceRoute(""), repeat(stripetest.Response{Status: tc.status, Body: tc.body}, 5)...)
			c := newTestClient(t, fake.URL, 1, nil)

			_, err := c.Balance(testContext(t), "")
			checkRedacted(t, err, tc.field)
			if e := asError(t, err); e.Status != tc.status {
				t.Errorf("Status = %d; want %d", e.Status, tc.status)
			}
		})
	}
}

// TestErrorNeverHoldsKeyInAnyForm has the fake quote the key, in each form,
// in each part of an error that the client passes on: Stripe's error type,
// code and message, the request ID, and a JSON body without an error,
// which the SDK quotes whole. The part is withheld and says so; the other
// parts are kept.
func TestErrorNeverHoldsKeyInAnyForm(t *testing.T) {
	fake := stripetest.New(t)
	c := newTestClient(t, fake.URL, 0, nil)
	const message = "Something went wrong."
	for _, form := range stripetest.KeyForms(stripetest.Key) {
		for _, tc := range []struct {
			field string
			resp  stripetest.Response
			// kept returns what must survive of the answer.
			kept func(e *Error) string
		}{
			{"error type", stripetest.Response{Status: 400, Body: stripetest.ErrorBody(form.Text, "some_code", message)}, func(e *Error) string { return e.Code }},
			{"error code", stripetest.Response{Status: 400, Body: stripetest.ErrorBody("api_error", form.Text, message)}, func(e *Error) string { return e.Message }},
			{"error message", stripetest.Response{Status: 402, Body: stripetest.ErrorBody("card_error", "some_code", "echo: "+form.Text+".")}, func(e *Error) string { return e.Type }},
			{"request ID", stripetest.Response{Status: 404, Body: stripetest.ErrorBody("invalid_request_error", "some_code", message), Header: http.Header{"Request-Id": {form.Text}}}, func(e *Error) string { return e.Message }},
			{"error", stripetest.Response{Status: 400, Body: mustJSON(t, map[string]string{"echo": form.Text})}, func(e *Error) string { return fmt.Sprint(e.Status) }},
		} {
			t.Run(form.Name+"/"+tc.field, func(t *testing.T) {
				fake.Script(stripetest.BalanceRoute(""), tc.resp)
				_, err := c.Balance(testContext(t), "")
				checkRedacted(t, err, tc.field)
				e := asError(t, err)
				if kept := tc.kept(e); kept == "" || strings.Contains(kept, "withheld") {
					t.Errorf("error %q: a part that did not hold the key is gone or withheld", err)
				}
			})
		}
	}
}

// TestErrorWithheldWhereFieldsJoin quotes a few characters of the key's
// secret in the error type and the next few in the code: neither holds
// enough, but the error's text joins them.
func TestErrorWithheldWhereFieldsJoin(t *testing.T) {
	fake := stripetest.New(t)
	c := newTestClient(t, fake.URL, 0, nil)
	start := len("rk_test_") + secretRun/2
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Status: 400, Body: stripetest.ErrorBody(stripetest.Key[:start], stripetest.Key[start:start+secretRun/2], "message")})
	_, err := c.Balance(testContext(t), "")
	checkRedacted(t, err, "error type")
	for _, field := range []string{"error code", "error message"} {
		if !strings.Contains(err.Error(), withheld(field)) {
			t.Errorf("error %q does not say that the %s was withheld", err, field)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDeadlineWhileStripeStalls(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Status: 200, Body: stripetest.Balance, Delay: 30 * time.Second})
	obs := newRecordingObserver()
	c := newTestClient(t, fake.URL, 3, obs)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Balance(ctx, "")
	took := time.Since(start)

	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v does not match context.DeadlineExceeded", err)
	}
	asError(t, err)
	if took > 5*time.Second {
		t.Errorf("Balance took %v with a 300ms deadline; want it to give up at the deadline", took)
	}
	// The deadline is final: no retry after it.
	if n := fake.Calls(stripetest.BalanceRoute("")); n != 1 {
		t.Errorf("fake got %d calls; want 1", n)
	}
	if codes := obs.Codes(EndpointBalance); !reflect.DeepEqual(codes, []int{0}) {
		t.Errorf("observed codes %v; want [0]", codes)
	}
	if n := obs.Retries(EndpointBalance); n != 0 {
		t.Errorf("observed %d retries; want 0", n)
	}
}

func TestCancelWhileStripeStalls(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.Script(stripetest.BalanceRoute(""), stripetest.Response{Status: 200, Body: stripetest.Balance, Delay: 30 * time.Second})
	obs := newRecordingObserver()
	c := newTestClient(t, fake.URL, 3, obs)

	// No deadline: a cancelled request looks like a connection error (no
	// status), yet it must not be retried.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Balance(ctx, "")
		done <- err
	}()
	waitForCalls(t, fake, stripetest.BalanceRoute(""), 1)
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Balance still running 10s after its context was cancelled")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not match context.Canceled", err)
	}
	if e := asError(t, err); e.Status != 0 {
		t.Errorf("Status = %d; want 0", e.Status)
	}
	if codes := obs.Codes(EndpointBalance); !reflect.DeepEqual(codes, []int{0}) {
		t.Errorf("observed codes %v; want [0]", codes)
	}
	if n := obs.Retries(EndpointBalance); n != 0 {
		t.Errorf("observed %d retries after cancellation; want 0", n)
	}
	if n := fake.Calls(stripetest.BalanceRoute("")); n != 1 {
		t.Errorf("fake got %d calls; want 1", n)
	}
}

func TestBackoffBeyondDeadlineGivesUp(t *testing.T) {
	fake := stripetest.New(t)
	fake.Script(stripetest.BalanceRoute(""), repeat(stripetest.Response{Status: 500, Body: stripetest.ErrorBody("api_error", "", "storm")}, 10)...)
	obs := newRecordingObserver()
	c := newTestClient(t, fake.URL, 5, obs)
	c.backoff = func(int) time.Duration { return 10 * time.Second }

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Balance(ctx, "")
	took := time.Since(start)

	e := asError(t, err)
	if e.Status != 500 || e.Type != "api_error" {
		t.Errorf("error = %+v; want the 500 that was not retried", e)
	}
	if took > 5*time.Second {
		t.Errorf("Balance took %v; want it to give up instead of sleeping past the deadline", took)
	}
	if n := fake.Calls(stripetest.BalanceRoute("")); n != 1 {
		t.Errorf("fake got %d calls; want 1", n)
	}
	if n := obs.Retries(EndpointBalance); n != 0 {
		t.Errorf("observed %d retries; want 0", n)
	}
}

// retrySignal tells when an attempt has failed; with a long back-off, the
// client is then sleeping before its retry.
type retrySignal struct{ retrying chan struct{} }

func (o *retrySignal) ObserveRequest(string, int, time.Duration) { o.retrying <- struct{}{} }
func (retrySignal) ObserveRetry(string, int)                     {}

func TestCancelDuringBackoff(t *testing.T) {
	fake := stripetest.New(t)
	fake.Script(stripetest.BalanceRoute(""), repeat(stripetest.Response{Status: 503, Body: stripetest.ErrorBody("api_error", "", "storm")}, 10)...)
	obs := &retrySignal{retrying: make(chan struct{}, 10)}
	c := newTestClient(t, fake.URL, 5, obs)
	c.backoff = func(int) time.Duration { return 30 * time.Second }

	// No deadline, so the client has to sleep; cancelling ends the sleep.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := c.Balance(ctx, "")
		done <- err
	}()
	select {
	case <-obs.retrying:
	case <-time.After(10 * time.Second):
		t.Fatal("the client did not start a retry after a 503")
	}
	cancel()
	select {
	case err := <-done:
		if e := asError(t, err); e.Status != 503 {
			t.Errorf("Status = %d; want 503", e.Status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Balance still sleeping 10s after its context was cancelled")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Balance took %v", took)
	}
	if n := fake.Calls(stripetest.BalanceRoute("")); n != 1 {
		t.Errorf("fake got %d calls; want 1", n)
	}
}

func TestRateLimit(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	c, err := New(Config{Key: stripetest.Key, URL: fake.URL, RateLimit: 20})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	const calls = 6
	start := time.Now()
	for range calls {
		if _, err := c.Balance(testContext(t), ""); err != nil {
			t.Fatalf("Balance: %v", err)
		}
	}
	took := time.Since(start)
	// The first call goes at once, each other one waits 1/20 s.
	if atLeast := (calls-1)*time.Second/20 - 20*time.Millisecond; took < atLeast {
		t.Errorf("%d calls at 20/s took %v; want at least %v", calls, took, atLeast)
	}
	if n := fake.Calls(stripetest.BalanceRoute("")); n != calls {
		t.Errorf("fake got %d calls; want %d", n, calls)
	}
}

func TestRateLimitSharedAcrossCalls(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	fake.SetTransaction("", "txn_1Settled", stripetest.SettledTransaction)
	c, err := New(Config{Key: stripetest.Key, URL: fake.URL, RateLimit: 20})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = c.Balance(testContext(t), "")
			} else {
				_, err = c.BalanceTransaction(testContext(t), "", "txn_1Settled")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call: %v", err)
		}
	}
	if took, atLeast := time.Since(start), 5*time.Second/20-20*time.Millisecond; took < atLeast {
		t.Errorf("6 concurrent calls at 20/s took %v; want at least %v", took, atLeast)
	}
}

func TestRateLimiterWouldOverrunDeadline(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	obs := newRecordingObserver()
	c, err := New(Config{Key: stripetest.Key, URL: fake.URL, RateLimit: 0.1, Observer: obs})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := c.Balance(testContext(t), ""); err != nil {
		t.Fatalf("first Balance: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Balance(ctx, "")
	e := asError(t, err)
	if e.Endpoint != EndpointBalance || e.Err == nil {
		t.Errorf("error = %+v; want the rate limiter's", e)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Balance took %v; want it to fail at once", took)
	}
	if n := fake.Calls(stripetest.BalanceRoute("")); n != 1 {
		t.Errorf("fake got %d calls; want 1", n)
	}
	// A request the limiter held back was never sent, so it is not counted.
	if codes := obs.Codes(EndpointBalance); !reflect.DeepEqual(codes, []int{200}) {
		t.Errorf("observed codes %v; want [200]", codes)
	}
}

// TestProbeRateLimit checks that probes wait for their own share of the
// rate limit, and that a queue of them leaves the rest to other calls.
func TestProbeRateLimit(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	c, err := New(Config{Key: stripetest.Key, URL: fake.URL, RateLimit: 20, ProbeRateLimit: 5})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	const probes = 4
	start := time.Now()
	for range probes {
		if _, err := c.Balance(ForProbe(testContext(t)), ""); err != nil {
			t.Fatalf("probe's Balance: %v", err)
		}
	}
	// The first goes at once, each other one waits 1/5 s, not 1/20 s.
	if took, atLeast := time.Since(start), (probes-1)*time.Second/5-20*time.Millisecond; took < atLeast {
		t.Errorf("%d probe calls at 5/s took %v; want at least %v", probes, took, atLeast)
	}

	// Thirty probes queued would fill the shared limiter for 1.5 s at
	// 20/s; a call that may wait one second must still go.
	ctx, cancel := context.WithCancel(testContext(t))
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() { _, _ = c.Balance(ForProbe(ctx), "") })
	}
	waitForCalls(t, fake, stripetest.BalanceRoute(""), probes+2)
	short, cancelShort := context.WithTimeout(context.Background(), time.Second)
	_, err = c.Balance(short, "")
	cancelShort()
	cancel()
	wg.Wait()
	if err != nil {
		t.Errorf("a call behind 30 queued probes: %v; want it to go within its second", err)
	}
}

func TestNewValidatesProbeRateLimit(t *testing.T) {
	_, err := New(Config{Key: stripetest.Key, URL: "https://api.stripe.com", RateLimit: 20, ProbeRateLimit: -1})
	if err == nil || !strings.Contains(err.Error(), "probes' rate limit") {
		t.Errorf("New with a negative probes' rate limit: %v; want an error naming it", err)
	}
}

func TestJitteredBackoff(t *testing.T) {
	for _, tc := range []struct {
		n      int
		lo, hi time.Duration
	}{
		{0, 125 * time.Millisecond, 250 * time.Millisecond},
		{1, 250 * time.Millisecond, 500 * time.Millisecond},
		{2, 500 * time.Millisecond, time.Second},
		{3, time.Second, 2 * time.Second},
		{4, 2 * time.Second, 4 * time.Second},
		{5, 2 * time.Second, 4 * time.Second},
		{40, 2 * time.Second, 4 * time.Second},
	} {
		seen := map[time.Duration]bool{}
		for range 200 {
			got := jitteredBackoff(tc.n)
			if got < tc.lo || got >= tc.hi {
				t.Fatalf("jitteredBackoff(%d) = %v; want in [%v, %v)", tc.n, got, tc.lo, tc.hi)
			}
			seen[got] = true
		}
		if len(seen) < 100 {
			t.Errorf("jitteredBackoff(%d) took only %d values in 200 draws; want jitter", tc.n, len(seen))
		}
	}
}

func TestErrorText(t *testing.T) {
	cause := errors.New("dial tcp: connection refused")
	for _, tc := range []struct {
		err  *Error
		want string
	}{
		{&Error{Endpoint: EndpointBalance}, "stripe balance"},
		{&Error{Endpoint: EndpointBalance, Err: cause}, "stripe balance: dial tcp: connection refused"},
		{
			&Error{Endpoint: EndpointBalanceTransaction, Status: 404, Type: "invalid_request_error", Code: "resource_missing", Message: "No such balance transaction: 'txn_1'", RequestID: "req_1"},
			"stripe balance_transaction: HTTP 404: invalid_request_error (resource_missing): No such balance transaction: 'txn_1' [request req_1]",
		},
		{&Error{Endpoint: EndpointBalance, Status: 200, Err: cause, RequestID: "req_2"}, "stripe balance: HTTP 200: dial tcp: connection refused [request req_2]"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q; want %q", got, tc.want)
		}
	}
	e := &Error{Endpoint: EndpointBalance, Err: context.DeadlineExceeded}
	if !errors.Is(e, context.DeadlineExceeded) {
		t.Error("an *Error does not unwrap to its cause")
	}
}

// TestLongErrorTextIsCut: an error body or a header can be megabytes long;
// each field of the error's text, which goes into log lines, is cut short.
func TestLongErrorTextIsCut(t *testing.T) {
	long := "x" + strings.Repeat("é", 512*1024) // two bytes a character, from an odd offset
	for _, tc := range []struct {
		name, body, requestID, want string
	}{
		{name: "message", body: stripetest.ErrorBody("invalid_request_error", "", long), want: "éé... ("},
		{name: "type and code", body: stripetest.ErrorBody(long, long, "bad"), want: "éé... ("},
		{name: "no error object", body: `{"detail": "` + long + `"}`, want: "éé... ("},
		{name: "request ID", body: stripetest.BadRequestBody, requestID: "req_" + strings.Repeat("7", 100_000), want: "[request req_777"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := stripetest.New(t)
			resp := stripetest.Response{Status: 400, Body: tc.body}
			if tc.requestID != "" {
				resp.Header = http.Header{"Request-Id": {tc.requestID}}
			}
			fake.Script(stripetest.BalanceRoute(""), resp)
			c := newTestClient(t, fake.URL, 0, nil)
			_, err := c.Balance(testContext(t), "")
			if err == nil {
				t.Fatal("Balance succeeded; want the 400")
			}
			text := err.Error()
			if len(text) > 4*maxErrorField {
				t.Errorf("error text is %d bytes long; want each field cut to %d", len(text), maxErrorField)
			}
			if !utf8.ValidString(text) {
				t.Error("error text was cut through a character")
			}
			if !strings.Contains(text, tc.want) || !strings.Contains(text, " more bytes)") {
				t.Errorf("error text %.600q does not keep the start (%q) and say how much was cut", text, tc.want)
			}
		})
	}
}

func TestBodyOverLimitFails(t *testing.T) {
	fake := stripetest.New(t)
	huge := `{"object": "balance", "available": [], "pending": [], "padding": "` + strings.Repeat("x", 4096) + `"}`
	fake.SetBalance("", huge)
	c, err := New(Config{Key: stripetest.Key, URL: fake.URL, RateLimit: 1000, MaxBodyBytes: 1024})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Balance(testContext(t), "")
	if err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Fatalf("Balance of a 4 KiB body with a 1 KiB limit: %v, want a size error", err)
	}
	if n := fake.Calls(stripetest.BalanceRoute("")); n != 1 {
		t.Errorf("fake got %d calls; a body over the limit is not worth retrying", n)
	}
	// The same body within the limit decodes.
	c, err = New(Config{Key: stripetest.Key, URL: fake.URL, RateLimit: 1000, MaxBodyBytes: 8192})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Balance(testContext(t), ""); err != nil {
		t.Errorf("Balance within the limit: %v", err)
	}
}

// TestBodyOfExactlyTheLimit: a body as long as the limit is read whole,
// even when its end comes in a read of its own (a chunked body).
func TestBodyOfExactlyTheLimit(t *testing.T) {
	body := `{"object":"balance","available":[],"pending":[],"padding":"` + strings.Repeat("x", 100) + `"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
		w.(http.Flusher).Flush() // no Content-Length: the end is sent apart
	}))
	t.Cleanup(srv.Close)
	for limit, wantErr := range map[int64]bool{int64(len(body)): false, int64(len(body)) - 1: true} {
		c, err := New(Config{Key: stripetest.Key, URL: srv.URL, RateLimit: 1000, MaxBodyBytes: limit})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Balance(testContext(t), ""); (err != nil) != wantErr {
			t.Errorf("a %d-byte body with a limit of %d: error %v, want an error: %v", len(body), limit, err, wantErr)
		}
	}
}

// TestResetMidBodyIsRetried: a connection that breaks while a 200's body
// is read is a connection failure, worth a retry.
func TestResetMidBodyIsRetried(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var served atomic.Int32
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			n := served.Add(1)
			go func() {
				defer conn.Close()
				buf := make([]byte, 4096)
				_, _ = conn.Read(buf)
				if n == 1 {
					_, _ = conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"object\": \"bal"))
					_ = conn.(*net.TCPConn).SetLinger(0)
					return
				}
				b := `{"object":"balance","available":[{"amount":1,"currency":"usd"}],"pending":[]}`
				_, _ = fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(b), b)
			}()
		}
	}()
	obs := newRecordingObserver()
	c := newTestClient(t, "http://"+l.Addr().String(), 2, obs)
	b, err := c.Balance(testContext(t), "")
	if err != nil {
		t.Fatalf("Balance after a reset mid-body: %v, want the retry to succeed", err)
	}
	if len(b.Available) != 1 {
		t.Errorf("Balance = %+v", b)
	}
	if n := obs.Retries(EndpointBalance); n != 1 {
		t.Errorf("observed %d retries; want 1", n)
	}
}

// TestAnswerThatIsNotTheObjectFails: a 2xx that decodes but is not what
// was asked for is an error, not an empty balance with Stripe up.
func TestAnswerThatIsNotTheObjectFails(t *testing.T) {
	fake := stripetest.New(t)
	c := newTestClient(t, fake.URL, 0, nil)
	for _, body := range []string{`{}`, `null`, `{"object": "list", "data": []}`} {
		fake.SetBalance("", body)
		if b, err := c.Balance(testContext(t), ""); err == nil || !strings.Contains(err.Error(), "not a balance object") {
			t.Errorf("Balance of %s: %+v, %v; want an error", body, b, err)
		}
	}
	fake.SetTransaction("", "txn_1Bare", `"txn_1Bare"`)
	if txn, err := c.BalanceTransaction(testContext(t), "", "txn_1Bare"); err == nil || !strings.Contains(err.Error(), "not a balance_transaction object") {
		t.Errorf("BalanceTransaction of a bare ID: %+v, %v; want an error", txn, err)
	}
}
