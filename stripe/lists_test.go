package stripe

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// checkListRequest checks a GET of a list from this client, with its query
// exactly as sent.
func checkListRequest(t *testing.T, r stripetest.Request, path, account, query string) {
	t.Helper()
	if r.RawQuery != query {
		t.Errorf("query = %q; want %q", r.RawQuery, query)
	}
	r.RawQuery = ""
	checkRequest(t, r, path, account)
}

// threeTransactions are a connected account's transactions a minute apart,
// as the fake lists them and as the client must give them back, newest
// first.
func threeTransactions(fake *stripetest.Server, account string) []BalanceTransaction {
	fake.AddTransactions(account,
		stripetest.Transaction{ID: "txn_1Old", Created: 1735084800, Currency: "usd", Amount: 1000, Fee: 59,
			FeeDetails: []stripetest.Fee{{Amount: 50, Currency: "usd", Type: "stripe_fee"}, {Amount: 9, Currency: "usd", Type: "tax"}},
			Status:     "available", Type: "charge", ReportingCategory: "charge", AvailableOn: 1735689600},
		stripetest.Transaction{ID: "txn_1Mid", Created: 1735084860, Currency: "jpy", Amount: -500,
			Status: "available", Type: "refund", ReportingCategory: "refund", AvailableOn: 1735084860},
		stripetest.Transaction{ID: "txn_1New", Created: 1735084920, Currency: "kwd", Amount: 10500, Fee: 320,
			FeeDetails: []stripetest.Fee{{Amount: 300, Currency: "kwd", Type: "stripe_fee"}, {Amount: 20, Currency: "kwd", Type: "application_fee"}},
			Status:     "pending", Type: "payment", ReportingCategory: "charge", AvailableOn: 1767225600},
	)
	return []BalanceTransaction{
		{ID: "txn_1New", Currency: "kwd", Amount: 10500, Fee: 320, Net: 10180,
			FeeDetails: []FeeDetail{{Currency: "kwd", Amount: 300, Type: "stripe_fee"}, {Currency: "kwd", Amount: 20, Type: "application_fee"}},
			Status:     "pending", Type: "payment", ReportingCategory: "charge", AvailableOn: 1767225600, Created: 1735084920},
		{ID: "txn_1Mid", Currency: "jpy", Amount: -500, Net: -500,
			Status: "available", Type: "refund", ReportingCategory: "refund", AvailableOn: 1735084860, Created: 1735084860},
		{ID: "txn_1Old", Currency: "usd", Amount: 1000, Fee: 59, Net: 941,
			FeeDetails: []FeeDetail{{Currency: "usd", Amount: 50, Type: "stripe_fee"}, {Currency: "usd", Amount: 9, Type: "tax"}},
			Status:     "available", Type: "charge", ReportingCategory: "charge", AvailableOn: 1735689600, Created: 1735084800},
	}
}

