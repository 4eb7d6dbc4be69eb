package database_test

import (
	"context"
	"database/sql"
	"testing"

	"entgo.io/ent/dialect"

	"shop/internal/apperr"
	"shop/internal/database"
	"shop/internal/testdb"
)

// TestStalePlans_PoolWide: two pooled connections hold the same prepared
// statement; a type it returns is dropped and created anew (as `migrate
// down` then `up` does to an enum). The first connection to run it fails,
// 503 (0A000 "cached plan must not change result type"); after that the
// other connection does not fail on its stale copy: every connection drops
// its prepared statements before its next use. Before, pgx dropped a
// statement only on the connection where it had failed, so the other
// failed too.
func TestStalePlans_PoolWide(t *testing.T) {
	url := testdb.URL(t, dialect.Postgres)
	db, err := database.Open(url, database.Options{MaxOpenConns: 2, MaxIdleConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	schema := func() {
		t.Helper()
		for _, q := range []string{
			`DROP TABLE IF EXISTS moods`, `DROP TYPE IF EXISTS mood`,
			`CREATE TYPE mood AS ENUM ('calm', 'glad')`,
			`CREATE TABLE moods (id int PRIMARY KEY, m mood NOT NULL)`,
			`INSERT INTO moods VALUES (1, 'glad')`,
		} {
			if _, err := db.SQL.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	}
	schema()
	// read takes both connections of the pool at once, runs the statement
	// on the first n, and returns their errors.
	read := func(n int) [2]error {
		t.Helper()
		var errs [2]error
		conns := [2]*sql.Conn{}
		for i := range conns {
			c, err := db.SQL.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns[i] = c
		}
		for i, c := range conns[:n] {
			var m string
			errs[i] = c.QueryRowContext(ctx, `SELECT m FROM moods WHERE id = $1`, 1).Scan(&m)
		}
		for _, c := range conns {
			c.Close()
		}
		return errs
	}
	if errs := read(2); errs[0] != nil || errs[1] != nil {
		t.Fatalf("before the change: %v", errs)
	}
	schema()
	errs := read(1)
	if errs[0] == nil {
		t.Fatal("the first read of the stale statement succeeded: the test did not make it stale")
	}
	if !database.SchemaChanged(errs[0]) || database.Translate(errs[0]).Code != apperr.Unavailable {
		t.Errorf("stale statement: %v, want a schema change (503)", errs[0])
	}
	for i, err := range read(2) {
		if err != nil {
			t.Errorf("connection %d after one saw the schema change: %v", i, err)
		}
	}
}
