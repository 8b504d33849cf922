package stripetest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func call(t *testing.T, s *Server, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// The scale test's rate check is only as good as this count.
func TestPeakPerSecond(t *testing.T) {
	s := New(t)
	s.SetBalance("", Balance)
	for range 5 {
		call(t, s, "/v1/balance")
	}
	time.Sleep(1100 * time.Millisecond)
	for range 3 {
		call(t, s, "/v1/balance")
	}
	if got := s.PeakPerSecond(); got != 5 {
		t.Errorf("PeakPerSecond = %d after 5 quick calls, a pause of over a second and 3 more; want 5", got)
	}
}

func TestSetDelayHoldsAnswers(t *testing.T) {
	s := New(t)
	s.SetBalance("", Balance)
	s.SetDelay(200 * time.Millisecond)
	start := time.Now()
	if resp := call(t, s, "/v1/balance"); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("answer came after %v, want at least the 200ms delay", took)
	}
}

// get answers a GET of path as account ("" for the key's own), with the
// body.
func get(t *testing.T, s *Server, account, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+Key)
	if account != "" {
		req.Header.Set("Stripe-Account", account)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// listIDs gets a list page and returns the IDs it holds and has_more,
// failing the test unless it is a 200 list.
func listIDs(t *testing.T, s *Server, account, path string) ([]string, bool) {
	t.Helper()
	status, body := get(t, s, account, path)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	var page struct {
		Object  string `json:"object"`
		HasMore bool   `json:"has_more"`
		Data    []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil || page.Object != "list" || page.Data == nil {
		t.Fatalf("GET %s: %s is not a list (%v)", path, body, err)
	}
	ids := []string{}
	for _, d := range page.Data {
		ids = append(ids, d.ID)
	}
	return ids, page.HasMore
}

func checkList(t *testing.T, s *Server, account, path string, want []string, wantMore bool) {
	t.Helper()
	ids, more := listIDs(t, s, account, path)
	if !slices.Equal(ids, want) || more != wantMore {
		t.Errorf("GET %s lists %v, has_more %v; want %v, %v", path, ids, more, want, wantMore)
	}
}

// fourTransactions are created at 100, 300, 200 and 300 (in that order of
// adding): listed newest first, the later added first among equals.
func fourTransactions(s *Server, account string) {
	for _, t := range []struct {
		id      string
		created int64
	}{{"txn_A", 100}, {"txn_B", 300}, {"txn_C", 200}, {"txn_D", 300}} {
		s.AddTransactions(account, Transaction{ID: t.id, Created: t.created, Currency: "usd", Amount: 100, Status: "available", Type: "charge", ReportingCategory: "charge"})
	}
}

func TestTransactionListOrderAndPaging(t *testing.T) {
	s := New(t)
	fourTransactions(s, "")
	checkList(t, s, "", "/v1/balance_transactions", []string{"txn_D", "txn_B", "txn_C", "txn_A"}, false)
	checkList(t, s, "", "/v1/balance_transactions?limit=2", []string{"txn_D", "txn_B"}, true)
	checkList(t, s, "", "/v1/balance_transactions?limit=2&starting_after=txn_B", []string{"txn_C", "txn_A"}, false)
	checkList(t, s, "", "/v1/balance_transactions?limit=3&starting_after=txn_D", []string{"txn_B", "txn_C", "txn_A"}, false)
	checkList(t, s, "", "/v1/balance_transactions?starting_after=txn_A", []string{}, false)
	// Stripe's default page is 10.
	for i := range 12 {
		s.AddTransactions("", Transaction{ID: fmt.Sprintf("txn_Many%02d", i), Created: 50})
	}
	if ids, more := listIDs(t, s, "", "/v1/balance_transactions"); len(ids) != 10 || !more {
		t.Errorf("a list of 16 without limit gave %d, has_more %v; want 10, true", len(ids), more)
	}
}

func TestTransactionListCreatedBounds(t *testing.T) {
	s := New(t)
	fourTransactions(s, "")
	for query, want := range map[string][]string{
		"created[gte]=200":                 {"txn_D", "txn_B", "txn_C"},
		"created[gt]=200":                  {"txn_D", "txn_B"},
		"created[lte]=200":                 {"txn_C", "txn_A"},
		"created[lt]=200":                  {"txn_A"},
		"created[gte]=200&created[lt]=300": {"txn_C"},
		"created%5Bgte%5D=300":             {"txn_D", "txn_B"},
		"created[gt]=300":                  {},
		// The cursor is a place in the whole list; the bounds then apply.
		"created[gte]=200&starting_after=txn_D&limit=1": {"txn_B"},
	} {
		more := query == "created[gte]=200&starting_after=txn_D&limit=1"
		checkList(t, s, "", "/v1/balance_transactions?"+query, want, more)
	}
}

// TestTransactionListLateAndReplaced: a transaction added late with an older
// created time lands at its place by time; one added again with the same ID
// is updated where it stands.
func TestTransactionListLateAndReplaced(t *testing.T) {
	s := New(t)
	fourTransactions(s, "")
	checkList(t, s, "", "/v1/balance_transactions?limit=2", []string{"txn_D", "txn_B"}, true)
	s.AddTransactions("", Transaction{ID: "txn_Late", Created: 250, Currency: "usd", Amount: 7, Status: "pending"})
	checkList(t, s, "", "/v1/balance_transactions?limit=2&starting_after=txn_B", []string{"txn_Late", "txn_C"}, true)
	checkList(t, s, "", "/v1/balance_transactions?created[gte]=300", []string{"txn_D", "txn_B"}, false)

	s.AddTransactions("", Transaction{ID: "txn_B", Created: 300, Currency: "usd", Amount: 100, Status: "pending", Type: "charge"})
	checkList(t, s, "", "/v1/balance_transactions", []string{"txn_D", "txn_B", "txn_Late", "txn_C", "txn_A"}, false)
	_, body := get(t, s, "", "/v1/balance_transactions?limit=1&starting_after=txn_D")
	if !strings.Contains(body, `"status":"pending"`) {
		t.Errorf("replaced transaction: %s; want its new status", body)
	}
}

func TestTransactionListBody(t *testing.T) {
	s := New(t)
	s.AddTransactions("acct_1Listed", Transaction{
		ID: "txn_1Body", Created: 1735084800, Currency: "kwd", Amount: 10500, Fee: 320,
		FeeDetails: []Fee{{Amount: 300, Currency: "kwd", Type: "stripe_fee"}, {Amount: 20, Currency: "kwd", Type: "tax"}},
		Status:     "pending", Type: "charge", ReportingCategory: "charge", AvailableOn: 1735689600,
	})
	status, body := get(t, s, "acct_1Listed", "/v1/balance_transactions")
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Data) != 1 {
		t.Fatalf("body %s: %v", body, err)
	}
	if !IsObject(page.Data[0], "balance_transaction") {
		t.Errorf("%s is not a balance_transaction", page.Data[0])
	}
	var got RefTransaction
	if err := json.Unmarshal(page.Data[0], &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != "txn_1Body" || got.Created != 1735084800 || got.Net != 10180 || got.Fee != 320 ||
		got.AvailableOn != 1735689600 || len(got.FeeDetails) != 2 || got.FeeDetails[1].Type != "tax" {
		t.Errorf("transaction = %+v", got)
	}
	// Another account's list is its own.
	checkList(t, s, "", "/v1/balance_transactions", []string{}, false)
	checkList(t, s, "acct_1Other", "/v1/balance_transactions", []string{}, false)
}

func TestListBadRequests(t *testing.T) {
	s := New(t)
	fourTransactions(s, "")
	for _, path := range []string{
		"/v1/balance_transactions?limit=0",
		"/v1/balance_transactions?limit=101",
		"/v1/balance_transactions?limit=ten",
		"/v1/balance_transactions?created[gte]=yesterday",
		"/v1/balance_transactions?starting_after=txn_Unknown",
		"/v1/balance_transactions?ending_before=txn_A",
		"/v1/balance_transactions?status=available",
		"/v1/payouts?starting_after=po_Unknown",
		"/v1/payouts?arrival_date[gte]=1",
	} {
		if status, body := get(t, s, "", path); status != http.StatusBadRequest || !strings.Contains(body, "invalid_request_error") {
			t.Errorf("GET %s: %d %s; want a 400 invalid_request_error", path, status, body)
		}
	}
}

func TestPayoutListStatusFilter(t *testing.T) {
	s := New(t)
	const account = "acct_1Payouts"
	s.AddPayouts(account,
		Payout{ID: "po_Paid", Created: 100, Amount: 1000, Currency: "usd", Status: "paid", ArrivalDate: 200, Automatic: true},
		Payout{ID: "po_Failed", Created: 200, Amount: 500, Currency: "eur", Status: "failed", ArrivalDate: 300, FailureCode: "account_closed", FailureMessage: "The bank account has been closed."},
		Payout{ID: "po_Transit", Created: 300, Amount: 700, Currency: "usd", Status: "in_transit", ArrivalDate: 400},
		Payout{ID: "po_Pending", Created: 400, Amount: 900, Currency: "usd", Status: "pending", ArrivalDate: 500},
	)
	checkList(t, s, account, "/v1/payouts", []string{"po_Pending", "po_Transit", "po_Failed", "po_Paid"}, false)
	checkList(t, s, account, "/v1/payouts?status=paid&limit=1", []string{"po_Paid"}, false)
	checkList(t, s, account, "/v1/payouts?status=failed", []string{"po_Failed"}, false)
	checkList(t, s, account, "/v1/payouts?status=pending", []string{"po_Pending"}, false)
	checkList(t, s, account, "/v1/payouts?status=canceled", []string{}, false)
	// Not a status the list filters on: ignored, as Stripe was seen to.
	checkList(t, s, account, "/v1/payouts?status=in_transit&limit=2", []string{"po_Pending", "po_Transit"}, true)
	checkList(t, s, "", "/v1/payouts", []string{}, false)

	// A payout added again is updated in place.
	s.AddPayouts(account, Payout{ID: "po_Transit", Created: 300, Amount: 700, Currency: "usd", Status: "paid", ArrivalDate: 400})
	checkList(t, s, account, "/v1/payouts?status=paid", []string{"po_Transit", "po_Paid"}, false)

	_, body := get(t, s, account, "/v1/payouts?status=failed")
	for _, want := range []string{`"object":"payout"`, `"failure_code":"account_closed"`, `"arrival_date":300`, `"created":200`, `"automatic":false`} {
		if !strings.Contains(body, want) {
			t.Errorf("failed payout %s lacks %s", body, want)
		}
	}
	if _, body := get(t, s, account, "/v1/payouts?status=paid&limit=1"); !strings.Contains(body, `"failure_code":null`) {
		t.Errorf("paid payout %s: want a null failure_code", body)
	}
}

// TestListRoutesCountedAndScripted: the list routes are counted per account
// and take scripted answers before the list.
func TestListRoutesCountedAndScripted(t *testing.T) {
	s := New(t)
	fourTransactions(s, "acct_1Counted")
	s.Script(PayoutsRoute("acct_1Counted"), Response{Status: http.StatusInternalServerError, Body: ErrorBody("api_error", "", "scripted")})
	for range 3 {
		listIDs(t, s, "acct_1Counted", "/v1/balance_transactions?limit=1")
	}
	if status, _ := get(t, s, "acct_1Counted", "/v1/payouts"); status != http.StatusInternalServerError {
		t.Errorf("scripted payouts answer: %d; want 500", status)
	}
	checkList(t, s, "acct_1Counted", "/v1/payouts", []string{}, false)
	for route, want := range map[string]int{
		BalanceTransactionsRoute("acct_1Counted"): 3,
		BalanceTransactionsRoute(""):              0,
		PayoutsRoute("acct_1Counted"):             2,
	} {
		if got := s.Calls(route); got != want {
			t.Errorf("Calls(%q) = %d; want %d", route, got, want)
		}
	}
}
