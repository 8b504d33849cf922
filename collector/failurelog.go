package collector

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/stripe-exporter/stripe_exporter/stripe"
)

// maxRemembered bounds the failures a FailureLog remembers: /probe takes any
// account ID. Past it, new failures are logged every time.
const maxRemembered = 1000

// FailureLog logs failed fetches when they start, when they fail in a new
// way, and when they end, so that a lasting failure (a revoked key, a
// deleted transaction) is one warning rather than one per scrape.
type FailureLog struct {
	logger log.Logger

	mu sync.Mutex
	// failing maps each failing call to how it failed.
	failing map[call]string
}

// NewFailureLog returns a FailureLog that writes to logger.
func NewFailureLog(logger log.Logger) *FailureLog {
	return &FailureLog{logger: logger, failing: map[call]string{}}
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
	how := failureKind(err)
	if failing && how == was {
		return
	}
	if failing || len(l.failing) < maxRemembered {
		l.failing[c] = how
	}
	kv := append([]any{"msg", "fetch from Stripe failed"}, c.logFields()...)
	var se *stripe.Error
	if errors.As(err, &se) {
		kv = append(kv, "status", se.Status, "error_type", se.Type, "request_id", se.RequestID)
	}
	kv = append(kv, "err", err)
	level.Warn(l.logger).Log(kv...)
}

// failureKind tells one way of failing from another, leaving out what
// changes on every call, such as Stripe's request ID.
func failureKind(err error) string {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return "other"
	}
	return fmt.Sprint(se.Status, se.Type, se.Code, errors.Is(err, context.DeadlineExceeded))
}
