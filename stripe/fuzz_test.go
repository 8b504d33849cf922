package stripe_test

// Fuzz tests of the currency conversion and of the API client's handling of
// whatever Stripe, or something in front of it, answers. Run one with, e.g.,
//
//	go test -run='^$' -fuzz='^FuzzBalanceBody$' -fuzztime=60s -fuzzminimizetime=100x ./stripe/
//
// -fuzzminimizetime bounds the time spent minimizing an input with new
// coverage, which over a real connection is not always found again.
// A plain go test runs the seeds: the f.Add calls and testdata/fuzz.

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/stripe/stripe-go/v85"

	"github.com/stripe-exporter/stripe_exporter/stripe"
	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// The README's lists of the currencies Stripe's API gives no decimals or
// three decimals, kept apart from the package's own table on purpose.
var (
	fuzzZeroDecimal  = strings.Fields("bif clp djf gnf jpy kmf krw mga pyg rwf vnd vuv xaf xof xpf")
	fuzzThreeDecimal = strings.Fields("bhd jod kwd omr tnd")
)

// fuzzExactDecimal writes amount / 10^digits exactly, in decimal.
func fuzzExactDecimal(amount int64, digits int) string {
	sign := ""
	u := uint64(amount)
	if amount < 0 {
		sign, u = "-", -u // two's complement: right for math.MinInt64 too
	}
	s := strconv.FormatUint(u, 10)
	if digits == 0 {
		return sign + s
	}
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	return sign + s[:len(s)-digits] + "." + s[len(s)-digits:]
}

func fuzzIsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func FuzzMajorUnits(f *testing.F) {
	for _, seed := range []struct {
		amount   int64
		currency string
	}{
		{1234, "usd"},
		{-2550, "EUR"},
		{5000, "jpy"},
		{1234, "KWD"},
		{500, "isk"},
		{1, "zzz"},
		{0, ""},
		{1<<53 - 1, "bhd"},
		{-(1<<53 - 1), "usd"},
		{math.MaxInt64, "tnd"},
		{math.MinInt64, "Usd"},
	} {
		f.Add(seed.amount, seed.currency)
	}
	f.Fuzz(func(t *testing.T, amount int64, currency string) {
		digits, known := stripe.Decimals(currency)
		lower := strings.ToLower(currency)
		want := 2
		switch {
		case slices.Contains(fuzzZeroDecimal, lower):
			want = 0
		case slices.Contains(fuzzThreeDecimal, lower):
			want = 3
		}
		if digits != want {
			t.Fatalf("Decimals(%q) = %d; want %d", currency, digits, want)
		}
		if !known && digits != 2 {
			t.Fatalf("Decimals(%q) = %d for an unknown currency; want 2", currency, digits)
		}
		if want != 2 && !known {
			t.Fatalf("Decimals(%q) says unknown; the README lists it", currency)
		}

		got := stripe.MajorUnits(amount, currency)
		exact := fuzzExactDecimal(amount, digits)
		nearest, err := strconv.ParseFloat(exact, 64)
		if err != nil {
			t.Fatalf("ParseFloat(%q): %v", exact, err)
		}
		if digits == 0 && got != float64(amount) {
			t.Fatalf("MajorUnits(%d, %q) = %v; want %v unchanged", amount, currency, got, float64(amount))
		}
		if math.IsNaN(got) || math.IsInf(got, 0) {
			t.Fatalf("MajorUnits(%d, %q) = %v", amount, currency, got)
		}
		if amount > -(1<<53) && amount < 1<<53 {
			// One correctly rounded division of two exact floats: the
			// nearest float to the exact decimal.
			if got != nearest || math.Signbit(got) != math.Signbit(nearest) {
				t.Fatalf("MajorUnits(%d, %q) = %v; want %v, the float nearest to %s", amount, currency, got, nearest, exact)
			}
		} else if got != nearest && math.Nextafter(got, nearest) != nearest {
			// Beyond 2^53 the amount is rounded before the division, so
			// the result may be off, but by no more than one float.
			t.Fatalf("MajorUnits(%d, %q) = %v; want %v (%s) or the float next to it", amount, currency, got, nearest, exact)
		}

		if fuzzIsASCII(currency) {
			for _, c := range []string{strings.ToUpper(currency), strings.ToLower(currency)} {
				if g := stripe.MajorUnits(amount, c); g != got {
					t.Fatalf("MajorUnits(%d, %q) = %v but MajorUnits(%d, %q) = %v", amount, c, g, amount, currency, got)
				}
				if d, k := stripe.Decimals(c); d != digits || k != known {
					t.Fatalf("Decimals(%q) = %d, %v but Decimals(%q) = %d, %v", c, d, k, currency, digits, known)
				}
			}
		}
	})
}

