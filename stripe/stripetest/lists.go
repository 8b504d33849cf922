package stripetest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// Transaction is a balance transaction the fake lists on
// GET /v1/balance_transactions. Its net is Amount less Fee.
type Transaction struct {
	ID                string
	Created           int64
	Currency          string
	Amount            int64
	Fee               int64
	FeeDetails        []Fee
	Status            string
	Type              string
	ReportingCategory string
	AvailableOn       int64
}

// Fee is one entry of a transaction's fee_details.
type Fee struct {
	Amount   int64
	Currency string
	Type     string
}

// Payout is a payout the fake lists on GET /v1/payouts.
type Payout struct {
	ID             string
	Created        int64
	Amount         int64
	Currency       string
	Status         string
	ArrivalDate    int64
	Automatic      bool
	FailureCode    string
	FailureMessage string
}

const (
	balanceTransactionsPath = "/v1/balance_transactions"
	payoutsPath             = "/v1/payouts"
)

// BalanceTransactionsRoute names the list of account's balance transactions
// in Script and Calls.
func BalanceTransactionsRoute(account string) string { return account + balanceTransactionsPath }

// PayoutsRoute names the list of account's payouts in Script and Calls.
func PayoutsRoute(account string) string { return account + payoutsPath }

// listed is one object of a list, kept encoded. seq is the order in which
// it was first added, which orders objects created in the same second.
type listed struct {
	id      string
	created int64
	status  string
	seq     int
	body    json.RawMessage
}

// newestFirst is the order of every list: by created time, newest first,
// and among objects created in the same second, the last added first.
// Stripe orders such ties in an order of its own that it does not document;
// tests should not count on more than "newest created first".
func newestFirst(a, b listed) int {
	return cmp.Or(cmp.Compare(b.created, a.created), cmp.Compare(b.seq, a.seq))
}

// AddTransactions adds txns to account's balance transactions. A
// transaction with the ID of one added before replaces it in place, as
// Stripe updates a pending transaction once its funds are available.
//
// The list is ordered by created time, not by when a transaction was added,
// so adding one later with an older Created stands for a transaction that
// Stripe makes visible some time after its created second: it appears
// behind transactions that a client may already have paged past.
func (s *Server) AddTransactions(account string, txns ...Transaction) {
	entries := make([]listed, 0, len(txns))
	for _, t := range txns {
		fees := make([]feeJSON, 0, len(t.FeeDetails))
		for _, f := range t.FeeDetails {
			fees = append(fees, feeJSON{Amount: f.Amount, Currency: f.Currency, Type: f.Type})
		}
		body, _ := json.Marshal(transactionJSON{
			ID: t.ID, Object: "balance_transaction", Amount: t.Amount, AvailableOn: t.AvailableOn,
			BalanceType: "payments", Created: t.Created, Currency: t.Currency, Fee: t.Fee, FeeDetails: fees,
			Net: t.Amount - t.Fee, ReportingCategory: t.ReportingCategory, Status: t.Status, Type: t.Type,
		})
		entries = append(entries, listed{id: t.ID, created: t.Created, status: t.Status, body: body})
	}
	s.addListed(BalanceTransactionsRoute(account), entries)
}

// AddPayouts adds payouts to account's payouts. A payout with the ID of one
// added before replaces it in place, as Stripe updates a payout's status.
func (s *Server) AddPayouts(account string, payouts ...Payout) {
	entries := make([]listed, 0, len(payouts))
	for _, p := range payouts {
		j := payoutJSON{
			ID: p.ID, Object: "payout", Amount: p.Amount, ArrivalDate: p.ArrivalDate, Automatic: p.Automatic,
			Created: p.Created, Currency: p.Currency, Metadata: map[string]string{}, Method: "standard",
			ReconciliationStatus: "not_applicable", SourceType: "card", Status: p.Status, Type: "bank_account",
		}
		if p.FailureCode != "" {
			j.FailureCode = &p.FailureCode
		}
		if p.FailureMessage != "" {
			j.FailureMessage = &p.FailureMessage
		}
		body, _ := json.Marshal(j)
		entries = append(entries, listed{id: p.ID, created: p.Created, status: p.Status, body: body})
	}
	s.addListed(PayoutsRoute(account), entries)
}

func (s *Server) addListed(route string, entries []listed) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lists[route]
	for _, e := range entries {
		if i := slices.IndexFunc(l, func(o listed) bool { return o.id == e.id }); i >= 0 {
			e.seq = l[i].seq
			l[i] = e
			continue
		}
		s.added++
		e.seq = s.added
		l = append(l, e)
	}
	slices.SortFunc(l, newestFirst)
	s.lists[route] = l
}

// payoutStatusFilters are the statuses GET /v1/payouts filters on, as its
// reference lists them. Any other status, in_transit among them, is ignored
// and every payout listed, as Stripe was reported to do
// (github.com/stripe/stripe-node/issues/1509).
var payoutStatusFilters = []string{"pending", "paid", "failed", "canceled"}

