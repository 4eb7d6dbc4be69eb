package migrate_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"shop/internal/migrate"
	"shop/internal/testdb"
)

// TestDown_DeadlockVictimRunsAgain: a revert under load may deadlock with a
// serving shop's transaction (its ALTER TABLE holds one table while it
// waits for another the shop's transaction holds, which then asks for the
// first). Here the revert is made the victim on purpose: it waits first,
// and the other session's deadlock_timeout is long, so PostgreSQL aborts
// the revert (40P01). Down runs its transaction again and the revision is
// reverted; the other transaction went through.
func TestDown_DeadlockVictimRunsAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.URL(t, dialect.Postgres)
	db := testdb.Open(t, url)
	dir, _ := migrate.Dir(dialect.Postgres)
	if _, err := migrate.Up(ctx, db.SQL, dialect.Postgres, dir); err != nil {
		t.Fatal(err)
	}
	downs, err := migrate.DownFiles(dialect.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	files := mustFiles(t, dir)
	newest := files[len(files)-1].Version()

	// The shop's transaction holds the discounts table (the newest
	// revision's down file drops it last, after altering order_items).
	other, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, q := range []string{`SET LOCAL deadlock_timeout = '60s'`, `SELECT count(*) FROM discounts`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	down := make(chan error, 1)
	go func() {
		_, err := migrate.Down(ctx, db.SQL, dialect.Postgres, dir, downs, migrate.DownOptions{Force: true})
		down <- err
	}()
	// Once the revert waits for the discounts table (holding order_items),
	// the shop's transaction asks for order_items: a deadlock, which the
	// revert, waiting since before and with the default 1 s
	// deadlock_timeout, is the one to detect.
	deadline := time.Now().Add(30 * time.Second)
	for !waitingForLock(t, db.SQL, "discounts") {
		if time.Now().After(deadline) {
			t.Fatal("the revert never waited for the discounts table")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := tx.ExecContext(ctx, `SELECT count(*) FROM order_items`); err != nil {
		t.Fatalf("the other transaction was the deadlock's victim: %v", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-down; err != nil {
		t.Fatalf("down: %v", err)
	}
	for _, v := range appliedVersions(t, db.SQL, dialect.Postgres, dir) {
		if v == newest {
			t.Fatalf("%s is still applied", newest)
		}
	}
	var deadlocks int
	if err := db.SQL.QueryRowContext(ctx, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&deadlocks); err == nil {
		t.Logf("deadlocks in the test's database: %d", deadlocks)
	}
}

// waitingForLock reports whether a session waits for a lock on table.
func waitingForLock(t *testing.T, db *sql.DB, table string) bool {
	t.Helper()
	var n int
	err := db.QueryRowContext(context.Background(), `SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
		WHERE NOT l.granted AND c.relname = $1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`, table).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}
