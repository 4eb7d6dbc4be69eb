// Package gqlscalar is the admin GraphQL API's integer scalars, bound in
// gqlgen.yml: Int, checked to GraphQL's 32 bits on the way in, and Int64,
// the 64-bit integer of money and other quantities that can pass 2^31−1
// (docs/admin.md, "Scalars"). A value a scalar refuses is the API's
// validation_failed; modules/admin names the argument or input field it
// came from.
package gqlscalar

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"shop/internal/apperr"
)

// MaxSafe is the largest integer a JSON number carries exactly to every
// client (2^53−1, JavaScript's Number.MAX_SAFE_INTEGER). Int64 refuses
// inputs beyond ±MaxSafe, and the shop's ranges keep its outputs within
// (docs/admin.md, "Scalars").
const MaxSafe = 1<<53 - 1

// MarshalInt writes a GraphQL Int. Every Int field of the schema is
// 32-bit by its range (TestSchema_IntFieldsAre32Bit).
func MarshalInt(v int) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) { _, _ = io.WriteString(w, strconv.Itoa(v)) })
}

// UnmarshalInt reads a GraphQL Int: a whole number from −2^31 to 2^31−1,
// as the GraphQL specification defines Int (a string of digits passes, as
// gqlparser and gqlgen always let variables be). gqlparser checks literals
// in the query text; variables come here.
func UnmarshalInt(v any) (int, error) {
	n, err := integer(v, math.MinInt32, math.MaxInt32)
	return int(n), err
}

// MarshalInt64 writes an Int64 as a JSON number.
func MarshalInt64(v int64) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) { _, _ = io.WriteString(w, strconv.FormatInt(v, 10)) })
}

// UnmarshalInt64 reads an Int64: a whole JSON number (or literal) from
// −(2^53−1) to 2^53−1, or a string of its decimal digits.
func UnmarshalInt64(v any) (int64, error) {
	return integer(v, -MaxSafe, MaxSafe)
}

// integer reads a whole number within [lo, hi]; anything else is
// validation_failed with no field name yet (modules/admin fills in the
// argument's).
func integer(v any, lo, hi int64) (int64, error) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case json.Number, string: // a string of digits, as gqlparser lets Int variables be
		i, err := strconv.ParseInt(fmt.Sprint(x), 10, 64)
		if err != nil {
			return 0, invalid(lo, hi)
		}
		n = i
	case float64:
		if x != math.Trunc(x) || x < float64(lo) || x > float64(hi) {
			return 0, invalid(lo, hi)
		}
		n = int64(x)
	default:
		return 0, invalid(lo, hi)
	}
	if n < lo || n > hi {
		return 0, invalid(lo, hi)
	}
	return n, nil
}

func invalid(lo, hi int64) error {
	return apperr.Validation(apperr.Field("", fmt.Sprintf("must be a whole number from %d to %d", lo, hi)))
}