// fuzzStatuses are the HTTP statuses a fuzzed answer can have; the fuzzer
// picks one by index.
var fuzzStatuses = []int{200, 201, 400, 401, 402, 403, 404, 409, 429, 500, 503}

// fuzzMaxBody is the body limit of the fuzzed clients, small enough that
// the fuzzer reaches it.
const fuzzMaxBody = 4096

const fuzzRequestID = "req_fuzz"

// fuzzServer answers every request with the one scripted answer, which each
// fuzz iteration swaps, and notes the request it got.
type fuzzServer struct {
	*httptest.Server
	mu      sync.Mutex
	status  int
	body    []byte
	chunked bool
	method  string
	path    string
	auth    string
}

func newFuzzServer(f *testing.F) *fuzzServer {
	s := &fuzzServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		status, body, chunked := s.status, s.body, s.chunked
		s.method, s.path, s.auth = r.Method, r.URL.Path, r.Header.Get("Authorization")
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", fuzzRequestID)
		w.WriteHeader(status)
		if chunked {
			// Without a Content-Length: the client learns where the body
			// ends only from a read after it.
			w.(http.Flusher).Flush()
		}
		_, _ = w.Write(body)
	}))
	f.Cleanup(s.Close)
	return s
}

// answer makes the next answers status and body; mode's low bit sends the
// body chunked.
func (s *fuzzServer) answer(status int, body []byte, mode byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body, s.chunked = status, body, mode&1 == 1
	s.method, s.path, s.auth = "", "", ""
}

func (s *fuzzServer) checkRequest(t *testing.T, path string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.method != http.MethodGet || s.path != path {
		t.Fatalf("the server got %s %s; want GET %s", s.method, s.path, path)
	}
	if s.auth != "Bearer "+stripetest.Key {
		t.Fatalf("the server got Authorization %q; want the key", s.auth)
	}
}

func newFuzzClient(f *testing.F, url string) *stripe.APIClient {
	c, err := stripe.New(stripe.Config{
		Key:          stripetest.Key,
		URL:          url,
		MaxRetries:   0,
		RateLimit:    1e9,
		MaxBodyBytes: fuzzMaxBody,
	})
	if err != nil {
		f.Fatal(err)
	}
	return c
}

// fuzzKeyBodies are answers that quote the key, which must never come back
// in an error.
func fuzzKeyBodies() []string {
	k := stripetest.Key
	return []string{
		stripetest.ErrorBody("invalid_request_error", "", "Invalid API Key provided: "+k),
		stripetest.ErrorBody(k, k, k+" is not "+k),
		`{"echo": "` + k + `"}`,
		"proxy error for Bearer " + k,
		"Authorization: Bearer " + k + "\nbroken",
		`{"object": "balance", "note": "` + k,
		strings.Repeat("x", 480) + k,
		`{"available": [{"amount": 1, "currency": "usd", "source_types": {"` + k + `": "x"}}]}`,
		`{"amount": "` + k + `", "fee_details": [{"type": "` + k + `"}]}`,
		`{"error": {"message": "` + k + `", "type": 1}}`,
		`{"error": {"message": "\u0072k_test_51FakeRestrictedKeyForTests", "request_id": "` + k + `"}}`,
	}
}

// fuzzSeeds adds bodies under each status; mode 1 sends them chunked.
func fuzzSeeds(f *testing.F, bodies []string) {
	for i, body := range bodies {
		f.Add(byte(0), byte(0), []byte(body))
		f.Add(byte(i), byte(i), []byte(body))
	}
	for i, body := range fuzzKeyBodies() {
		f.Add(byte(i), byte(i), []byte(body))
	}
}

