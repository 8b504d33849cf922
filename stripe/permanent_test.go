package stripe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe-exporter/stripe_exporter/stripe/stripetest"
)

// countedServer is an HTTP server on 127.0.0.1 that counts the
// connections it accepts, which a failed TLS handshake never gets past.
type countedServer struct {
	*httptest.Server
	conns atomic.Int64
}

// newCountedServer starts a server of the fake Stripe's answers, over TLS
// with cert (httptest's own when nil) if tlsOn, and stops it when the test
// ends.
func newCountedServer(t *testing.T, tlsOn bool, cert *tls.Certificate) *countedServer {
	t.Helper()
	fake := stripetest.New(t)
	fake.SetBalance("", stripetest.Balance)
	s := &countedServer{Server: httptest.NewUnstartedServer(fake.Config.Handler)}
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.conns.Add(1)
		}
	}
	switch {
	case !tlsOn:
		s.Start()
	case cert != nil:
		s.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
		s.StartTLS()
	default:
		s.StartTLS()
	}
	t.Cleanup(s.Close)
	return s
}

// trustingTransport trusts roots, and dials addr whatever the URL's host.
func trustingTransport(roots *x509.CertPool, addr string) *http.Transport {
	return &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
}

// TestPermanentFailuresNotRetried points the client, which may retry
// twice, at servers it can never get an answer from within a scrape: an
// untrusted, a wrong-name and an expired certificate, a plain-HTTP server
// spoken to in HTTPS and a TLS server in plain HTTP, and a host name that
// does not exist. Each fails at its first attempt, with no back-off, and
// the error says what to check.
func TestPermanentFailuresNotRetried(t *testing.T) {
	for _, tc := range []struct {
		name string
		// setup returns the API URL, the transport (nil: the default)
		// and, where there is a server, how many connections it got.
		setup func(t *testing.T) (url string, transport http.RoundTripper, conns func() int)
		want  []string
	}{
		{
			name: "certificate of an unknown authority",
			setup: func(t *testing.T) (string, http.RoundTripper, func() int) {
				s := newCountedServer(t, true, nil)
				return s.URL, nil, func() int { return int(s.conns.Load()) }
			},
			want: []string{"TLS certificate is not trusted: check --stripe.api-url", "CA bundle", "certificate signed by unknown authority"},
		},
		{
			name: "certificate for another name",
			setup: func(t *testing.T) (string, http.RoundTripper, func() int) {
				s := newCountedServer(t, true, nil)
				roots := s.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
				return "https://api.stripe.com", trustingTransport(roots, s.Listener.Addr().String()), func() int { return int(s.conns.Load()) }
			},
			want: []string{"TLS certificate is not trusted: check --stripe.api-url", "not api.stripe.com"},
		},
		{
			name: "expired certificate",
			setup: func(t *testing.T) (string, http.RoundTripper, func() int) {
				cert, roots := stripetest.Certificate(t, time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour))
				s := newCountedServer(t, true, &cert)
				return s.URL, trustingTransport(roots, s.Listener.Addr().String()), func() int { return int(s.conns.Load()) }
			},
			want: []string{"TLS certificate is not trusted: check --stripe.api-url", "expired"},
		},
		{
			name: "HTTPS to a plain-HTTP server",
			setup: func(t *testing.T) (string, http.RoundTripper, func() int) {
				s := newCountedServer(t, false, nil)
				return "https://" + s.Listener.Addr().String(), nil, func() int { return int(s.conns.Load()) }
			},
			want: []string{"speaks plain HTTP, not HTTPS: check --stripe.api-url", "server gave HTTP response to HTTPS client"},
		},
		{
			name: "plain HTTP to a TLS server",
			setup: func(t *testing.T) (string, http.RoundTripper, func() int) {
				s := stripetest.NewTLSAlertServer(t)
				return "http://" + s.Addr, nil, s.Conns
			},
			want: []string{"speaks TLS, not plain HTTP: check --stripe.api-url (https://)", "malformed HTTP response"},
		},
		{
			name: "host name that does not exist",
			setup: func(t *testing.T) (string, http.RoundTripper, func() int) {
				// RFC 2606 reserves .invalid; a resolver on 127.0.0.1 says
				// so, with no network needed. It gets a query per address
				// family and search domain, so the observer alone counts
				// the attempts.
				dns := stripetest.NewDNS(t, true)
				tr := &http.Transport{DialContext: (&net.Dialer{Resolver: dns.Resolver()}).DialContext}
				return "https://stripe.invalid", tr, nil
			},
			want: []string{"host name is not found in DNS: check --stripe.api-url, and this machine's DNS resolver", "no such host"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, transport, conns := tc.setup(t)
			obs := newRecordingObserver()
			c, err := New(Config{Key: stripetest.Key, URL: url, MaxRetries: 2, RateLimit: 1000, Observer: obs, Transport: transport})
			if err != nil {
				t.Fatal(err)
			}
			// A back-off long enough to notice, were one waited for.
			c.backoff = func(int) time.Duration { return time.Second }
			start := time.Now()
			_, err = c.Balance(testContext(t), "")
			took := time.Since(start)

			e := asError(t, err)
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if e.Status != 0 {
				t.Errorf("Status = %d; want 0, no answer", e.Status)
			}
			if codes := obs.Codes(EndpointBalance); !reflect.DeepEqual(codes, []int{0}) {
				t.Errorf("observed attempts %v; want one, without an answer", codes)
			}
			if n := obs.Retries(EndpointBalance); n != 0 {
				t.Errorf("observed %d retries; want none", n)
			}
			if conns != nil && conns() != 1 {
				t.Errorf("the server got %d connections; want 1", conns())
			}
			if took >= time.Second {
				t.Errorf("the call took %v; want no back-off", took)
			}
		})
	}
}