func TestBalanceTransactionsPages(t *testing.T) {
	const account = "acct_1Connected"
	fake := stripetest.New(t)
	want := threeTransactions(fake, account)
	fake.AddTransactions("", stripetest.Transaction{ID: "txn_1Own", Created: 1735084900, Currency: "usd", Amount: 1, Status: "available"})
	obs := newRecordingObserver()
	c := newTestClient(t, fake.URL, 0, obs)

	got, more, err := c.BalanceTransactions(testContext(t), account, TransactionQuery{CreatedGTE: 1735084800, Limit: 2})
	if err != nil {
		t.Fatalf("first page: %v", err)
	}
	if !reflect.DeepEqual(got, want[:2]) || !more {
		t.Errorf("first page = %+v, has more %v;\nwant %+v, true", got, more, want[:2])
	}
	got, more, err = c.BalanceTransactions(testContext(t), account, TransactionQuery{CreatedGTE: 1735084800, StartingAfter: "txn_1Mid", Limit: 2})
	if err != nil {
		t.Fatalf("second page: %v", err)
	}
	if !reflect.DeepEqual(got, want[2:]) || more {
		t.Errorf("second page = %+v, has more %v;\nwant %+v, false", got, more, want[2:])
	}
	// The key's own account: no header, and a page as large as Stripe allows.
	got, more, err = c.BalanceTransactions(testContext(t), "", TransactionQuery{})
	if err != nil {
		t.Fatalf("own account: %v", err)
	}
	if len(got) != 1 || got[0].ID != "txn_1Own" || more {
		t.Errorf("own account's page = %+v, has more %v; want txn_1Own alone", got, more)
	}

	reqs := fake.Requests()
	if len(reqs) != 3 {
		t.Fatalf("fake got %d requests; want 3", len(reqs))
	}
	checkListRequest(t, reqs[0], "/v1/balance_transactions", account, "limit=2&created[gte]=1735084800")
	checkListRequest(t, reqs[1], "/v1/balance_transactions", account, "limit=2&starting_after=txn_1Mid&created[gte]=1735084800")
	checkListRequest(t, reqs[2], "/v1/balance_transactions", "", "limit=100")
	if n := fake.Calls(stripetest.BalanceTransactionsRoute(account)); n != 2 {
		t.Errorf("fake got %d calls for the connected account's list; want 2", n)
	}
	if codes := obs.Codes(EndpointBalanceTransactions); !reflect.DeepEqual(codes, []int{200, 200, 200}) {
		t.Errorf("observed codes %v; want [200 200 200]", codes)
	}
}

