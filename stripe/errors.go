package stripe

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
)

// Error is a failed call to the Stripe API. None of its text contains the
// API key.
type Error struct {
	// Endpoint is one of the Endpoint constants: the call that failed.
	Endpoint string
	// Status is the HTTP status of the last attempt, 0 if none arrived.
	Status int
	// Type, Code and Message come from Stripe's error body, when it had one.
	Type    string
	Code    string
	Message string
	// RequestID is Stripe's ID for the last attempt, for its support.
	RequestID string
	// Err is the cause when Stripe sent no error body: a network failure, a
	// deadline, or a body that could not be decoded.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stripe %s", e.Endpoint)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Type != "" {
		fmt.Fprintf(&b, ": %s", e.Type)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request %s]", e.RequestID)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// permanentFailure says what to fix when err is a failure that no retry can
// mend within a scrape, because the API URL or the certificates trusted are
// wrong; it is "" for any other error.
func permanentFailure(err error) string {
	var (
		verify    *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		dns       *net.DNSError
	)
	switch {
	case errors.As(err, &verify), errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid):
		return "the server's TLS certificate is not trusted: check --stripe.api-url, and that the CA bundle holds the certificate's issuer (a TLS-inspecting proxy's own CA, say)"
	case errors.As(err, &dns) && dns.IsNotFound:
		return "the API URL's host name is not found in DNS: check --stripe.api-url, and this machine's DNS resolver"
	case errors.Is(err, http.ErrSchemeMismatch):
		return "the server speaks plain HTTP, not HTTPS: check --stripe.api-url (http:// for a plain-HTTP server such as stripe-mock)"
	case tlsAnswer.MatchString(err.Error()):
		return "the server speaks TLS, not plain HTTP: check --stripe.api-url (https://)"
	}
	return ""
}

// tlsAnswer matches net/http's error for an answer that starts with a TLS
// record (an alert or a handshake) rather than a status line: a TLS server
// spoken to in plain HTTP. net/http gives that error no type of its own.
var tlsAnswer = regexp.MustCompile(`malformed HTTP response "\\x1[56]\\x03`)
