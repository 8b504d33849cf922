package stripe

import (
	"fmt"
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