func TestBalanceTransactionsCreatedBounds(t *testing.T) {
	fake := stripetest.New(t)
	all := threeTransactions(fake, "")
	c := newTestClient(t, fake.URL, 0, nil)
	for _, tc := range []struct {
		q     TransactionQuery
		query string
		want  []BalanceTransaction
	}{
		{TransactionQuery{CreatedGT: 1735084800}, "limit=100&created[gt]=1735084800", all[:2]},
		{TransactionQuery{CreatedGTE: 1735084860, CreatedLT: 1735084920}, "limit=100&created[gte]=1735084860&created[lt]=1735084920", all[1:2]},
		{TransactionQuery{CreatedLTE: 1735084860}, "limit=100&created[lte]=1735084860", all[1:]},
		{TransactionQuery{CreatedGT: 1735084920}, "limit=100&created[gt]=1735084920", []BalanceTransaction{}},
	} {
		got, more, err := c.BalanceTransactions(testContext(t), "", tc.q)
		if err != nil {
			t.Errorf("%+v: %v", tc.q, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) || more {
			t.Errorf("%+v: page = %+v, has more %v; want %+v, false", tc.q, got, more, tc.want)
		}
		reqs := fake.Requests()
		checkListRequest(t, reqs[len(reqs)-1], "/v1/balance_transactions", "", tc.query)
	}
}

func TestListLimitOutOfRange(t *testing.T) {
	fake := stripetest.New(t)
	c := newTestClient(t, fake.URL, 0, nil)
	for _, limit := range []int{-1, 101} {
		_, _, err := c.BalanceTransactions(testContext(t), "", TransactionQuery{Limit: limit})
		if e := asError(t, err); e.Endpoint != EndpointBalanceTransactions || !strings.Contains(err.Error(), "page limit") {
			t.Errorf("limit %d: %v; want a page limit error", limit, err)
		}
	}
	if reqs := fake.Requests(); len(reqs) != 0 {
		t.Errorf("fake got %d requests for pages it could not give; want none", len(reqs))
	}
}

func TestListRetried(t *testing.T) {
	fake := stripetest.New(t)
	want := threeTransactions(fake, "")
	route := stripetest.BalanceTransactionsRoute("")
	fake.Script(route,
		stripetest.Response{Status: 500, Body: stripetest.ErrorBody("api_error", "", "Something went wrong.")},
		stripetest.Response{Status: 429, Body: stripetest.ErrorBody("rate_limit_error", "rate_limit", "Too many requests")},
	)
	obs := newRecordingObserver()
	c := newTestClient(t, fake.URL, 2, obs)

	got, more, err := c.BalanceTransactions(testContext(t), "", TransactionQuery{CreatedGTE: 1})
	if err != nil {
		t.Fatalf("BalanceTransactions: %v", err)
	}
	if !reflect.DeepEqual(got, want) || more {
		t.Errorf("page after retries = %+v, has more %v; want %+v, false", got, more, want)
	}
	if n := fake.Calls(route); n != 3 {
		t.Errorf("fake got %d calls; want 3", n)
	}
	if codes := obs.Codes(EndpointBalanceTransactions); !reflect.DeepEqual(codes, []int{500, 429, 200}) {
		t.Errorf("observed codes %v; want [500 429 200]", codes)
	}
	if n := obs.Retries(EndpointBalanceTransactions); n != 2 {
		t.Errorf("observed %d retries; want 2", n)
	}
	// Every attempt asked for the same page.
	for _, r := range fake.Requests() {
		checkListRequest(t, r, "/v1/balance_transactions", "", "limit=100&created[gte]=1")
	}
}

func TestListErrorsNotRetriedAndRedacted(t *testing.T) {
	fake := stripetest.New(t)
	route := stripetest.BalanceTransactionsRoute("acct_1Connected")
	fake.Script(route, stripetest.Response{Status: 401, Body: stripetest.ErrorBody("invalid_request_error", "", "Invalid API Key provided: "+stripetest.Key)})
	c := newTestClient(t, fake.URL, 3, nil)
	_, _, err := c.BalanceTransactions(testContext(t), "acct_1Connected", TransactionQuery{})
	checkRedacted(t, err, "error message")
	if e := asError(t, err); e.Status != 401 || e.Endpoint != EndpointBalanceTransactions {
		t.Errorf("error = %+v; want a 401 from balance_transactions", e)
	}
	// A starting_after Stripe does not know is its 400, not retried.
	_, _, err = c.BalanceTransactions(testContext(t), "acct_1Connected", TransactionQuery{StartingAfter: "txn_1Gone"})
	if e := asError(t, err); e.Status != 400 || e.Code != "resource_missing" {
		t.Errorf("error = %+v; want a 400 resource_missing", e)
	}
	if n := fake.Calls(route); n != 2 {
		t.Errorf("fake got %d calls; want 2, neither retried", n)
	}
}

// notAListBodies are 200 answers that decode but are not a whole list of
// entries to count: each fails the call, unretried.
var notAListBodies = map[string]string{
	`{}`:                                 "not a list object",
	`null`:                               "not a list object",
	`{"object": "balance"}`:              "not a list object",
	`{"object": "list", "data": [null]}`: "panics on a null entry",
	`{"object": "list", "has_more": true, "data": []}`: "no entries yet says it has more",
}

func TestTransactionListThatIsNotOneFails(t *testing.T) {
	bodies := map[string]string{
		`{"object": "list", "data": ["txn_1Bare"]}`:                                       "entry 0 of the list: the answer is not a balance_transaction object",
		`{"object": "list", "data": [{"object": "balance_transaction"}, {"id": "po_1"}]}`: "entry 1 of the list: the answer is not a balance_transaction object",
	}
	for body, want := range notAListBodies {
		bodies[body] = want
	}
	for body, want := range bodies {
		fake := stripetest.New(t)
		route := stripetest.BalanceTransactionsRoute("")
		fake.Script(route, stripetest.Response{Status: 200, Body: body})
		c := newTestClient(t, fake.URL, 2, nil)
		got, more, err := c.BalanceTransactions(testContext(t), "", TransactionQuery{})
		if err == nil {
			t.Errorf("%s: page %+v, has more %v; want an error", body, got, more)
			continue
		}
		if e := asError(t, err); e.Status != 200 || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want a 200 that says %q", body, err, want)
		}
		if n := fake.Calls(route); n != 1 {
			t.Errorf("%s: fake got %d calls; want 1", body, n)
		}
	}
}