// checkError checks what every failed call must be: a *stripe.Error for
// endpoint with the answer's status and request ID, and nothing of the key.
func checkError(t *testing.T, err error, endpoint string, status int) {
	t.Helper()
	var e *stripe.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *stripe.Error", err, err)
	}
	if e.Endpoint != endpoint {
		t.Errorf("Endpoint = %q; want %q", e.Endpoint, endpoint)
	}
	if e.Status != status {
		t.Errorf("Status = %d; want %d", e.Status, status)
	}
	if e.RequestID != fuzzRequestID {
		t.Errorf("RequestID = %q; want %q", e.RequestID, fuzzRequestID)
	}
	for name, s := range map[string]string{"Error()": err.Error(), "Type": e.Type, "Code": e.Code, "Message": e.Message} {
		if strings.Contains(s, stripetest.Key) {
			t.Errorf("%s contains the API key: %q", name, s)
		}
	}
}

// fuzzShouldDecode says whether a call answered with status and body must
// succeed: a 2xx within the size limit that the SDK's own type takes, and
// that is the object asked for.
func fuzzShouldDecode(status int, body []byte, v any, object string) bool {
	return status < 300 && len(body) <= fuzzMaxBody && json.Unmarshal(body, v) == nil && stripetest.IsObject(body, object)
}

// refFunds and refPlainFunds are the Funds the client must make of a plain
// decoding.
func refFunds(in []*stripetest.RefAmount) []stripe.Funds {
	var out []stripe.Funds
	for _, a := range in {
		if a == nil {
			continue
		}
		f := stripe.Funds{Currency: a.Currency, Amount: a.Amount}
		if len(a.SourceTypes) > 0 {
			f.SourceTypes = a.SourceTypes
		}
		out = append(out, f)
	}
	return out
}

func refPlainFunds(in []*stripetest.RefPlainAmount) []stripe.Funds {
	var out []stripe.Funds
	for _, a := range in {
		if a != nil {
			out = append(out, stripe.Funds{Currency: a.Currency, Amount: a.Amount})
		}
	}
	return out
}

func wantBalanceOf(t *testing.T, body []byte) *stripe.Balance {
	t.Helper()
	var r stripetest.RefBalance
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("the SDK decoded the balance, but a plain decoding fails: %v", err)
	}
	b := &stripe.Balance{
		Available:        refFunds(r.Available),
		Pending:          refFunds(r.Pending),
		InstantAvailable: refFunds(r.InstantAvailable),
		ConnectReserved:  refFunds(r.ConnectReserved),
	}
	if r.Issuing != nil {
		b.IssuingAvailable = refFunds(r.Issuing.Available)
	}
	if p := r.RefundAndDisputePrefunding; p != nil {
		b.RefundAndDisputeAvailable = refPlainFunds(p.Available)
		b.RefundAndDisputePending = refPlainFunds(p.Pending)
	}
	return b
}

func FuzzBalanceBody(f *testing.F) {
	srv := newFuzzServer(f)
	client := newFuzzClient(f, srv.URL)
	fuzzSeeds(f, []string{
		stripetest.Balance,
		stripetest.ConnectedBalance,
		stripetest.BadRequestBody,
		stripetest.UnauthorizedBody,
		stripetest.Balance[:len(stripetest.Balance)/2],
		"", "null", "{}", "[]", `"bal_1"`,
		`{"available": [null, {"amount": 1, "currency": "USD", "source_types": {}}], "issuing": null}`,
		`{"available": [{"amount": 9223372036854775807, "currency": "usd", "source_types": {"card": -9223372036854775808}}]}`,
		`{"available": [{"amount": 1, "currency": "usd", "source_types": {"card": 1}, "source_types": {"fpx": 2}}]}`,
		`{"pending": [{"amount": 1.5, "currency": "usd"}]}`,
		"{\"available\": [{\"amount\": 1, \"currency\": \"\xff\xfeUSD\", \"source_types\": {\"\xc0\": 1}}]}",
		`{"refund_and_dispute_prefunding": {"available": [null, {"amount": 3, "currency": "usd", "source_types": {"card": 3}}]}}`,
	})
	f.Fuzz(func(t *testing.T, statusIndex, mode byte, body []byte) {
		status := fuzzStatuses[int(statusIndex)%len(fuzzStatuses)]
		srv.answer(status, body, mode)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()

		b, err := client.Balance(ctx, "")
		srv.checkRequest(t, "/v1/balance")
		shouldDecode := fuzzShouldDecode(status, body, new(sdk.Balance), "balance")
		if err != nil {
			if b != nil {
				t.Errorf("Balance returned %+v with the error", b)
			}
			checkError(t, err, stripe.EndpointBalance, status)
			if shouldDecode {
				t.Fatalf("HTTP %d with a body the SDK decodes failed: %v", status, err)
			}
			return
		}
		if !shouldDecode {
			t.Fatalf("HTTP %d with a body of %d bytes the SDK does not decode succeeded: %+v", status, len(body), b)
		}
		for _, fs := range [][]stripe.Funds{b.Available, b.Pending, b.InstantAvailable, b.IssuingAvailable, b.ConnectReserved} {
			for _, fu := range fs {
				if fu.SourceTypes != nil && len(fu.SourceTypes) == 0 {
					t.Errorf("Funds %+v: an empty breakdown is not nil", fu)
				}
			}
		}
		for _, fs := range [][]stripe.Funds{b.RefundAndDisputeAvailable, b.RefundAndDisputePending} {
			for _, fu := range fs {
				if fu.SourceTypes != nil {
					t.Errorf("refund and dispute prefunding %+v has a breakdown", fu)
				}
			}
		}
		if want := wantBalanceOf(t, body); !reflect.DeepEqual(b, want) {
			t.Fatalf("Balance =\n%+v\nwant\n%+v", b, want)
		}
	})
}

