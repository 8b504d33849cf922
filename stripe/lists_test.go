package stripe

import (
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
	checkRedacted(t, err, true)
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