// listPage answers one page of the list at path for route's account, as
// Stripe does: newest first from the object after starting_after, within
// the created[gte], [gt], [lte] and [lt] bounds, and for payouts of the
// status asked for; at most limit (10 by default, 1 to 100) objects, and
// has_more. A parameter the fake does not know, a malformed value, or a
// starting_after it does not list is answered 400.
func (s *Server) listPage(route, path string, q url.Values) (int, string) {
	known := []string{"limit", "starting_after", "created[gte]", "created[gt]", "created[lte]", "created[lt]"}
	if path == payoutsPath {
		known = append(known, "status")
	}
	for k := range q {
		if !slices.Contains(known, k) {
			return badRequest("", fmt.Sprintf("Received unknown parameter: %s (or one the fake does not support)", k))
		}
	}
	limit := 10
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return badRequest("", fmt.Sprintf("Invalid limit %q: must be an integer from 1 to 100", v))
		}
		limit = n
	}
	bounds := map[string]int64{}
	for _, op := range []string{"gte", "gt", "lte", "lt"} {
		if v := q.Get("created[" + op + "]"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return badRequest("", fmt.Sprintf("Invalid integer: %s", v))
			}
			bounds[op] = n
		}
	}
	inBounds := func(created int64) bool {
		for op, n := range bounds {
			switch {
			case op == "gte" && created < n, op == "gt" && created <= n,
				op == "lte" && created > n, op == "lt" && created >= n:
				return false
			}
		}
		return true
	}
	status := q.Get("status")
	if !slices.Contains(payoutStatusFilters, status) {
		status = ""
	}

	l := s.lists[route]
	start := 0
	if after := q.Get("starting_after"); after != "" {
		i := slices.IndexFunc(l, func(o listed) bool { return o.id == after })
		if i < 0 {
			noun := map[string]string{balanceTransactionsPath: "balance transaction", payoutsPath: "payout"}[path]
			return badRequest("resource_missing", fmt.Sprintf("No such %s: '%s'", noun, after))
		}
		start = i + 1
	}
	page := struct {
		Object  string            `json:"object"`
		URL     string            `json:"url"`
		HasMore bool              `json:"has_more"`
		Data    []json.RawMessage `json:"data"`
	}{Object: "list", URL: path, Data: []json.RawMessage{}}
	for _, e := range l[start:] {
		if !inBounds(e.created) || (status != "" && e.status != status) {
			continue
		}
		if len(page.Data) == limit {
			page.HasMore = true
			break
		}
		page.Data = append(page.Data, e.body)
	}
	b, _ := json.Marshal(page)
	return http.StatusOK, string(b)
}

func badRequest(code, message string) (int, string) {
	return http.StatusBadRequest, ErrorBody("invalid_request_error", code, message)
}

// transactionJSON and payoutJSON are the objects as Stripe sends them,
// with the fields the fake does not model set as Stripe often has them.
type transactionJSON struct {
	ID                string    `json:"id"`
	Object            string    `json:"object"`
	Amount            int64     `json:"amount"`
	AvailableOn       int64     `json:"available_on"`
	BalanceType       string    `json:"balance_type"`
	Created           int64     `json:"created"`
	Currency          string    `json:"currency"`
	Description       *string   `json:"description"`
	ExchangeRate      *float64  `json:"exchange_rate"`
	Fee               int64     `json:"fee"`
	FeeDetails        []feeJSON `json:"fee_details"`
	Net               int64     `json:"net"`
	ReportingCategory string    `json:"reporting_category"`
	Source            *string   `json:"source"`
	Status            string    `json:"status"`
	Type              string    `json:"type"`
}

type feeJSON struct {
	Amount      int64   `json:"amount"`
	Application *string `json:"application"`
	Currency    string  `json:"currency"`
	Description *string `json:"description"`
	Type        string  `json:"type"`
}

type payoutJSON struct {
	ID                   string            `json:"id"`
	Object               string            `json:"object"`
	Amount               int64             `json:"amount"`
	ArrivalDate          int64             `json:"arrival_date"`
	Automatic            bool              `json:"automatic"`
	BalanceTransaction   *string           `json:"balance_transaction"`
	Created              int64             `json:"created"`
	Currency             string            `json:"currency"`
	Description          *string           `json:"description"`
	Destination          *string           `json:"destination"`
	FailureCode          *string           `json:"failure_code"`
	FailureMessage       *string           `json:"failure_message"`
	Livemode             bool              `json:"livemode"`
	Metadata             map[string]string `json:"metadata"`
	Method               string            `json:"method"`
	ReconciliationStatus string            `json:"reconciliation_status"`
	SourceType           string            `json:"source_type"`
	Status               string            `json:"status"`
	Type                 string            `json:"type"`
}