func wantTransactionOf(t *testing.T, body []byte) *stripe.BalanceTransaction {
	t.Helper()
	// A bare JSON string is taken as an unexpanded ID, quoted as it is.
	var id string
	if raw := strings.Trim(string(body), " \t\r\n"); strings.HasPrefix(raw, `"`) && json.Unmarshal(body, &id) == nil {
		return &stripe.BalanceTransaction{ID: raw[1 : len(raw)-1]}
	}
	var r stripetest.RefTransaction
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("the SDK decoded the transaction, but a plain decoding fails: %v", err)
	}
	out := &stripe.BalanceTransaction{
		ID: r.ID, Currency: r.Currency, Amount: r.Amount, Fee: r.Fee, Net: r.Net,
		Status: r.Status, Type: r.Type, ReportingCategory: r.ReportingCategory, AvailableOn: r.AvailableOn,
		Created: r.Created,
	}
	for _, d := range r.FeeDetails {
		if d != nil {
			out.FeeDetails = append(out.FeeDetails, stripe.FeeDetail{Currency: d.Currency, Amount: d.Amount, Type: d.Type})
		}
	}
	return out
}

func FuzzTransactionBody(f *testing.F) {
	srv := newFuzzServer(f)
	client := newFuzzClient(f, srv.URL)
	fuzzSeeds(f, []string{
		stripetest.SettledTransaction,
		stripetest.PendingTransaction,
		stripetest.ErrorBody("invalid_request_error", "resource_missing", "No such balance transaction: 'txn_fuzz'"),
		stripetest.PendingTransaction[:len(stripetest.PendingTransaction)/2],
		"", "null", "{}", `"txn_fuzz"`, ` "txn_\u00e9\"" `,
		`{"id": "txn_fuzz", "amount": -9223372036854775808, "fee": 9223372036854775807, "fee_details": [null, {"amount": 1, "currency": "JPY", "type": "tax"}]}`,
		`{"id": "txn_fuzz", "currency": "kwd", "status": "available", "source": "ch_1", "exchange_rate": 1.5}`,
		`{"object": "balance_transaction", "id": "txn_fuzz", "created": 1735084800, "available_on": -1}`,
		`{"id": "txn_fuzz", "created": "1735084800"}`,
		`{"id": "txn_fuzz", "source": {"object": "charge", "type": "charge", "id": "ch_1"}}`,
		`{"id": "txn_fuzz", "status": "\ud800", "type": "` + "\xc0" + `"}`,
	})
	f.Fuzz(func(t *testing.T, statusIndex, mode byte, body []byte) {
		status := fuzzStatuses[int(statusIndex)%len(fuzzStatuses)]
		srv.answer(status, body, mode)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()

		txn, err := client.BalanceTransaction(ctx, "", "txn_fuzz")
		srv.checkRequest(t, "/v1/balance_transactions/txn_fuzz")
		shouldDecode := fuzzShouldDecode(status, body, new(sdk.BalanceTransaction), "balance_transaction")
		if err != nil {
			if txn != nil {
				t.Errorf("BalanceTransaction returned %+v with the error", txn)
			}
			checkError(t, err, stripe.EndpointBalanceTransaction, status)
			if shouldDecode {
				t.Fatalf("HTTP %d with a body the SDK decodes failed: %v", status, err)
			}
			return
		}
		if !shouldDecode {
			t.Fatalf("HTTP %d with a body of %d bytes the SDK does not decode succeeded: %+v", status, len(body), txn)
		}
		if want := wantTransactionOf(t, body); !reflect.DeepEqual(txn, want) {
			t.Fatalf("BalanceTransaction =\n%+v\nwant\n%+v", txn, want)
		}
	})
}

