// Package stripetest is a fake Stripe API for tests: scripted balances and
// balance transactions per account, lists of balance transactions and
// payouts per account, and scripted faults.
package stripetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Key is the API key the fake accepts unless Server.Key is changed.
const Key = "rk_test_51FakeRestrictedKeyForTests"

// Response is one scripted answer.
type Response struct {
	Status int
	Body   string
	Header http.Header
	// Delay holds the answer back; the fake gives up early if the client
	// goes away, so a long delay stands for a stalled Stripe.
	Delay time.Duration
}

// Request is what the fake recorded of one request.
type Request struct {
	Method        string
	Path          string
	RawQuery      string
	Account       string // the Stripe-Account header
	Authorization string
	StripeVersion string
	Time          time.Time // when it arrived
}

// Server is a fake Stripe API listening on 127.0.0.1.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	key      string
	bodies   map[string]string
	scripts  map[string][]Response
	calls    map[string]int
	requests []Request
	serial   int
	inFlight int
	peak     int
	accounts []string
	delay    time.Duration
	arrivals []time.Time
	// lists holds the listed objects of each list route; added counts the
	// objects added, to order those created in the same second.
	lists map[string][]listed
	added int
}

// New starts a fake that serves nothing until told to, and stops it when
// the test ends.
func New(t testing.TB) *Server {
	s := &Server{
		key:     Key,
		bodies:  map[string]string{},
		scripts: map[string][]Response{},
		calls:   map[string]int{},
		lists:   map[string][]listed{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// BalanceRoute names the balance of account ("" for the key's own) in
// Script and Calls.
func BalanceRoute(account string) string { return account + "/v1/balance" }

// TransactionRoute names one balance transaction of account in Script and
// Calls.
func TransactionRoute(account, id string) string {
	return account + "/v1/balance_transactions/" + id
}

// SetAccounts makes ids the platform's connected accounts, listed in this
// order by GET /v1/accounts.
func (s *Server) SetAccounts(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts = append([]string(nil), ids...)
}

// SetDelay holds back every answer that is not scripted by d, as a slow
// Stripe would.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// PeakPerSecond is the most requests that arrived within any one second.
func (s *Server) PeakPerSecond() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	peak, first := 0, 0
	for last, t := range s.arrivals {
		for t.Sub(s.arrivals[first]) >= time.Second {
			first++
		}
		peak = max(peak, last-first+1)
	}
	return peak
}

// AccountsRoute names the list of connected accounts in Script and Calls.
const AccountsRoute = "/v1/accounts"

// SetKey changes the API key the fake accepts.
func (s *Server) SetKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key = key
}

// SetBalance makes body the balance of account.
func (s *Server) SetBalance(account, body string) {
	s.set(BalanceRoute(account), body)
}

// SetTransaction makes body the balance transaction id of account.
func (s *Server) SetTransaction(account, id, body string) {
	s.set(TransactionRoute(account, id), body)
}

func (s *Server) set(route, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bodies[route] = body
}

// Script queues answers for route, given in order before the route falls
// back to the body set for it.
func (s *Server) Script(route string, rs ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[route] = append(s.scripts[route], rs...)
}

// Calls is how many requests route has received.
func (s *Server) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

// PeakInFlight is the most requests the fake has been answering at once.
func (s *Server) PeakInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// Requests returns every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	account := r.Header.Get("Stripe-Account")
	route := account + r.URL.Path

	s.mu.Lock()
	s.inFlight++
	s.peak = max(s.peak, s.inFlight)
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	s.serial++
	now := time.Now()
	s.arrivals = append(s.arrivals, now)
	s.calls[route]++
	s.requests = append(s.requests, Request{
		Method:        r.Method,
		Path:          r.URL.Path,
		RawQuery:      r.URL.RawQuery,
		Account:       account,
		Authorization: r.Header.Get("Authorization"),
		StripeVersion: r.Header.Get("Stripe-Version"),
		Time:          now,
	})
	resp, scripted := s.next(route)
	authorized := r.Header.Get("Authorization") == "Bearer "+s.key
	delay := s.delay
	body, known := s.bodies[route]
	listStatus := http.StatusOK
	switch {
	case known:
	case route == AccountsRoute:
		body, known = s.accountsPage(r.URL.Query()), true
	case r.URL.Path == balanceTransactionsPath || r.URL.Path == payoutsPath:
		listStatus, body = s.listPage(route, r.URL.Path, r.URL.Query())
		known = true
	}
	w.Header().Set("Request-Id", fmt.Sprintf("req_fake%d", s.serial))
	s.mu.Unlock()

	switch {
	case scripted:
	case !authorized:
		resp = Response{Status: http.StatusUnauthorized, Body: UnauthorizedBody}
	case r.Method != http.MethodGet:
		resp = Response{Status: http.StatusMethodNotAllowed, Body: ErrorBody("invalid_request_error", "", "Unrecognized request URL ("+r.Method+": "+r.URL.Path+").")}
	case known:
		resp = Response{Status: listStatus, Body: body, Delay: delay}
	default:
		resp = Response{Status: http.StatusNotFound, Body: notFoundBody(r.URL.Path)}
	}

	if resp.Delay > 0 {
		select {
		case <-time.After(resp.Delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json")
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(resp.Body))
}

// accountsPage answers one page of GET /v1/accounts as Stripe does: at most
// limit accounts (10 by default) after starting_after, and has_more.
func (s *Server) accountsPage(q url.Values) string {
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit < 1 || limit > 100 {
		limit = 10
	}
	start := 0
	if after := q.Get("starting_after"); after != "" {
		start = slices.Index(s.accounts, after) + 1
	}
	end := min(start+limit, len(s.accounts))
	type account struct {
		ID             string `json:"id"`
		Object         string `json:"object"`
		Type           string `json:"type"`
		Country        string `json:"country"`
		ChargesEnabled bool   `json:"charges_enabled"`
		PayoutsEnabled bool   `json:"payouts_enabled"`
	}
	page := struct {
		Object  string    `json:"object"`
		URL     string    `json:"url"`
		HasMore bool      `json:"has_more"`
		Data    []account `json:"data"`
	}{Object: "list", URL: "/v1/accounts", HasMore: end < len(s.accounts), Data: []account{}}
	for _, id := range s.accounts[start:end] {
		page.Data = append(page.Data, account{ID: id, Object: "account", Type: "express", Country: "US", ChargesEnabled: true, PayoutsEnabled: true})
	}
	b, _ := json.Marshal(page)
	return string(b)
}

func (s *Server) next(route string) (Response, bool) {
	q := s.scripts[route]
	if len(q) == 0 {
		return Response{}, false
	}
	s.scripts[route] = q[1:]
	return q[0], true
}

func notFoundBody(path string) string {
	if id, ok := strings.CutPrefix(path, "/v1/balance_transactions/"); ok {
		return ErrorBody("invalid_request_error", "resource_missing", "No such balance transaction: '"+id+"'")
	}
	return ErrorBody("invalid_request_error", "", "Unrecognized request URL (GET: "+path+").")
}

// ErrorBody is a Stripe error body of the given type, code and message.
func ErrorBody(typ, code, message string) string {
	e := map[string]string{"type": typ, "message": message}
	if code != "" {
		e["code"] = code
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return string(b)
}
