package collector

import (
	"context"
	"errors"
	"sync"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/stripe-exporter/stripe_exporter/stripe"
)

// maxRemembered bounds the failures a FailureLog remembers: /probe takes any
// account ID. Past it, new failures are logged at debug level only, so that
// one account-wide failure over thousands of probed accounts does not log a
// warning per account and scrape.
const maxRemembered = 1000

// FailureLog logs failed fetches when they start, when they fail in a new
// way, and when they end, so that a lasting failure (a revoked key, a
// deleted transaction) is one warning rather than one per scrape.
type FailureLog struct {
	logger log.Logger

	mu sync.Mutex
	// failing maps each failing call to how it failed.
	failing map[call]failure
	// full is set the first time a failure could not be remembered.
	full bool
}

// failure is how a call failed, leaving out what changes on every call,
// such as Stripe's request ID.
type failure struct {
	status    int
	typ, code string
	timeout   bool
}

func failureOf(err error) failure {
	// A deadline is one kind of failure whether the scrape stopped waiting
	// or the call it shared ran out of time.
	if errors.Is(err, context.DeadlineExceeded) {
		return failure{timeout: true}
	}
	var se *stripe.Error
	if !errors.As(err, &se) {
		return failure{}
	}
	return failure{status: se.Status, typ: se.Type, code: se.Code}
}

// NewFailureLog returns a FailureLog that writes to logger.
func NewFailureLog(logger log.Logger) *FailureLog {
	return &FailureLog{logger: logger, failing: map[call]failure{}}
}

// Record logs what changed with r. The failures of an abandoned scrape are
// not Stripe's, and are only logged at debug level.
func (l *FailureLog) Record(r *Result) {
	if r.Abandoned {
		level.Debug(l.logger).Log("msg", "scrape abandoned by its client", "took", r.Took)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for c, err := range r.calls {
		l.record(c, err)
	}
}

func (l *FailureLog) record(c call, err error) {
	was, failing := l.failing[c]
	if err == nil {
		if failing {
			delete(l.failing, c)
			level.Info(l.logger).Log(append([]any{"msg", "fetch from Stripe works again"}, c.logFields()...)...)
		}
		return
	}
	how := failureOf(err)
	if failing && how == was {
		return
	}
	logger := level.Warn(l.logger)
	if failing || len(l.failing) < maxRemembered {
		l.failing[c] = how
	} else {
		if !l.full {
			l.full = true
			logger.Log("msg", "too many calls to Stripe failing to remember each; failures not remembered are logged at debug level", "remembered", maxRemembered)
		}
		logger = level.Debug(l.logger)
	}
	kv := append([]any{"msg", "fetch from Stripe failed"}, c.logFields()...)
	var se *stripe.Error
	if errors.As(err, &se) {
		if se.Status != 0 {
			kv = append(kv, "status", se.Status)
		}
		if se.Type != "" {
			kv = append(kv, "error_type", se.Type)
		}
		if se.RequestID != "" {
			kv = append(kv, "request_id", se.RequestID)
		}
	}
	kv = append(kv, "err", err)
	logger.Log(kv...)
}
