// Package money is the shop's arithmetic on amounts of minor units
// (int64): sums and products that refuse to overflow instead of wrapping,
// a percentage rounded down, and the largest-remainder allocation of an
// amount over weights. Every total the shop computes (cart, checkout,
// events, reports, invariants) goes through it, so money is computed one
// way. It is a leaf: the standard library only.
package money

import (
	"errors"
	"math"
	"math/bits"
)

// ErrOverflow is returned when a result would not fit in int64.
var ErrOverflow = errors.New("money: amount out of range")

// Add returns a + b, or false if the sum does not fit in int64.
func Add(a, b int64) (int64, bool) {
	s := a + b
	// Overflow happened iff a and b have the same sign and s has the other.
	if (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0) {
		return 0, false
	}
	return s, true
}

// Mul returns a × b, or false if the product does not fit in int64.
func Mul(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	p := a * b
	if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return p, true
}

// Line returns unitPrice × quantity, a line's subtotal, or false on overflow.
func Line(unitPrice int64, quantity int) (int64, bool) { return Mul(unitPrice, int64(quantity)) }

// Sum adds amounts, or returns false if any partial sum overflows.
func Sum(amounts ...int64) (int64, bool) {
	var total int64
	for _, a := range amounts {
		var ok bool
		if total, ok = Add(total, a); !ok {
			return 0, false
		}
	}
	return total, true
}

// Percent returns floor(amount × pct / 100) for amount ≥ 0 and 0 ≤ pct ≤
// 100, exactly and without overflow for every int64 amount (the product is
// never formed: amount = 100q + r gives q×pct + r×pct/100). It returns 0
// outside those ranges.
func Percent(amount, pct int64) int64 {
	if amount <= 0 || pct <= 0 || pct > 100 {
		return 0
	}
	return (amount/100)*pct + (amount%100)*pct/100
}

// Allocate shares amount out over weights in proportion to them, in whole
// units: each share is floor(amount × w / Σw), and the units left over go
// one each to the largest fractional parts, ties to the lower index (the
// caller orders the weights, e.g. by line id). The shares add up to amount
// exactly, and none exceeds its weight when amount ≤ Σw. Amount and weights
// must be ≥ 0 with Σw > 0 (or amount 0), and Σw must fit in int64;
// otherwise ErrOverflow. The products are computed in 128 bits, so no
// int64 input overflows.
func Allocate(amount int64, weights []int64) ([]int64, error) {
	shares := make([]int64, len(weights))
	if amount == 0 {
		return shares, nil
	}
	total, ok := Sum(weights...)
	if !ok || amount < 0 || total <= 0 {
		return nil, ErrOverflow
	}
	for _, w := range weights {
		if w < 0 {
			return nil, ErrOverflow
		}
	}
	rems := make([]uint64, len(weights))
	left := amount
	for i, w := range weights {
		// amount × w < 2^63 × total, so the high word is below total and
		// Div64 cannot overflow.
		hi, lo := bits.Mul64(uint64(amount), uint64(w))
		q, r := bits.Div64(hi, lo, uint64(total))
		shares[i], rems[i] = int64(q), r
		left -= int64(q)
	}
	// left = Σr / total: fewer units than lines with a remainder (each r <
	// total), so every unit goes to a different line, largest first.
	for ; left > 0; left-- {
		best := -1
		for i, r := range rems {
			if best < 0 || r > rems[best] {
				best = i
			}
		}
		shares[best]++
		rems[best] = 0
	}
	return shares, nil
}
