package money

import (
	"math"
	"testing"
)

func TestAdd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b, want int64
		ok         bool
	}{
		{1, 2, 3, true},
		{math.MaxInt64, 0, math.MaxInt64, true},
		{math.MaxInt64, 1, 0, false},
		{math.MaxInt64 - 5, 5, math.MaxInt64, true},
		{math.MinInt64, -1, 0, false},
		{math.MinInt64, math.MaxInt64, -1, true},
	} {
		got, ok := Add(tc.a, tc.b)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Add(%d, %d) = %d, %v; want %d, %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
		}
	}
}

func TestMul(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b, want int64
		ok         bool
	}{
		{0, math.MaxInt64, 0, true},
		{10_000_000_000, 1000, 10_000_000_000_000, true},
		{math.MaxInt64, 1, math.MaxInt64, true},
		{math.MaxInt64/2 + 1, 2, 0, false},
		{math.MaxInt64 / 2, 2, math.MaxInt64 - 1, true},
		{1 << 32, 1 << 31, 0, false},
		{-1, math.MinInt64, 0, false},
		{3_037_000_500, 3_037_000_500, 0, false},
	} {
		got, ok := Mul(tc.a, tc.b)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Mul(%d, %d) = %d, %v; want %d, %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSum(t *testing.T) {
	t.Parallel()
	if got, ok := Sum(1, 2, 3); got != 6 || !ok {
		t.Errorf("Sum(1,2,3) = %d, %v", got, ok)
	}
	if _, ok := Sum(math.MaxInt64-1, 1, 1); ok {
		t.Error("Sum past MaxInt64 reported ok")
	}
	if got, ok := Sum(); got != 0 || !ok {
		t.Errorf("Sum() = %d, %v", got, ok)
	}
}

func TestPercent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ amount, pct, want int64 }{
		{1000, 10, 100},
		{999, 10, 99}, // 99.9 rounds down
		{1, 50, 0},
		{199, 50, 99},
		{12345, 100, 12345},
		{12345, 0, 0},
		{math.MaxInt64, 100, math.MaxInt64},
		{math.MaxInt64, 50, math.MaxInt64 / 2},   // floor(9223372036854775807/2)
		{math.MaxInt64, 1, 92233720368547758},    // floor(9223372036854775807/100)
		{math.MaxInt64, 33, 3043712772162076016}, // floor(9223372036854775807×33/100)
		{-5, 10, 0},
	} {
		if got := Percent(tc.amount, tc.pct); got != tc.want {
			t.Errorf("Percent(%d, %d) = %d; want %d", tc.amount, tc.pct, got, tc.want)
		}
	}
}

func TestAllocate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		amount  int64
		weights []int64
		want    []int64
	}{
		{"largest remainder", 100, []int64{1000, 2000, 3001}, []int64{17, 33, 50}},
		{"tie goes to the lower index", 1, []int64{500, 500}, []int64{1, 0}},
		{"three-way tie", 2, []int64{100, 100, 100}, []int64{1, 1, 0}},
		{"exact", 60, []int64{100, 200, 300}, []int64{10, 20, 30}},
		{"whole amount", 6001, []int64{1000, 2000, 3001}, []int64{1000, 2000, 3001}},
		{"nothing", 0, []int64{5, 7}, []int64{0, 0}},
		{"one line", 37, []int64{9999}, []int64{37}},
		{"a zero line gets nothing", 10, []int64{0, 30}, []int64{0, 10}},
		{"near int64 limits", math.MaxInt64 - 1, []int64{math.MaxInt64 / 2, math.MaxInt64 / 2, 1},
			[]int64{math.MaxInt64 / 2, math.MaxInt64/2 - 1, 1}}, // ties: the lower index
		{"huge amount over small lines", math.MaxInt64 / 3, []int64{math.MaxInt64 / 3 / 3, math.MaxInt64/3 - math.MaxInt64/3/3},
			[]int64{math.MaxInt64 / 3 / 3, math.MaxInt64/3 - math.MaxInt64/3/3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Allocate(tc.amount, tc.weights)
			if err != nil {
				t.Fatal(err)
			}
			var sum int64
			for i := range got {
				sum += got[i]
				if got[i] != tc.want[i] {
					t.Errorf("share %d = %d; want %d (all %v)", i, got[i], tc.want[i], got)
				}
				if tc.amount <= total(tc.weights) && got[i] > tc.weights[i] {
					t.Errorf("share %d = %d exceeds its weight %d", i, got[i], tc.weights[i])
				}
			}
			if sum != tc.amount {
				t.Errorf("shares add up to %d; want %d", sum, tc.amount)
			}
		})
	}
	t.Run("ErrOverflow", func(t *testing.T) {
		for _, w := range [][]int64{{math.MaxInt64, 1}, {-1, 5}, {0, 0}} {
			if _, err := Allocate(1, w); err != ErrOverflow {
				t.Errorf("Allocate(1, %v) = %v; want ErrOverflow", w, err)
			}
		}
		if _, err := Allocate(-1, []int64{1}); err != ErrOverflow {
			t.Errorf("Allocate(-1) = %v; want ErrOverflow", err)
		}
	})
}

func total(ws []int64) int64 {
	s, _ := Sum(ws...)
	return s
}
