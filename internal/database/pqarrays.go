package database

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/lib/pq"
)

// encodePQArraysNatively makes conn's pgx encode lib/pq's array wrappers
// as the plain slices they wrap. River's database/sql driver passes every
// column of its job INSERT as pq.Array (the event a checkout records, and
// the workers' statements). pgx would otherwise call their driver.Valuer,
// which renders the array as PostgreSQL text, then parse that text back
// into a slice to encode it in binary: for the checkout's one event INSERT
// (its payload JSON quoted inside an array literal) that was a quarter of
// a W1 iteration's allocations (docs/benchmarks.md). The statement and the
// values PostgreSQL receives are the same; only the detour is gone.
func encodePQArraysNatively(_ context.Context, conn *pgx.Conn) error {
	m := conn.TypeMap()
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryUnwrapPQArray}, m.TryWrapEncodePlanFuncs...)
	return nil
}

// tryUnwrapPQArray is the pgtype.TryWrapEncodePlanFunc of
// encodePQArraysNatively.
func tryUnwrapPQArray(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	s, ok := pqSlice(value)
	if !ok {
		return nil, nil, false
	}
	return &pqArrayEncodePlan{}, s, true
}

// pqSlice is the slice a lib/pq array wrapper holds. Only the wrappers
// whose Go type fixes the slice's: pgx remembers a plan per (parameter
// type, Go type), and pq.GenericArray is one Go type whatever it holds (a
// plan made for its []time.Time, reused for its []int16 where the
// parameter types were not known, panicked: TestPgBouncerTransactionMode),
// so it keeps its Valuer.
func pqSlice(value any) (any, bool) {
	switch a := value.(type) {
	case *pq.StringArray:
		return []string(*a), true
	case *pq.ByteaArray:
		return byteas(*a), true
	case *pq.Int64Array:
		return []int64(*a), true
	case *pq.Int32Array:
		return []int32(*a), true
	case *pq.BoolArray:
		return []bool(*a), true
	case *pq.Float64Array:
		return []float64(*a), true
	}
	return nil, false
}

// byteas is a ByteaArray's elements as lib/pq renders them: a nil element
// is an empty bytea, not NULL (River's unique_key of a job without one).
func byteas(a pq.ByteaArray) [][]byte {
	out, copied := [][]byte(a), false
	for i, b := range out {
		if b == nil {
			if !copied { // the caller's slice stays as it was
				out, copied = slices.Clone(out), true
			}
			out[i] = []byte{}
		}
	}
	return out
}

// pqArrayEncodePlan encodes a lib/pq array wrapper with the plan of the
// slice it holds.
type pqArrayEncodePlan struct{ next pgtype.EncodePlan }

func (p *pqArrayEncodePlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *pqArrayEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	s, _ := pqSlice(value)
	return p.next.Encode(s, buf)
}
