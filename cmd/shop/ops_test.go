package main

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"shop/internal/config"
	"shop/internal/testdb"
)

// TestShortJWTSecretRefused: `shop serve` (and every other command) with a
// SHOP_JWT_SECRET under 32 bytes refuses to start, naming the variable,
// before it opens the database.
func TestShortJWTSecretRefused(t *testing.T) {
	t.Parallel()
	dbFile := filepath.Join(t.TempDir(), "shop.db")
	for _, secret := range []string{"x", "s3cret", strings.Repeat("a", 31)} {
		var errOut strings.Builder
		err := run(context.Background(), []string{"serve", "--migrate"}, env(map[string]string{
			"DATABASE_URL": "sqlite:" + dbFile, "SHOP_ADDR": "127.0.0.1:0", "SHOP_JWT_SECRET": secret,
		}), &errOut, &errOut)
		if code, _ := exitCode(err); err == nil || code != 1 || !strings.Contains(err.Error(), "SHOP_JWT_SECRET") {
			t.Fatalf("serve with a %d-byte secret: %v (exit %d), want a refusal naming SHOP_JWT_SECRET", len(secret), err, code)
		}
		if _, err := os.Stat(dbFile); err == nil {
			t.Fatal("serve opened the database before refusing its secret")
		}
	}
}

// TestPoolIdleConnections: the pool `shop` opens keeps at most
// SHOP_DB_MAX_IDLE_CONNS idle connections and closes them after
// SHOP_DB_CONN_MAX_IDLE_TIME; on PostgreSQL the server sees them go.
func TestPoolIdleConnections(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		dbURL := testdb.URL(t, dia)
		cfg, err := config.Load(env(map[string]string{
			"DATABASE_URL": dbURL, "SHOP_DB_MAX_OPEN_CONNS": "4", "SHOP_DB_MAX_IDLE_CONNS": "1", "SHOP_DB_CONN_MAX_IDLE_TIME": "300ms",
		}))
		if err != nil {
			t.Fatal(err)
		}
		db, err := openDB(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx := context.Background()
		var conns []*sql.Conn
		for range 4 {
			c, err := db.SQL.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.PingContext(ctx); err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		if n := serverConns(t, dia, dbURL); dia == dialect.Postgres && n < 4 {
			t.Fatalf("server sees %d connections with 4 in use", n)
		}
		for _, c := range conns {
			c.Close()
		}
		if st := db.SQL.Stats(); st.Idle != 1 || st.MaxIdleClosed != 3 {
			t.Fatalf("after release: %d idle, %d closed for the idle limit; want 1 and 3", st.Idle, st.MaxIdleClosed)
		}
		// database/sql's cleaner runs at most once a second.
		deadline := time.Now().Add(5 * time.Second)
		for db.SQL.Stats().Idle > 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if st := db.SQL.Stats(); st.Idle != 0 || st.MaxIdleTimeClosed != 1 {
			t.Fatalf("after the idle time: %d idle, %d closed for idling; want 0 and 1", st.Idle, st.MaxIdleTimeClosed)
		}
		if n := serverConns(t, dia, dbURL); n != 0 {
			t.Fatalf("server still sees %d connections of the pool", n)
		}
	})
}

// serverConns counts PostgreSQL's backends on dbURL's database (0 on SQLite).
func serverConns(t *testing.T, dia, dbURL string) int {
	t.Helper()
	if dia != dialect.Postgres {
		return 0
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	admin, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
