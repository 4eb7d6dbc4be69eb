package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"shop/internal/invariants"
	"shop/internal/testdb"
)

// TestPgBouncerTransactionMode is issue 10 item 8 (and the deployment of
// item 7): the shop behind a real PgBouncer in transaction mode. Before:
// `shop migrate status` and `shop serve` failed with `prepared statement
// "stmtcache_…" already exists (SQLSTATE 42P05)`. After, with
// SHOP_DB_POOLER=transaction: migrate, serve, and two replicas under a
// concurrent checkout load work, and the invariants hold.
func TestPgBouncerTransactionMode(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts PgBouncer (make test runs it)")
	}
	bouncer := testdb.StartPgBouncer(t)
	direct := testdb.URL(t, dialect.Postgres)
	env := procEnv(bouncer.URL(t, direct), "SHOP_DB_POOLER=transaction")

	for _, args := range [][]string{{"migrate", "up"}, {"migrate", "status"}, {"migrate", "status"}} {
		out, err := runShop(t, env, args...)
		if err != nil {
			t.Fatalf("shop %s through pgbouncer: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	a := startShopProc(t, env)
	b := startShopProc(t, env)
	_, productID, tokens := seedShop(t, env, a.Base, 1_000_000, 16)

	load := &checkoutLoad{
		Client:    &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}},
		Bases:     []string{a.Base, b.Base},
		Tokens:    tokens,
		ProductID: productID,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	load.Run(ctx)
	load.Replay(t, a.Base)

	for st, n := range load.Status {
		if st != http.StatusCreated {
			t.Errorf("%d answers %d through pgbouncer", n, st)
		}
	}
	acked := load.OrderIDs()
	if len(acked) < 16 {
		t.Errorf("only %d checkouts through pgbouncer in 4 s", len(acked))
	}
	db := testdb.Open(t, direct)
	if n := db.Client.Order.Query().CountX(context.Background()); n != len(acked) {
		t.Errorf("%d orders, %d acknowledged", n, len(acked))
	}
	bad, err := invariants.Check(context.Background(), db.Client)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range bad {
		t.Error(x)
	}
	for _, p := range []*shopProc{a, b} {
		if l := p.log.String(); strings.Contains(l, "42P05") || strings.Contains(l, "prepared statement") {
			t.Errorf("statement errors in the log:\n%s", l)
		}
	}
	t.Logf("%d checkouts through pgbouncer (transaction mode) with two replicas in 4 s; statuses %v", len(acked), load.Status)
}
