package discovery

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/stripe-exporter/stripe_exporter/stripe"
	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

func newDiscovery(t *testing.T, fake *stripetest.Server) *Discovery {
	t.Helper()
	api, err := stripe.New(stripe.Config{Key: stripetest.Key, URL: fake.URL, RateLimit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return New(api, time.Hour, 10*time.Second, log.NewNopLogger(), prometheus.NewRegistry())
}

// served asks d for its list as Prometheus would, and returns the status
// and the accounts listed.
func served(t *testing.T, d *Discovery) (int, []string) {
	t.Helper()
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/discovery", nil))
	if rec.Code != http.StatusOK {
		return rec.Code, nil
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var groups []Group
	if err := json.Unmarshal(rec.Body.Bytes(), &groups); err != nil {
		t.Fatalf("answer is not HTTP SD JSON: %v\n%s", err, rec.Body)
	}
	var ids []string
	for _, g := range groups {
		if len(g.Targets) != 1 || g.Labels["__meta_stripe_account_type"] == "" {
			t.Errorf("group %+v: want one target with its meta labels", g)
		}
		ids = append(ids, g.Targets...)
	}
	return rec.Code, ids
}

func TestListsEveryPage(t *testing.T) {
	fake := stripetest.New(t)
	ids := make([]string, 250)
	for i := range ids {
		ids[i] = "acct_1Page" + string(rune('a'+i/26)) + string(rune('a'+i%26))
	}
	fake.SetAccounts(ids...)
	d := newDiscovery(t, fake)
	d.Refresh(context.Background())

	code, got := served(t, d)
	if code != http.StatusOK || !slices.Equal(got, ids) {
		t.Errorf("served %d with %d accounts, want 200 with all %d in order", code, len(got), len(ids))
	}
	if n := fake.Calls(stripetest.AccountsRoute); n != 3 {
		t.Errorf("listing 250 accounts took %d calls, want 3 pages of at most 100", n)
	}
	if v := testutil.ToFloat64(d.accounts); v != 250 {
		t.Errorf("stripe_discovery_accounts = %v, want 250", v)
	}
	if v := testutil.ToFloat64(d.lastSuccess); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("stripe_discovery_last_success_timestamp_seconds = %v, want about now", v)
	}
}

func TestListChangesBetweenRefreshes(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetAccounts("acct_1Old", "acct_1Stays")
	d := newDiscovery(t, fake)
	d.Refresh(context.Background())
	if _, got := served(t, d); !slices.Equal(got, []string{"acct_1Old", "acct_1Stays"}) {
		t.Fatalf("first list %v", got)
	}
	checkHas(t, d, map[string]bool{"acct_1Old": true, "acct_1Stays": true, "acct_1New": false})
	fake.SetAccounts("acct_1Stays", "acct_1New")
	d.Refresh(context.Background())
	if _, got := served(t, d); !slices.Equal(got, []string{"acct_1Stays", "acct_1New"}) {
		t.Errorf("after the platform changed, served %v, want [acct_1Stays acct_1New]", got)
	}
	checkHas(t, d, map[string]bool{"acct_1Old": false, "acct_1Stays": true, "acct_1New": true})
}

// checkHas checks that d has the accounts of want that are true, and not
// the others, in a listing it has made.
func checkHas(t *testing.T, d *Discovery, want map[string]bool) {
	t.Helper()
	for account, w := range want {
		if found, listed := d.Has(account); found != w || !listed {
			t.Errorf("Has(%s) = %v, %v; want %v, true", account, found, listed, w)
		}
	}
}

func TestServesLastGoodListWhenStripeFails(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetAccounts("acct_1Kept")
	d := newDiscovery(t, fake)

	fake.Script(stripetest.AccountsRoute, stripetest.Response{Status: http.StatusUnauthorized, Body: stripetest.UnauthorizedBody})
	d.Refresh(context.Background())
	if code, _ := served(t, d); code != http.StatusServiceUnavailable {
		t.Errorf("before any good listing: %d, want 503", code)
	}
	if found, listed := d.Has("acct_1Kept"); found || listed {
		t.Errorf("before any good listing, Has = %v, %v; want false, false", found, listed)
	}

	d.Refresh(context.Background())
	fake.SetAccounts("acct_1Kept", "acct_1Unseen")
	fake.Script(stripetest.AccountsRoute, stripetest.Response{Status: http.StatusBadRequest, Body: stripetest.BadRequestBody})
	d.Refresh(context.Background())
	if code, got := served(t, d); code != http.StatusOK || !slices.Equal(got, []string{"acct_1Kept"}) {
		t.Errorf("after a failed refresh: %d %v, want 200 with the last good list", code, got)
	}
	checkHas(t, d, map[string]bool{"acct_1Kept": true, "acct_1Unseen": false})
	if v := testutil.ToFloat64(d.failures); v != 2 {
		t.Errorf("stripe_discovery_failures_total = %v, want 2", v)
	}
}

func TestRunRefreshesUntilCancelled(t *testing.T) {
	fake := stripetest.New(t)
	fake.SetAccounts("acct_1Run")
	api, err := stripe.New(stripe.Config{Key: stripetest.Key, URL: fake.URL, RateLimit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	d := New(api, 20*time.Millisecond, time.Second, log.NewNopLogger(), prometheus.NewRegistry())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		d.Run(ctx)
		close(done)
	}()
	for deadline := time.Now().Add(10 * time.Second); fake.Calls(stripetest.AccountsRoute) < 3; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Run did not refresh three times in 10s")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
}
