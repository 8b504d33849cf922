package stripe

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	sdk "github.com/stripe/stripe-go/v85"
	"golang.org/x/time/rate"
)

// Endpoint names used in errors and passed to the Observer.
const (
	EndpointBalance             = "balance"
	EndpointBalanceTransaction  = "balance_transaction"
	EndpointBalanceTransactions = "balance_transactions"
	EndpointAccounts            = "accounts"
	EndpointPayouts             = "payouts"
)

// Observer is told about every HTTP attempt the client makes, so the caller
// can count them without this package knowing how.
type Observer interface {
	// ObserveRequest reports one attempt; code is the HTTP status, or 0 when
	// no response arrived.
	ObserveRequest(endpoint string, code int, took time.Duration)
	// ObserveRetry reports that a retry is being sent; code is the status
	// of the failed attempt it retries, or 0 when none arrived.
	ObserveRetry(endpoint string, code int)
}

// Config configures an APIClient.
type Config struct {
	// Key is the secret or restricted API key.
	Key string
	// URL is the API's base URL, without /v1.
	URL string
	// MaxRetries bounds the retries after a failed attempt; the caller's
	// deadline bounds them too.
	MaxRetries int
	// RateLimit is the most requests per second sent to Stripe, over all
	// calls of this client together.
	RateLimit float64
	// ProbeRateLimit, when more than 0, is the most requests per second of
	// RateLimit that the calls made with a ForProbe context may send
	// together, so that the rest stays for the other calls. 0 means no
	// limit of their own.
	ProbeRateLimit float64
	// Observer, when set, is told about each attempt.
	Observer Observer
	// Transport carries the requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// MaxBodyBytes bounds how much of a response is read; 0 means
	// DefaultMaxBodyBytes. A longer body fails the call.
	MaxBodyBytes int64
}

// DefaultMaxBodyBytes is far more than any answer the exporter asks for (a
// page of 100 accounts is some hundreds of KiB), and small enough that a
// broken or hostile server cannot make it hold much memory.
const DefaultMaxBodyBytes = 8 << 20

// APIClient is a Client that calls the Stripe API through the official SDK.
//
// The SDK's own retries are turned off: they do not retry JSON error bodies
// on 5xx or 429 (only 429 lock timeouts), ignore Stripe-Should-Retry on those,
// and sleep without looking at the context, so a scrape could overrun its
// deadline. The client retries by itself instead, within the deadline.
type APIClient struct {
	sdk     *sdk.Client
	secret  keyFinder
	limiter *rate.Limiter
	// probeLimiter holds back the calls of probes, besides limiter; nil
	// when they have no limit of their own.
	probeLimiter *rate.Limiter
	maxRetries   int
	observer     Observer
	// backoff is how long to wait before retry number n (from 0).
	backoff func(n int) time.Duration
}

