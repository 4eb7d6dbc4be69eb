package testdb

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"shop/ent"
	"shop/internal/database"
	"shop/internal/events"
	"shop/internal/migrate"

	_ "shop/ent/runtime" // hooks, interceptors, defaults and validators
)

// Dialects are the databases every integration test runs on: both, or the
// one SHOP_TEST_DIALECT names (postgres or sqlite; `make test-short`).
// Tests that need PostgreSQL open it directly and run whatever it says.
var Dialects = dialects(os.Getenv("SHOP_TEST_DIALECT"))

func dialects(only string) []string {
	switch only {
	case dialect.Postgres:
		return []string{dialect.Postgres}
	case "sqlite", dialect.SQLite:
		return []string{dialect.SQLite}
	}
	return []string{dialect.Postgres, dialect.SQLite}
}

// Each runs fn as a subtest per dialect ("postgres", "sqlite3").
func Each(t *testing.T, fn func(t *testing.T, dia string)) {
	t.Helper()
	for _, dia := range Dialects {
		t.Run(dia, func(t *testing.T) { fn(t, dia) })
	}
}

// URL creates an empty database of the dialect for the test and returns its
// DATABASE_URL. It is dropped when the test ends. A PostgreSQL server that
// does not answer fails the test: it never skips.
func URL(t testing.TB, dia string) string {
	t.Helper()
	if dia == dialect.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "shop.db")
	}
	url, drop, err := CreatePostgres(context.Background(), "shop_test")
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(drop)
	return url
}

// poolOptions fit concurrency tests. A generous SQLite busy timeout: on a
// loaded 2-core CI machine a writer (a whole migration under -race) can
// hold the lock for seconds.
var poolOptions = database.Options{MaxOpenConns: 32, MaxIdleConns: 32, BusyTimeout: time.Minute}

// Open opens the test database at url with a pool fit for concurrency tests.
func Open(t testing.TB, url string) *database.DB {
	t.Helper()
	db, err := database.Open(url, poolOptions)
	if err != nil {
		t.Fatalf("testdb: open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// New returns a fresh database of the dialect brought up through the real
// migrations.
func New(t testing.TB, dia string) *database.DB {
	t.Helper()
	db := Open(t, URL(t, dia))
	up(t, db)
	return db
}

// NewCounting is New on a pool that counts every statement it sends
// (database.OpenCounting): round-trip budgets, and faults injected before
// a chosen statement.
func NewCounting(t testing.TB, dia string) (*database.DB, *database.Counter) {
	t.Helper()
	db, c, err := database.OpenCounting(URL(t, dia), poolOptions)
	if err != nil {
		t.Fatalf("testdb: open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	up(t, db)
	return db, c
}

// up brings db up through the real migrations.
func up(t testing.TB, db *database.DB) {
	t.Helper()
	dir, err := migrate.Dir(db.Dialect)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	if _, err := migrate.Up(context.Background(), db.SQL, db.Dialect, dir); err != nil {
		t.Fatalf("testdb: migrate up: %v", err)
	}
}

// Runner returns the transaction runner of client, its events built with
// the shop's defaults (USD, low-stock threshold 5).
func Runner(t testing.TB, client *ent.Client) *database.Runner {
	t.Helper()
	run, err := database.NewRunner(client, events.Settings{Currency: "USD", LowStockThreshold: 5})
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// Subscribe makes an active webhook subscribed to types (every event type
// when none is given), so that a test's events are recorded as River jobs:
// an event no webhook subscribes to is not (events.Inserter). It returns
// the webhook's id.
func Subscribe(t testing.TB, client *ent.Client, types ...string) int {
	t.Helper()
	if len(types) == 0 {
		types = events.Types
	}
	h, err := client.Webhook.Create().SetURL("https://hooks.example.com/shop").SetEvents(types).
		SetSecret("whsec_dGVzdC1zZWNyZXQtdGVzdC1zZWNyZXQtdGVzdA==").Save(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h.ID
}
