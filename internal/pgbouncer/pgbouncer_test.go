package pgbouncer_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"shop/internal/database"
	"shop/internal/testdb"
)

// TestStartRoutesToTheDatabaseAndStops: the pgbouncer the e2e test and
// loadbench start reaches the test database (a table created directly is
// read through it, with SHOP_DB_POOLER=transaction's connection options),
// listens on its own port and is gone after Stop. The shop under load
// through it is TestPgBouncerTransactionMode (internal/e2e).
func TestStartRoutesToTheDatabaseAndStops(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts PgBouncer (make test runs it)")
	}
	ctx := context.Background()
	bouncer := testdb.StartPgBouncer(t)
	direct := testdb.URL(t, dialect.Postgres)
	if _, err := testdb.Open(t, direct).SQL.ExecContext(ctx, `CREATE TABLE via_bouncer (n int); INSERT INTO via_bouncer VALUES (42)`); err != nil {
		t.Fatal(err)
	}

	db, err := database.Open(bouncer.URL(t, direct), database.Options{MaxOpenConns: 2, MaxIdleConns: 2, Pooler: database.PoolerTransaction})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 0; i < 3; i++ {
		var n int
		if err := db.SQL.QueryRowContext(ctx, `SELECT n FROM via_bouncer WHERE n = $1`, 42).Scan(&n); err != nil || n != 42 {
			t.Fatalf("read %d through pgbouncer: n=%d err=%v", i, n, err)
		}
	}
	db.Close()

	bouncer.Stop()
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", bouncer.Port), time.Second); err == nil {
		c.Close()
		t.Errorf("pgbouncer still listens on %d after Stop", bouncer.Port)
	}
}
