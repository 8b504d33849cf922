package stripe

import (
	"errors"
	"math/bits"
)

// ErrOverflow is the cause of a failure to sum amounts whose total does
// not fit in an int64 (beyond ±9.2 quintillion minor units). No real
// account gets near it, so the answer is wrong, and exporting a wrapped or
// capped number would invent one.
var ErrOverflow = errors.New("the amounts sum beyond what 64 bits hold, which no real account reaches")

// Sum adds and subtracts amounts in minor units exactly, in 128 bits, so
// that the order they come in does not matter: only the total has to fit
// in an int64. Its zero value is zero.
type Sum struct {
	hi int64
	lo uint64
}

// Add adds v.
func (s *Sum) Add(v int64) {
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, uint64(v), 0)
	s.hi += v>>63 + int64(carry)
}

// Sub subtracts v.
func (s *Sum) Sub(v int64) {
	var borrow uint64
	s.lo, borrow = bits.Sub64(s.lo, uint64(v), 0)
	s.hi -= v>>63 + int64(borrow)
}

// Int64 is the total, or ErrOverflow when it does not fit in an int64.
func (s Sum) Int64() (int64, error) {
	if s.hi != int64(s.lo)>>63 {
		return 0, ErrOverflow
	}
	return int64(s.lo), nil
}