func TestPayoutsPage(t *testing.T) {
	const account = "acct_1Connected"
	fake := stripetest.New(t)
	fake.AddPayouts(account,
		stripetest.Payout{ID: "po_1Paid", Created: 1735000000, Amount: 120000, Currency: "usd", Status: "paid", ArrivalDate: 1735171200, Automatic: true},
		stripetest.Payout{ID: "po_1Failed", Created: 1735100000, Amount: 5000, Currency: "eur", Status: "failed", ArrivalDate: 1735257600,
			FailureCode: "account_closed", FailureMessage: "The bank account has been closed."},
		stripetest.Payout{ID: "po_1Pending", Created: 1735200000, Amount: 777, Currency: "jpy", Status: "pending", ArrivalDate: 1735344000, Automatic: true},
	)
	obs := newRecordingObserver()
	c := newTestClient(t, fake.URL, 0, obs)

	got, more, err := c.Payouts(testContext(t), account, PayoutQuery{Status: "failed", Limit: 5})
	if err != nil {
		t.Fatalf("Payouts: %v", err)
	}
	want := []Payout{{ID: "po_1Failed", Amount: 5000, Currency: "eur", Status: "failed", ArrivalDate: 1735257600, Created: 1735100000,
		FailureCode: "account_closed", FailureMessage: "The bank account has been closed."}}
	if !reflect.DeepEqual(got, want) || more {
		t.Errorf("failed payouts = %+v, has more %v; want %+v, false", got, more, want)
	}
	got, more, err = c.Payouts(testContext(t), account, PayoutQuery{})
	if err != nil {
		t.Fatalf("Payouts: %v", err)
	}
	if len(got) != 3 || got[0].ID != "po_1Pending" || !got[0].Automatic || got[2].ID != "po_1Paid" || more {
		t.Errorf("every payout = %+v, has more %v; want the three, newest first", got, more)
	}
	got, more, err = c.Payouts(testContext(t), "", PayoutQuery{Status: "paid", Limit: 1})
	if err != nil || len(got) != 0 || more {
		t.Errorf("own account's paid payouts = %+v, %v, %v; want none", got, more, err)
	}

	reqs := fake.Requests()
	if len(reqs) != 3 {
		t.Fatalf("fake got %d requests; want 3", len(reqs))
	}
	checkListRequest(t, reqs[0], "/v1/payouts", account, "limit=5&status=failed")
	checkListRequest(t, reqs[1], "/v1/payouts", account, "limit=100")
	checkListRequest(t, reqs[2], "/v1/payouts", "", "limit=1&status=paid")
	if codes := obs.Codes(EndpointPayouts); !reflect.DeepEqual(codes, []int{200, 200, 200}) {
		t.Errorf("observed codes %v; want [200 200 200]", codes)
	}
}

// TestPayoutsOfAnotherStatusFail: a list that ignored the status asked for,
// as Stripe was reported to for in_transit (and the fake does), fails.
func TestPayoutsOfAnotherStatusFail(t *testing.T) {
	fake := stripetest.New(t)
	fake.AddPayouts("",
		stripetest.Payout{ID: "po_1Transit", Created: 100, Amount: 1, Currency: "usd", Status: "in_transit"},
		stripetest.Payout{ID: "po_1Paid", Created: 200, Amount: 1, Currency: "usd", Status: "paid"},
	)
	c := newTestClient(t, fake.URL, 2, nil)
	got, _, err := c.Payouts(testContext(t), "", PayoutQuery{Status: "in_transit"})
	if err == nil {
		t.Fatalf("Payouts(in_transit) = %+v; want an error", got)
	}
	if e := asError(t, err); e.Status != 200 || e.Endpoint != EndpointPayouts || !strings.Contains(err.Error(), "payout po_1Paid is paid, but only in_transit payouts were asked for") {
		t.Errorf("error %v; want one naming the paid payout", err)
	}
	if n := fake.Calls(stripetest.PayoutsRoute("")); n != 1 {
		t.Errorf("fake got %d calls; want 1", n)
	}
}

