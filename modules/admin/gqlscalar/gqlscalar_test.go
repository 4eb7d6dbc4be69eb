package gqlscalar

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"testing"

	"shop/internal/apperr"
)

// TestBounds: Int takes exactly GraphQL's 32 bits and Int64 exactly
// ±(2^53−1); whatever else is validation_failed (field named later, by
// modules/admin), never a silent truncation.
func TestBounds(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(any) (int64, error)
		in   any
		want int64
		ok   bool
	}{
		{"Int max", int32Of, json.Number("2147483647"), math.MaxInt32, true},
		{"Int min", int32Of, int64(math.MinInt32), math.MinInt32, true},
		{"Int past max", int32Of, json.Number("2147483648"), 0, false},
		{"Int below min", int32Of, int64(math.MinInt32) - 1, 0, false},
		{"Int string", int32Of, "100", 100, true},
		{"Int fraction", int32Of, 1.5, 0, false},
		{"Int whole float", int32Of, float64(7), 7, true},
		{"Int bool", int32Of, true, 0, false},
		{"Int64 5e9", UnmarshalInt64, json.Number("5000000000"), 5_000_000_000, true},
		{"Int64 max safe", UnmarshalInt64, json.Number("9007199254740991"), MaxSafe, true},
		{"Int64 past safe", UnmarshalInt64, json.Number("9007199254740992"), 0, false},
		{"Int64 below safe", UnmarshalInt64, int64(-MaxSafe - 1), 0, false},
		{"Int64 past 2^63", UnmarshalInt64, json.Number("99999999999999999999"), 0, false},
		{"Int64 exponent", UnmarshalInt64, json.Number("1e3"), 0, false},
		{"Int64 string", UnmarshalInt64, "5000000000", 5_000_000_000, true},
	} {
		got, err := tc.fn(tc.in)
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("%s: %d, %v; want %d", tc.name, got, err, tc.want)
		}
		if !tc.ok {
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.ValidationFailed || len(ae.Fields) != 1 {
				t.Errorf("%s: %d, %v; want validation_failed", tc.name, got, err)
			}
		}
	}
}

func int32Of(v any) (int64, error) {
	n, err := UnmarshalInt(v)
	return int64(n), err
}

// TestMarshal: both write a JSON number.
func TestMarshal(t *testing.T) {
	var b bytes.Buffer
	MarshalInt64(5_000_000_000).MarshalGQL(&b)
	b.WriteByte(' ')
	MarshalInt(-7).MarshalGQL(&b)
	if b.String() != "5000000000 -7" {
		t.Fatalf("marshalled %q", b.String())
	}
}