// wantTransactionPageOf is the page the client must make of a list body
// that it takes, and whether the body says it has more.
func wantTransactionPageOf(t *testing.T, body []byte) ([]stripe.BalanceTransaction, bool) {
	t.Helper()
	var r stripetest.RefList
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("the SDK decoded the list, but a plain decoding fails: %v", err)
	}
	out := []stripe.BalanceTransaction{}
	for _, entry := range r.Data {
		out = append(out, *wantTransactionOf(t, entry))
	}
	return out, r.HasMore
}

// fuzzIsWholeList says whether body is a list that the client must take
// whole: a list object whose entries are all balance transactions, with one
// to page on if it says it has more.
func fuzzIsWholeList(body []byte) bool {
	var r stripetest.RefList
	if json.Unmarshal(body, &r) != nil || r.Object != "list" || (r.HasMore && len(r.Data) == 0) {
		return false
	}
	for _, entry := range r.Data {
		if !stripetest.IsObject(entry, "balance_transaction") {
			return false
		}
	}
	return true
}

func FuzzTransactionListBody(f *testing.F) {
	srv := newFuzzServer(f)
	client := newFuzzClient(f, srv.URL)
	list := func(hasMore bool, entries ...string) string {
		return `{"object": "list", "url": "/v1/balance_transactions", "has_more": ` + strconv.FormatBool(hasMore) + `, "data": [` + strings.Join(entries, ", ") + `]}`
	}
	fuzzSeeds(f, []string{
		list(true, stripetest.SettledTransaction, stripetest.PendingTransaction),
		list(false, stripetest.SettledTransaction),
		list(false), list(true),
		list(false, "null"), list(false, stripetest.SettledTransaction, "null"),
		list(true, `"txn_1Bare"`), list(false, `{"object": "payout", "id": "po_1"}`),
		list(false, `{"object": "balance_transaction", "id": "txn_1", "created": 1735084800, "fee_details": [null, {"amount": 1, "currency": "usd", "type": "tax"}]}`),
		list(true, stripetest.SettledTransaction)[:len(list(true, stripetest.SettledTransaction))/2],
		`{"object": "list", "data": {"0": {}}}`, `{"object": "list", "has_more": 1, "data": []}`,
		`{"object": "list", "Data": [{"Object": "balance_transaction", "ID": "txn_1"}], "OBJECT": "list"}`,
		"", "null", "{}", "[]", `"list"`,
		stripetest.ErrorBody("invalid_request_error", "resource_missing", "No such balance transaction: 'txn_fuzz'"),
	})
	f.Fuzz(func(t *testing.T, statusIndex, mode byte, body []byte) {
		status := fuzzStatuses[int(statusIndex)%len(fuzzStatuses)]
		srv.answer(status, body, mode)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()

		txns, more, err := client.BalanceTransactions(ctx, "", stripe.TransactionQuery{CreatedGTE: 1})
		srv.checkRequest(t, "/v1/balance_transactions")
		shouldDecode := fuzzShouldDecode(status, body, new(sdk.BalanceTransactionList), "list") && fuzzIsWholeList(body)
		if err != nil {
			if txns != nil || more {
				t.Errorf("BalanceTransactions returned %+v, %v with the error", txns, more)
			}
			checkError(t, err, stripe.EndpointBalanceTransactions, status)
			if shouldDecode {
				t.Fatalf("HTTP %d with a list the SDK decodes failed: %v", status, err)
			}
			return
		}
		if !shouldDecode {
			t.Fatalf("HTTP %d with a body of %d bytes that is not a whole list succeeded: %+v", status, len(body), txns)
		}
		want, wantMore := wantTransactionPageOf(t, body)
		if !reflect.DeepEqual(txns, want) || more != wantMore {
			t.Fatalf("BalanceTransactions = %+v, %v\nwant %+v, %v", txns, more, want, wantMore)
		}
	})
}