func TestPayoutListThatIsNotOneFails(t *testing.T) {
	bodies := map[string]string{
		`{"object": "list", "data": [{"object": "payout", "id": "po_1"}, {"object": "balance_transaction", "id": "txn_1"}]}`: "entry 1 of the list: the answer is not a payout object",
	}
	for body, want := range notAListBodies {
		bodies[body] = want
	}
	for body, want := range bodies {
		fake := stripetest.New(t)
		route := stripetest.PayoutsRoute("")
		fake.Script(route, stripetest.Response{Status: 200, Body: body})
		c := newTestClient(t, fake.URL, 2, nil)
		s, err := c.PayoutSummary(testContext(t), "")
		if err == nil {
			t.Errorf("%s: summary %+v; want an error", body, s)
			continue
		}
		if e := asError(t, err); e.Status != 200 || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want a 200 that says %q", body, err, want)
		}
		if n := fake.Calls(route); n != 1 {
			t.Errorf("%s: fake got %d calls; want 1", body, n)
		}
	}
}

func TestPayoutSummaryAllListed(t *testing.T) {
	const account = "acct_1Connected"
	fake := stripetest.New(t)
	fake.AddPayouts(account,
		stripetest.Payout{ID: "po_1PaidOld", Created: 100, Amount: 1, Currency: "usd", Status: "paid", ArrivalDate: 150},
		stripetest.Payout{ID: "po_1FailedOld", Created: 110, Amount: 2, Currency: "usd", Status: "failed", ArrivalDate: 160, FailureCode: "no_account"},
		stripetest.Payout{ID: "po_1Paid", Created: 200, Amount: 3, Currency: "eur", Status: "paid", ArrivalDate: 250, Automatic: true},
		stripetest.Payout{ID: "po_1Failed", Created: 210, Amount: 4, Currency: "usd", Status: "failed", ArrivalDate: 260, FailureCode: "account_closed", FailureMessage: "closed"},
		stripetest.Payout{ID: "po_1Canceled", Created: 220, Amount: 5, Currency: "usd", Status: "canceled", ArrivalDate: 270},
		stripetest.Payout{ID: "po_1TransitUSD", Created: 300, Amount: 1000, Currency: "usd", Status: "in_transit", ArrivalDate: 390},
		stripetest.Payout{ID: "po_1TransitEUR", Created: 310, Amount: 2000, Currency: "eur", Status: "in_transit", ArrivalDate: 380},
		stripetest.Payout{ID: "po_1PendingA", Created: 320, Amount: 300, Currency: "usd", Status: "pending", ArrivalDate: 500},
		stripetest.Payout{ID: "po_1PendingB", Created: 330, Amount: 400, Currency: "usd", Status: "pending", ArrivalDate: 450},
	)
	c := newTestClient(t, fake.URL, 0, nil)
	got, err := c.PayoutSummary(testContext(t), account)
	if err != nil {
		t.Fatalf("PayoutSummary: %v", err)
	}
	want := &PayoutSummary{
		InFlight: []PayoutsInFlight{
			{Currency: "eur", Status: "in_transit", Amount: 2000, Count: 1, EarliestArrival: 380},
			{Currency: "usd", Status: "in_transit", Amount: 1000, Count: 1, EarliestArrival: 390},
			{Currency: "usd", Status: "pending", Amount: 700, Count: 2, EarliestArrival: 450},
		},
		LastPaid:   &Payout{ID: "po_1Paid", Created: 200, Amount: 3, Currency: "eur", Status: "paid", ArrivalDate: 250, Automatic: true},
		LastFailed: &Payout{ID: "po_1Failed", Created: 210, Amount: 4, Currency: "usd", Status: "failed", ArrivalDate: 260, FailureCode: "account_closed", FailureMessage: "closed"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("summary =\n%+v\nwant\n%+v", got, want)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("fake got %d requests; want 1, the list holding every payout", len(reqs))
	}
	checkListRequest(t, reqs[0], "/v1/payouts", account, "limit=100")
}

// TestPayoutSummaryOverflow sums payouts in flight near the ends of an
// int64: a total that fits is exact even when the sum passes an end on
// the way; one that does not fails the call rather than wrap.
func TestPayoutSummaryOverflow(t *testing.T) {
	const maxInt64, minInt64 = 1<<63 - 1, -1 << 63
	for _, tc := range []struct {
		name    string
		amounts []int64
		// want is the total, when it fits.
		want int64
		fits bool
	}{
		{"at the largest", []int64{maxInt64 - 1, 1}, maxInt64, true},
		{"past the largest and back", []int64{maxInt64, 1, -2}, maxInt64 - 1, true},
		{"at the smallest", []int64{minInt64 + 1, -1}, minInt64, true},
		{"past the largest", []int64{maxInt64, 1}, 0, false},
		{"past the smallest", []int64{minInt64, -1}, 0, false},
		{"far past the largest", []int64{maxInt64, maxInt64, maxInt64}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := stripetest.New(t)
			for i, amount := range tc.amounts {
				fake.AddPayouts("", stripetest.Payout{ID: fmt.Sprintf("po_1Big%d", i), Created: int64(100 + i), Amount: amount, Currency: "usd", Status: "pending", ArrivalDate: 500})
			}
			c := newTestClient(t, fake.URL, 0, nil)
			got, err := c.PayoutSummary(testContext(t), "")
			if !tc.fits {
				e := asError(t, err)
				if !errors.Is(err, ErrOverflow) || e.Endpoint != EndpointPayouts || !strings.Contains(err.Error(), "pending payouts in flight in usd") {
					t.Errorf("error %q (%+v); want ErrOverflow for the pending usd payouts", err, e)
				}
				if got != nil {
					t.Errorf("summary %+v with the error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("PayoutSummary: %v", err)
			}
			want := []PayoutsInFlight{{Currency: "usd", Status: "pending", Amount: tc.want, Count: len(tc.amounts), EarliestArrival: 500}}
			if !reflect.DeepEqual(got.InFlight, want) {
				t.Errorf("in flight %+v; want %+v", got.InFlight, want)
			}
		})
	}
}

// addPaid adds n paid payouts of account created from created on, a second
// apart.
func addPaid(fake *stripetest.Server, account string, n int, created int64) {
	for i := range n {
		fake.AddPayouts(account, stripetest.Payout{ID: fmt.Sprintf("po_1Paid%03d", i), Created: created + int64(i), Amount: 10, Currency: "usd", Status: "paid", ArrivalDate: created + int64(i) + 86400})
	}
}

func TestPayoutSummaryBeyondOnePage(t *testing.T) {
	failed := stripetest.Payout{ID: "po_1Failed", Created: 1000, Amount: 5, Currency: "usd", Status: "failed", ArrivalDate: 1100, FailureCode: "could_not_process"}
	for _, tc := range []struct {
		name        string
		setup       func(*stripetest.Server)
		queries     []string
		listedSince int64
		inFlight    []PayoutsInFlight
		lastPaid    string
		lastFailed  string
	}{
		{
			// An old payout still in transit is beyond the page: ListedSince
			// says how far back the page reached.
			name: "newest paid on the page",
			setup: func(f *stripetest.Server) {
				f.AddPayouts("acct_1Connected", failed, stripetest.Payout{ID: "po_1OldTransit", Created: 1001, Amount: 7, Currency: "usd", Status: "in_transit", ArrivalDate: 1200})
				addPaid(f, "acct_1Connected", 120, 2000)
				f.AddPayouts("acct_1Connected", stripetest.Payout{ID: "po_1Pending", Created: 3000, Amount: 900, Currency: "usd", Status: "pending", ArrivalDate: 3100})
			},
			queries:     []string{"limit=100", "limit=1&status=failed"},
			listedSince: 2000 + 120 - 99,
			inFlight:    []PayoutsInFlight{{Currency: "usd", Status: "pending", Amount: 900, Count: 1, EarliestArrival: 3100}},
			lastPaid:    "po_1Paid119",
			lastFailed:  "po_1Failed",
		},
		{
			name: "neither on the page",
			setup: func(f *stripetest.Server) {
				addPaid(f, "acct_1Connected", 1, 500)
				f.AddPayouts("acct_1Connected", failed)
				for i := range 101 {
					f.AddPayouts("acct_1Connected", stripetest.Payout{ID: fmt.Sprintf("po_1Transit%03d", i), Created: 2000 + int64(i), Amount: 1, Currency: "gbp", Status: "in_transit", ArrivalDate: 5000 - int64(i)})
				}
			},
			queries:     []string{"limit=100", "limit=1&status=paid", "limit=1&status=failed"},
			listedSince: 2001,
			inFlight:    []PayoutsInFlight{{Currency: "gbp", Status: "in_transit", Amount: 100, Count: 100, EarliestArrival: 5000 - 100}},
			lastPaid:    "po_1Paid000",
			lastFailed:  "po_1Failed",
		},
		{
			name: "both on the page",
			setup: func(f *stripetest.Server) {
				addPaid(f, "acct_1Connected", 150, 500)
				f.AddPayouts("acct_1Connected", stripetest.Payout{ID: "po_1Failed", Created: 600, Amount: 5, Currency: "usd", Status: "failed", ArrivalDate: 700, FailureCode: "insufficient_funds"})
			},
			queries:     []string{"limit=100"},
			listedSince: 500 + 149 - 98,
			lastPaid:    "po_1Paid149",
			lastFailed:  "po_1Failed",
		},
		{
			name:        "never failed",
			setup:       func(f *stripetest.Server) { addPaid(f, "acct_1Connected", 101, 500) },
			queries:     []string{"limit=100", "limit=1&status=failed"},
			listedSince: 501,
			lastPaid:    "po_1Paid100",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := stripetest.New(t)
			tc.setup(fake)
			c := newTestClient(t, fake.URL, 0, nil)
			got, err := c.PayoutSummary(testContext(t), "acct_1Connected")
			if err != nil {
				t.Fatalf("PayoutSummary: %v", err)
			}
			if got.ListedSince != tc.listedSince || !reflect.DeepEqual(got.InFlight, tc.inFlight) {
				t.Errorf("ListedSince %d, InFlight %+v; want %d, %+v", got.ListedSince, got.InFlight, tc.listedSince, tc.inFlight)
			}
			if id := payoutID(got.LastPaid); id != tc.lastPaid {
				t.Errorf("LastPaid = %s; want %q", id, tc.lastPaid)
			}
			if id := payoutID(got.LastFailed); id != tc.lastFailed {
				t.Errorf("LastFailed = %s; want %q", id, tc.lastFailed)
			}
			if tc.lastFailed != "" && got.LastFailed.FailureCode == "" {
				t.Errorf("LastFailed %+v has no failure code", got.LastFailed)
			}
			reqs := fake.Requests()
			if len(reqs) != len(tc.queries) {
				t.Fatalf("fake got %d requests; want %d", len(reqs), len(tc.queries))
			}
			for i, q := range tc.queries {
				checkListRequest(t, reqs[i], "/v1/payouts", "acct_1Connected", q)
			}
		})
	}
}

func payoutID(p *Payout) string {
	if p == nil {
		return ""
	}
	return p.ID
}

// TestPayoutSummaryFailsWithAnyCall: a summary is whole or an error.
func TestPayoutSummaryFailsWithAnyCall(t *testing.T) {
	fake := stripetest.New(t)
	route := stripetest.PayoutsRoute("")
	fake.Script(route,
		stripetest.Response{Status: 200, Body: `{"object": "list", "url": "/v1/payouts", "has_more": true, "data": [{"object": "payout", "id": "po_1", "status": "paid", "created": 5}]}`},
		stripetest.Response{Status: 500, Body: stripetest.ErrorBody("api_error", "", "boom")},
	)
	c := newTestClient(t, fake.URL, 0, nil)
	s, err := c.PayoutSummary(testContext(t), "")
	if e := asError(t, err); e.Status != 500 || e.Endpoint != EndpointPayouts {
		t.Errorf("PayoutSummary = %+v, %v; want the failed call's 500", s, err)
	}
	if s != nil {
		t.Errorf("PayoutSummary returned %+v with its error", s)
	}
	if n := fake.Calls(route); n != 2 {
		t.Errorf("fake got %d calls; want 2", n)
	}
}

// TestConnectedAccountsListThatIsNotOneFails: an answer to the accounts
// list that is not one fails the listing; a null entry used to panic in
// the SDK and take the exporter down with it.
func TestConnectedAccountsListThatIsNotOneFails(t *testing.T) {
	bodies := map[string]string{
		`{"object": "list", "data": [{"object": "account", "id": "acct_1"}, "acct_2"]}`: "entry 1 of the list: the answer is not an account object",
	}
	for body, want := range notAListBodies {
		bodies[body] = want
	}
	for body, want := range bodies {
		fake := stripetest.New(t)
		fake.SetAccounts("acct_1Good")
		fake.Script(stripetest.AccountsRoute, stripetest.Response{Status: 200, Body: body})
		c := newTestClient(t, fake.URL, 2, nil)
		accounts, err := c.ConnectedAccounts(testContext(t))
		if err == nil {
			t.Errorf("%s: accounts %+v; want an error", body, accounts)
			continue
		}
		if e := asError(t, err); e.Status != 200 || e.Endpoint != EndpointAccounts || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want a 200 that says %q", body, err, want)
		}
		if n := fake.Calls(stripetest.AccountsRoute); n != 1 {
			t.Errorf("%s: fake got %d calls; want 1", body, n)
		}
	}
	// Every page is asked for, each after the last account of the one before.
	fake := stripetest.New(t)
	var ids []string
	for i := range 250 {
		ids = append(ids, fmt.Sprintf("acct_1Many%03d", i))
	}
	fake.SetAccounts(ids...)
	c := newTestClient(t, fake.URL, 0, nil)
	accounts, err := c.ConnectedAccounts(testContext(t))
	if err != nil || len(accounts) != 250 || accounts[249].ID != "acct_1Many249" {
		t.Fatalf("ConnectedAccounts of 250: %d accounts, %v", len(accounts), err)
	}
	reqs := fake.Requests()
	if len(reqs) != 3 {
		t.Fatalf("fake got %d requests; want 3 pages", len(reqs))
	}
	checkListRequest(t, reqs[2], "/v1/accounts", "", "limit=100&starting_after=acct_1Many199")

	// A deleted account in a list is left out, as before.
	fake = stripetest.New(t)
	fake.Script(stripetest.AccountsRoute, stripetest.Response{Status: 200, Body: `{"object": "list", "data": [{"object": "account", "id": "acct_1Gone", "deleted": true}, {"object": "account", "id": "acct_1Here"}]}`})
	c = newTestClient(t, fake.URL, 0, nil)
	if accounts, err := c.ConnectedAccounts(testContext(t)); err != nil || len(accounts) != 1 || accounts[0].ID != "acct_1Here" {
		t.Errorf("ConnectedAccounts = %+v, %v; want acct_1Here alone", accounts, err)
	}
}