// New returns a client for the API at cfg.URL.
func New(cfg Config) (*APIClient, error) {
	if _, err := CheckKey(cfg.Key); err != nil {
		return nil, err
	}
	// The URL is quoted back without its user information, which could
	// hold a password or the key itself.
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, errors.New("the Stripe API URL cannot be parsed: want an http or https URL with a host, like https://api.stripe.com")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		u.User = nil
		return nil, fmt.Errorf("the Stripe API URL %q is not an http or https URL with a host, like https://api.stripe.com", u)
	}
	// Go quotes a URL's user name in its connection errors, so a URL with
	// credentials in it would put them in the logs.
	if u.User != nil {
		return nil, errors.New("the Stripe API URL has user information in it (user@ or user:password@): remove it; the exporter authenticates with the API key")
	}
	if cfg.MaxRetries < 0 {
		return nil, fmt.Errorf("max retries is %d: want 0 or more", cfg.MaxRetries)
	}
	if cfg.RateLimit <= 0 {
		return nil, fmt.Errorf("rate limit is %g requests per second: want more than 0", cfg.RateLimit)
	}
	if cfg.ProbeRateLimit < 0 {
		return nil, fmt.Errorf("probes' rate limit is %g requests per second: want 0 (none of their own) or more", cfg.ProbeRateLimit)
	}
	var probeLimiter *rate.Limiter
	if cfg.ProbeRateLimit > 0 {
		probeLimiter = rate.NewLimiter(rate.Limit(cfg.ProbeRateLimit), 1)
	}
	transport := cfg.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	observer := cfg.Observer
	if observer == nil {
		observer = nopObserver{}
	}
	maxBody := cfg.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	backend := sdk.GetBackendWithConfig(sdk.APIBackend, &sdk.BackendConfig{
		URL:               sdk.String(strings.TrimSuffix(cfg.URL, "/")),
		HTTPClient:        &http.Client{Transport: recordingTransport{next: transport, maxBody: maxBody}},
		MaxNetworkRetries: sdk.Int64(0),
		EnableTelemetry:   sdk.Bool(false),
		// The SDK would log failures on its own, unredacted and unleveled;
		// the caller logs them once, from the returned error.
		LeveledLogger: &sdk.LeveledLogger{Level: sdk.LevelNull},
	})
	return &APIClient{
		sdk:          sdk.NewClient(cfg.Key, sdk.WithBackends(&sdk.Backends{API: backend})),
		secret:       newKeyFinder(cfg.Key),
		limiter:      rate.NewLimiter(rate.Limit(cfg.RateLimit), 1),
		probeLimiter: probeLimiter,
		maxRetries:   cfg.MaxRetries,
		observer:     observer,
		backoff:      jitteredBackoff,
	}, nil
}

