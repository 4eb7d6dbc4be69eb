package database_test

import (
	"context"
	"database/sql/driver"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"
	"github.com/lib/pq"

	"shop/internal/testdb"
)

// TestPQArrays checks that lib/pq's array wrappers (River's database/sql
// driver passes its job columns so), which the pool encodes as the slices
// they hold, reach PostgreSQL as the same arrays their own text rendering
// (their driver.Valuer) describes: NULL elements, quotes, commas, braces,
// backslashes, empty and nil arrays included.
func TestPQArrays(t *testing.T) {
	t.Parallel()
	db := testdb.New(t, dialect.Postgres)
	ctx := context.Background()
	at := time.Date(2026, 12, 3, 16, 45, 1, 123456000, time.UTC)
	for _, tc := range []struct {
		name, typ string
		arg       interface{ driver.Valuer }
	}{
		{"strings", "text[]", pq.Array([]string{"a", "b,c", `"q"`, "{x}", `back\slash`, "", "NULL"})},
		{"json", "jsonb[]", pq.Array([]string{`{"order_id":1,"items":[{"name":"a \"b\", {c}"}]}`, "{}"})},
		{"empty", "text[]", pq.Array([]string{})},
		{"nil", "text[]", pq.Array([]string(nil))},
		{"bytea", "bytea[]", pq.Array([][]byte{{0, 1, 0xff}, nil, {}})},
		{"int64", "bigint[]", pq.Array([]int64{-1, 0, 1 << 40})},
		{"int32", "integer[]", pq.Array([]int32{-1, 0, 7})},
		{"bool", "boolean[]", pq.Array([]bool{true, false})},
		{"float64", "float8[]", pq.Array([]float64{1.5, -0.25})},
		{"int16", "smallint[]", pq.Array([]int16{1, 25})},
		{"times", "timestamptz[]", pq.Array([]time.Time{at, at.Add(time.Hour)})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, err := tc.arg.Value()
			if err != nil {
				t.Fatal(err)
			}
			var want, got *string
			if err := db.SQL.QueryRowContext(ctx, "SELECT CAST(CAST(CAST($1 AS text) AS "+tc.typ+") AS text)", text).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if err := db.SQL.QueryRowContext(ctx, "SELECT CAST(CAST($1 AS "+tc.typ+") AS text)", tc.arg).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if (want == nil) != (got == nil) || want != nil && *want != *got {
				t.Fatalf("PostgreSQL received %v, want %v (lib/pq's text %v)", deref(got), deref(want), text)
			}
		})
	}
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// TestPQArrays_UntypedParameters: two lib/pq generic arrays of different
// element types in one statement whose parameter types PostgreSQL is not
// asked for (pgx's exec mode, as behind a transaction pooler) are each
// sent as what they hold (River's job INSERT does this with its
// timestamps and its smallints).
func TestPQArrays_UntypedParameters(t *testing.T) {
	t.Parallel()
	db := testdb.New(t, dialect.Postgres)
	at := time.Date(2026, 12, 3, 16, 45, 1, 123456000, time.UTC)
	for range 2 { // the second time with the plans pgx remembered
		var times, smallints string
		err := db.SQL.QueryRowContext(context.Background(), "SELECT CAST(CAST($1 AS timestamptz[]) AS text), CAST(CAST($2 AS smallint[]) AS text)",
			pgx.QueryExecModeExec, pq.Array([]time.Time{at}), pq.Array([]int16{1, 25})).Scan(&times, &smallints)
		if err != nil {
			t.Fatal(err)
		}
		if times != `{"2026-12-03 16:45:01.123456+00"}` || smallints != "{1,25}" {
			t.Fatalf("PostgreSQL received %s and %s", times, smallints)
		}
	}
}
