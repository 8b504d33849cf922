package stripe_test

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/stripe-exporter/stripe_exporter/stripe"
)

// TestSum adds and subtracts amounts near the ends of an int64 in every
// order, and checks each total against exact arithmetic: it comes out
// exact whenever it fits, whatever the sums on the way, and ErrOverflow
// otherwise.
func TestSum(t *testing.T) {
	edges := []int64{math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1, 1, -1, 0, 1 << 62, -(1 << 62)}
	// Each op is an amount, subtracted when sub is set.
	type op struct {
		v   int64
		sub bool
	}
	var ops []op
	for _, v := range edges {
		ops = append(ops, op{v, false}, op{v, true})
	}
	check := func(seq []op) {
		t.Helper()
		var s stripe.Sum
		exact := new(big.Int)
		for _, o := range seq {
			if o.sub {
				s.Sub(o.v)
				exact.Sub(exact, big.NewInt(o.v))
			} else {
				s.Add(o.v)
				exact.Add(exact, big.NewInt(o.v))
			}
		}
		got, err := s.Int64()
		switch {
		case exact.IsInt64() && (err != nil || got != exact.Int64()):
			t.Errorf("%+v: Int64() = %d, %v; want %v", seq, got, err, exact)
		case !exact.IsInt64() && !errors.Is(err, stripe.ErrOverflow):
			t.Errorf("%+v: Int64() = %d, %v; want ErrOverflow, the total is %v", seq, got, err, exact)
		}
	}
	// Every sequence of three operations, and so every order of each
	// three: a sum may pass an end of int64 and come back.
	for _, a := range ops {
		for _, b := range ops {
			for _, c := range ops {
				check([]op{a, b, c})
			}
		}
	}
	// Far past the ends, and back.
	var many []op
	for range 1000 {
		many = append(many, op{math.MaxInt64, false})
	}
	check(many)
	for range 1000 {
		many = append(many, op{math.MaxInt64, true})
	}
	check(many)
	check(append(many, op{math.MinInt64, false}))
}
