package database_test

import (
	"context"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"shop/internal/database"
	"shop/internal/testdb"
)

// TestPostgres_NoStatementOutlivesItsRequest is issue 18 item 3 at the
// pool: a statement whose context ends is cancelled on the server (a
// cancel request, not just a closed socket), and statement_timeout ends
// one that nobody cancels. Before: pgx closed the socket and the backend
// ran on (235 s in the issue); no statement_timeout was set.
func TestPostgres_NoStatementOutlivesItsRequest(t *testing.T) {
	t.Parallel()
	url := testdb.URL(t, dialect.Postgres)
	db, err := database.Open(url, database.Options{MaxOpenConns: 4, StatementTimeout: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bg := context.Background()
	running := func() int {
		var n int
		if err := db.SQL.QueryRowContext(bg, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state = 'active' AND query LIKE 'SELECT pg_sleep(%' AND pid <> pg_backend_pid()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("ContextCancels", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(bg, 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, err := db.SQL.ExecContext(ctx, `SELECT pg_sleep(1.2)`); err == nil {
			t.Fatal("the statement outlived its context")
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("the cancelled statement returned after %s", d)
		}
		time.Sleep(300 * time.Millisecond)
		if n := running(); n != 0 {
			t.Fatalf("%d statements still running on the server after their context ended", n)
		}
	})
	t.Run("StatementTimeout", func(t *testing.T) {
		var timeout string
		if err := db.SQL.QueryRowContext(bg, `SHOW statement_timeout`).Scan(&timeout); err != nil {
			t.Fatal(err)
		}
		if timeout != "1500ms" {
			t.Fatalf("statement_timeout = %q, want 1500ms", timeout)
		}
		start := time.Now()
		_, err := db.SQL.ExecContext(bg, `SELECT pg_sleep(5)`)
		if err == nil || time.Since(start) > 3*time.Second {
			t.Fatalf("a 5 s statement without a deadline: %v after %s", err, time.Since(start))
		}
	})
}