// Balance retrieves the balance of account ("" for the key's own account).
func (c *APIClient) Balance(ctx context.Context, account string) (*Balance, error) {
	params := &sdk.BalanceRetrieveParams{}
	if account != "" {
		params.SetStripeAccount(account)
	}
	var b *sdk.Balance
	err := c.call(ctx, EndpointBalance, func(ctx context.Context) (err error) {
		b, err = c.sdk.V1Balance.Retrieve(ctx, params)
		if err == nil && b.Object != "balance" {
			return notA("balance", b.Object)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return balanceFromSDK(b), nil
}

// BalanceTransaction retrieves one balance transaction of account ("" for
// the key's own account).
func (c *APIClient) BalanceTransaction(ctx context.Context, account, id string) (*BalanceTransaction, error) {
	params := &sdk.BalanceTransactionRetrieveParams{}
	if account != "" {
		params.SetStripeAccount(account)
	}
	var t *sdk.BalanceTransaction
	err := c.call(ctx, EndpointBalanceTransaction, func(ctx context.Context) (err error) {
		t, err = c.sdk.V1BalanceTransactions.Retrieve(ctx, id, params)
		if err == nil && t.Object != "balance_transaction" {
			return notA("balance_transaction", t.Object)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := transactionFromSDK(t)
	return &out, nil
}

// notA is the error for a 2xx answer that decodes but is not the object
// asked for, such as {} or null from a proxy: taking it for an empty balance
// would report Stripe up and every amount gone.
func notA(want, got string) error {
	article := "a"
	if strings.ContainsAny(want[:1], "aeiou") {
		article = "an"
	}
	return fmt.Errorf("the answer is not %s %s object (its object is %q)", article, want, got)
}

// maxPageSize is the most Stripe returns in one page of a list.
const maxPageSize = 100

// ConnectedAccounts lists every connected account of the platform that owns
// the key, page by page; each page is one call, retried and rate limited
// like any other. A page that is not a list of accounts fails the listing,
// which then keeps no part of it.
func (c *APIClient) ConnectedAccounts(ctx context.Context) ([]Account, error) {
	var out []Account
	var after *string
	for {
		params := &sdk.AccountListParams{ListParams: sdk.ListParams{Limit: sdk.Int64(maxPageSize), StartingAfter: after}}
		data, more, err := listPage(ctx, c, EndpointAccounts,
			func(ctx context.Context) *sdk.V1List[*sdk.Account] {
				return c.sdk.V1Accounts.List(ctx, params)
			},
			func(a *sdk.Account) error {
				if a.Object != "account" {
					return notA("account", a.Object)
				}
				return nil
			})
		if err != nil {
			return nil, err
		}
		for _, a := range data {
			if !a.Deleted {
				out = append(out, accountFromSDK(a))
			}
		}
		if !more {
			return out, nil
		}
		after = sdk.String(data[len(data)-1].ID)
	}
}

// TransactionQuery selects one page of an account's balance transactions.
type TransactionQuery struct {
	// CreatedGTE, CreatedGT, CreatedLTE and CreatedLT bound the created
	// times of the transactions listed, in Unix seconds (Stripe's
	// created[gte], [gt], [lte] and [lt]); zero is no bound.
	CreatedGTE, CreatedGT, CreatedLTE, CreatedLT int64
	// StartingAfter is the ID of the last transaction of the page before,
	// or "" for the first page.
	StartingAfter string
	// Limit is the most transactions in the page, 1 to 100; 0 means 100.
	Limit int
}

// BalanceTransactions lists one page of the balance transactions of account
// ("" for the key's own account), newest first as Stripe lists them, and
// whether Stripe has more after it. Paging is the caller's: it can stop
// between pages and resume from the last ID it got.
func (c *APIClient) BalanceTransactions(ctx context.Context, account string, q TransactionQuery) ([]BalanceTransaction, bool, error) {
	limit, err := pageLimit(EndpointBalanceTransactions, q.Limit)
	if err != nil {
		return nil, false, err
	}
	params := &sdk.BalanceTransactionListParams{ListParams: sdk.ListParams{Limit: sdk.Int64(limit)}}
	if q.StartingAfter != "" {
		params.StartingAfter = sdk.String(q.StartingAfter)
	}
	if q.CreatedGTE != 0 || q.CreatedGT != 0 || q.CreatedLTE != 0 || q.CreatedLT != 0 {
		params.CreatedRange = &sdk.RangeQueryParams{
			GreaterThanOrEqual: q.CreatedGTE, GreaterThan: q.CreatedGT,
			LesserThanOrEqual: q.CreatedLTE, LesserThan: q.CreatedLT,
		}
	}
	if account != "" {
		params.SetStripeAccount(account)
	}
	data, more, err := listPage(ctx, c, EndpointBalanceTransactions,
		func(ctx context.Context) *sdk.V1List[*sdk.BalanceTransaction] {
			return c.sdk.V1BalanceTransactions.List(ctx, params)
		},
		func(t *sdk.BalanceTransaction) error {
			if t.Object != "balance_transaction" {
				return notA("balance_transaction", t.Object)
			}
			return nil
		})
	if err != nil {
		return nil, false, err
	}
	out := make([]BalanceTransaction, len(data))
	for i, t := range data {
		out[i] = transactionFromSDK(t)
	}
	return out, more, nil
}

// The statuses of a payout that the exporter looks at.
const (
	payoutPending   = "pending"
	payoutInTransit = "in_transit"
	payoutPaid      = "paid"
	payoutFailed    = "failed"
)

// PayoutQuery selects one page of an account's payouts.
type PayoutQuery struct {
	// Status, when set, lists only the payouts of that status. Stripe's
	// reference names pending, paid, failed and canceled.
	Status string
	// Limit is the most payouts in the page, 1 to 100; 0 means 100.
	Limit int
}

// Payouts lists one page of the payouts of account ("" for the key's own
// account), newest created first as Stripe lists them, and whether Stripe
// has more. A listed payout of another status than the one asked for fails
// the call: Stripe was reported to ignore a status it does not filter on
// (in_transit) and list every payout, which the caller would otherwise
// take for payouts of that status.
func (c *APIClient) Payouts(ctx context.Context, account string, q PayoutQuery) ([]Payout, bool, error) {
	limit, err := pageLimit(EndpointPayouts, q.Limit)
	if err != nil {
		return nil, false, err
	}
	params := &sdk.PayoutListParams{ListParams: sdk.ListParams{Limit: sdk.Int64(limit)}}
	if q.Status != "" {
		params.Status = sdk.String(q.Status)
	}
	if account != "" {
		params.SetStripeAccount(account)
	}
	data, more, err := listPage(ctx, c, EndpointPayouts,
		func(ctx context.Context) *sdk.V1List[*sdk.Payout] {
			return c.sdk.V1Payouts.List(ctx, params)
		},
		func(p *sdk.Payout) error {
			if p.Object != "payout" {
				return notA("payout", p.Object)
			}
			if q.Status != "" && string(p.Status) != q.Status {
				return fmt.Errorf("payout %s is %s, but only %s payouts were asked for", p.ID, p.Status, q.Status)
			}
			return nil
		})
	if err != nil {
		return nil, false, err
	}
	out := make([]Payout, len(data))
	for i, p := range data {
		out[i] = payoutFromSDK(p)
	}
	return out, more, nil
}

// PayoutSummary reads the payouts of account ("" for the key's own account)
// with one to three calls, each one page:
//
//  1. the newest 100 payouts, of any status. When Stripe has no more, they
//     are all of them and answer everything.
//  2. only if Stripe has more and none of the 100 was paid: the newest paid
//     payout (status=paid, limit=1).
//  3. likewise for the newest failed payout (status=failed, limit=1).
//
// So an account with at most 100 payouts, or whose newest 100 hold a paid
// and a failed one, costs one call; others two or three.
//
// The payouts in flight come from the first page, not from lists by
// status: Stripe filters on pending, but was reported to ignore
// status=in_transit and list every payout (stripe/stripe-node#1509), and
// two lists by status would cost a call more on every scrape. A payout is
// in flight for some days, in which few accounts make 100 payouts;
// ListedSince says how far back the page reached.
func (c *APIClient) PayoutSummary(ctx context.Context, account string) (*PayoutSummary, error) {
	newest, more, err := c.Payouts(ctx, account, PayoutQuery{Limit: maxPageSize})
	if err != nil {
		return nil, err
	}
	s, err := summarizePayouts(newest)
	if err != nil {
		return nil, c.newError(EndpointPayouts, &response{}, err)
	}
	if !more {
		return s, nil
	}
	// Payouts gives a page that says it has more only with an entry in it.
	s.ListedSince = newest[len(newest)-1].Created
	if s.LastPaid == nil {
		if s.LastPaid, err = c.newestPayout(ctx, account, payoutPaid); err != nil {
			return nil, err
		}
	}
	if s.LastFailed == nil {
		if s.LastFailed, err = c.newestPayout(ctx, account, payoutFailed); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// newestPayout is account's newest payout of status, or nil if it has none.
func (c *APIClient) newestPayout(ctx context.Context, account, status string) (*Payout, error) {
	ps, _, err := c.Payouts(ctx, account, PayoutQuery{Status: status, Limit: 1})
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	return &ps[0], nil
}

// summarizePayouts sums the payouts in flight among ps, listed newest first,
// and picks the first paid and the first failed. A sum beyond an int64
// fails it rather than give a wrong amount.
func summarizePayouts(ps []Payout) (*PayoutSummary, error) {
	s := &PayoutSummary{}
	// sums[i] is the exact total of s.InFlight[i].
	var sums []Sum
	for _, p := range ps {
		switch p.Status {
		case payoutPending, payoutInTransit:
			i := slices.IndexFunc(s.InFlight, func(f PayoutsInFlight) bool { return f.Currency == p.Currency && f.Status == p.Status })
			if i < 0 {
				i = len(s.InFlight)
				s.InFlight = append(s.InFlight, PayoutsInFlight{Currency: p.Currency, Status: p.Status, EarliestArrival: p.ArrivalDate})
				sums = append(sums, Sum{})
			}
			f := &s.InFlight[i]
			sums[i].Add(p.Amount)
			f.Count++
			f.EarliestArrival = min(f.EarliestArrival, p.ArrivalDate)
		case payoutPaid:
			if s.LastPaid == nil {
				s.LastPaid = &p
			}
		case payoutFailed:
			if s.LastFailed == nil {
				s.LastFailed = &p
			}
		}
	}
	for i := range s.InFlight {
		f := &s.InFlight[i]
		var err error
		if f.Amount, err = sums[i].Int64(); err != nil {
			return nil, fmt.Errorf("the %s payouts in flight in %s: %w", f.Status, f.Currency, err)
		}
	}
	slices.SortFunc(s.InFlight, func(a, b PayoutsInFlight) int {
		return cmp.Or(strings.Compare(a.Currency, b.Currency), strings.Compare(a.Status, b.Status))
	})
	return s, nil
}

// pageLimit is the page size to ask Stripe for: limit, or the most it
// allows when limit is 0.
func pageLimit(endpoint string, limit int) (int64, error) {
	if limit == 0 {
		return maxPageSize, nil
	}
	if limit < 1 || limit > maxPageSize {
		return 0, &Error{Endpoint: endpoint, Err: fmt.Errorf("page limit %d: want 1 to %d", limit, maxPageSize)}
	}
	return int64(limit), nil
}

// listPage makes one call for a page of a list, and checks that the answer
// is a list, that each entry is the object asked for (check), and that a
// list saying it has more holds an entry to page on. An answer that fails
// any of these fails the call rather than giving a shorter page: the
// callers count or sum every entry and page on the last, so a hole in a
// page would go uncounted and could not be paged past.
func listPage[T any](ctx context.Context, c *APIClient, endpoint string, list func(context.Context) *sdk.V1List[*T], check func(*T) error) ([]*T, bool, error) {
	var page *sdk.V1List[*T]
	err := c.call(ctx, endpoint, func(ctx context.Context) (err error) {
		// The SDK panics on a null entry in a list, when it hands each
		// entry its part of the response; such an answer fails the call
		// like any other malformed one instead of taking the process down.
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("the SDK could not take the list (it panics on a null entry): %v", r)
			}
		}()
		page = list(ctx)
		if err := page.Err(); err != nil {
			return err
		}
		if object := listObject(page.LastResponse()); object != "list" {
			return notA("list", object)
		}
		data := page.Data()
		for i, entry := range data {
			if err := check(entry); err != nil {
				return fmt.Errorf("entry %d of the list: %w", i, err)
			}
		}
		if page.Meta().HasMore && len(data) == 0 {
			return errors.New("the list has no entries yet says it has more")
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return page.Data(), page.Meta().HasMore, nil
}

// listObject is the "object" of a list's body, which the SDK does not keep:
// a {} or null from a proxy decodes into an empty list with no more.
func listObject(r *sdk.APIResponse) string {
	var o struct {
		Object string `json:"object"`
	}
	if r == nil || json.Unmarshal(r.RawJSON, &o) != nil {
		return ""
	}
	return o.Object
}

// call runs attempt until it succeeds, fails in a way not worth retrying,
// runs out of retries, or would overrun ctx's deadline. A retry that cannot
// be sent in time returns the failure it was meant to mend.
func (c *APIClient) call(ctx context.Context, endpoint string, attempt func(context.Context) error) error {
	var last response
	var lastErr error
	for n := 0; ; n++ {
		if err := c.wait(ctx); err != nil {
			if lastErr != nil {
				return c.newError(endpoint, &last, lastErr)
			}
			return &Error{Endpoint: endpoint, Err: err}
		}
		if n > 0 {
			c.observer.ObserveRetry(endpoint, last.status)
		}
		var resp response
		start := time.Now()
		err := attempt(context.WithValue(ctx, responseKey{}, &resp))
		if resp.sent {
			c.observer.ObserveRequest(endpoint, resp.status, time.Since(start))
		}
		if err == nil {
			return nil
		}
		last, lastErr = resp, err
		if n >= c.maxRetries || !retryable(ctx, &resp, err) {
			return c.newError(endpoint, &resp, err)
		}
		wait := c.backoff(n)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return c.newError(endpoint, &resp, err)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return c.newError(endpoint, &resp, err)
		case <-timer.C:
		}
	}
}

// wait waits for the rate limiter, and before it for the probes' own when
// ctx is a probe's. Probes wait for theirs first, so that a probe held back
// by it does not hold a place in the queue of the limiter shared with the
// other calls.
func (c *APIClient) wait(ctx context.Context) error {
	if c.probeLimiter != nil && isProbe(ctx) {
		if err := c.probeLimiter.Wait(ctx); err != nil {
			return limiterError(ctx, "wait for the probes' share of the rate limit", err)
		}
	}
	if err := c.limiter.Wait(ctx); err != nil {
		return limiterError(ctx, "wait for rate limiter", err)
	}
	return nil
}

// limiterError is the error of a wait for a limiter that failed.
func limiterError(ctx context.Context, what string, err error) error {
	// The limiter refuses a wait that would overrun the deadline with an
	// error of its own; say it is the deadline.
	if ctx.Err() == nil {
		err = fmt.Errorf("%w: %v", context.DeadlineExceeded, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

type probeKey struct{}

// ForProbe marks ctx as a probe's: its calls wait for Config.ProbeRateLimit
// as well as the rate limit. Anyone who reaches /probe can start probes, and
// without a share of their own a flood of them would take the whole rate
// limit from /metrics and the background listings.
func ForProbe(ctx context.Context) context.Context {
	return context.WithValue(ctx, probeKey{}, true)
}

func isProbe(ctx context.Context) bool {
	p, _ := ctx.Value(probeKey{}).(bool)
	return p
}

// retryable follows Stripe's advice: its Stripe-Should-Retry header wins;
// without it, connection failures (before or during the body), 409, 429 and
// 5xx are worth another try, unless err is one that no retry can mend
// within a scrape (permanentFailure).
func retryable(ctx context.Context, resp *response, err error) bool {
	if ctx.Err() != nil || !resp.sent || permanentFailure(err) != "" {
		return false
	}
	if resp.bodyFailed {
		return true
	}
	switch resp.shouldRetry {
	case "true":
		return true
	case "false":
		return false
	}
	return resp.status == 0 ||
		resp.status == http.StatusConflict ||
		resp.status == http.StatusTooManyRequests ||
		resp.status >= http.StatusInternalServerError
}

const (
	backoffBase = 250 * time.Millisecond
	backoffMax  = 4 * time.Second
)

// jitteredBackoff doubles the wait with each retry and picks a point in its
// upper half at random, so scrapes that failed together do not retry in step.
func jitteredBackoff(n int) time.Duration {
	d := backoffMax
	if n < 5 {
		d = min(backoffBase<<n, backoffMax)
	}
	return d/2 + rand.N(d/2)
}

// newError turns whatever the SDK returned into an *Error in which no field
// holds the key in any form: a field that does is withheld whole.
func (c *APIClient) newError(endpoint string, resp *response, err error) *Error {
	e := &Error{Endpoint: endpoint, Status: resp.status, RequestID: resp.requestID}
	var se *sdk.Error
	if errors.As(err, &se) {
		e.Type = c.answerText("error type", string(se.Type))
		e.Code = c.answerText("error code", string(se.Code))
		e.Message = c.answerText("error message", se.Msg)
		if se.RequestID != "" {
			e.RequestID = se.RequestID
		}
	} else {
		msg := c.answerText("error", bodySample.ReplaceAllString(err.Error(), "): "))
		if fix := permanentFailure(err); fix != "" {
			msg = fix + ": " + msg
		}
		e.Err = redactedError{msg: msg, err: err}
	}
	e.RequestID = c.answerText("request ID", e.RequestID)
	// Fields that each hold too little of the key may hold enough side
	// by side, where the error's text joins them. The placeholders of
	// fields already withheld are left out of that text: their own words
	// could join a neighbour's into a run of the key.
	joined := *e
	for field, text := range joined.answerFields() {
		if *text == withheld(field) {
			*text = ""
		}
	}
	if joined.Err != nil && joined.Err.Error() == withheld("error") {
		joined.Err = nil
	}
	if c.secret.in(joined.Error()) {
		for field, text := range e.answerFields() {
			if *text != "" {
				*text = withheld(field)
			}
		}
		if e.Err != nil {
			e.Err = redactedError{msg: withheld("error"), err: err}
		}
	}
	return e
}

// maxErrorField bounds each field of an error's text. A proxy or a broken
// answer can put up to a body's limit (8 MiB) into one, such as an error
// body without Stripe's "error" object, which the SDK quotes whole; the
// text goes into log lines.
const maxErrorField = 512

// answerText is s, a field of an answer, as an error shows it: withheld
// whole if it holds the key, then cut. Cutting after withholding cannot
// reveal the key.
func (c *APIClient) answerText(field, s string) string {
	return cut(c.secret.withhold(field, s))
}

// cut shortens s to maxErrorField bytes, on a character boundary, and says
// how much was left out.
func cut(s string) string {
	if len(s) <= maxErrorField {
		return s
	}
	n := maxErrorField
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return fmt.Sprintf("%s... (%d more bytes)", s[:n], len(s)-n)
}

// answerFields are the fields of e whose text comes from the answer, by the
// name a withheld one is shown with.
func (e *Error) answerFields() map[string]*string {
	return map[string]*string{"error type": &e.Type, "error code": &e.Code, "error message": &e.Message, "request ID": &e.RequestID}
}

// bodySample matches the start of the body that the SDK quotes when it
// cannot decode one. It is cut at 500 bytes, possibly through the middle of
// a key, leaving less of it than keyFinder looks for, so it is dropped
// whole.
var bodySample = regexp.MustCompile(`(?s), body sample: '.*'\): `)

// redactedError keeps the chain of err for errors.Is (deadlines, for one)
// but prints the redacted text.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

// response is what recordingTransport saw of one attempt's HTTP response.
type response struct {
	sent        bool
	status      int
	shouldRetry string
	requestID   string
	// bodyFailed: the connection failed while the body was read.
	bodyFailed bool
}

type responseKey struct{}

// recordingTransport notes the status and headers of each response, which
// the SDK does not return for every kind of failure (a non-JSON error body
// loses them, for one), and bounds how much of a body is read: the SDK
// reads whole bodies into memory.
type recordingTransport struct {
	next    http.RoundTripper
	maxBody int64
}

func (t recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r, _ := req.Context().Value(responseKey{}).(*response)
	if r != nil {
		r.sent = true
	}
	resp, err := t.next.RoundTrip(req)
	if r != nil && resp != nil {
		r.status = resp.StatusCode
		r.shouldRetry = resp.Header.Get("Stripe-Should-Retry")
		r.requestID = resp.Header.Get("Request-Id")
	}
	if resp != nil {
		resp.Body = &boundedBody{ReadCloser: resp.Body, limit: t.maxBody, resp: r}
	}
	return resp, err
}

// boundedBody fails a read that goes past limit bytes, and notes in resp
// a body cut short by the connection, which is worth a retry.
type boundedBody struct {
	io.ReadCloser
	read, limit int64
	resp        *response
}

func (b *boundedBody) Read(p []byte) (int, error) {
	// Asking for one byte more than the limit allows tells a body of
	// exactly the limit from a longer one.
	if room := b.limit - b.read + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	if b.read > b.limit {
		return n - int(b.read-b.limit), fmt.Errorf("response body is larger than %d bytes", b.limit)
	}
	if err != nil && err != io.EOF && b.resp != nil {
		b.resp.bodyFailed = true
	}
	return n, err
}

type nopObserver struct{}

func (nopObserver) ObserveRequest(string, int, time.Duration) {}
func (nopObserver) ObserveRetry(string, int)                  {}
