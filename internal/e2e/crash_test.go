package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"shop/internal/invariants"
	"shop/internal/testdb"
)

// TestCrash_KillDuringCheckouts is issue 10 item 7: `shop serve` on
// PostgreSQL is SIGKILLed three times at random moments while 20 clients
// check out with Idempotency-Keys, and restarted each time. Every order is
// an acknowledged 201 or a commit whose answer was lost and that a replay
// of its key returns; no order lacks lines, the ledger reconciles, and
// every invariant of DESIGN.md holds.
func TestCrash_KillDuringCheckouts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: kills a shop process (make test runs it)")
	}
	direct := testdb.URL(t, dialect.Postgres)
	env := procEnv(direct)
	if out, err := runShop(t, env, "migrate", "up"); err != nil {
		t.Fatalf("shop migrate up: %v\n%s", err, out)
	}
	p := startShopProc(t, env)
	adminToken, productID, tokens := seedShop(t, env, p.Base, 1_000_000, 20)

	var (
		mu  sync.Mutex
		bad []string
	)
	load := &checkoutLoad{
		Client:    &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}},
		Bases:     []string{p.Base},
		Tokens:    tokens,
		ProductID: productID,
		OnResponse: func(status int, _ http.Header, body []byte) {
			if status >= 500 {
				mu.Lock()
				bad = append(bad, fmt.Sprintf("%d %s", status, body))
				mu.Unlock()
			}
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { load.Run(ctx); close(done) }()
	start := time.Now()
	for i := range 3 {
		time.Sleep(time.Duration(500+rand.IntN(1500)) * time.Millisecond)
		p.Kill()
		t.Logf("kill %d at %v", i+1, time.Since(start).Round(time.Millisecond))
		p.Start()
	}
	time.Sleep(time.Second)
	cancel()
	<-done
	load.Replay(t, p.Base)

	for _, b := range bad {
		t.Error(b)
	}
	db := testdb.Open(t, direct)
	orders := db.Client.Order.Query().IDsX(context.Background())
	acked := load.OrderIDs()
	if len(orders) != len(acked) {
		t.Errorf("%d orders in the database, %d acknowledged or replayed", len(orders), len(acked))
	}
	for _, id := range orders {
		if !acked[id] {
			t.Errorf("order %d is neither acknowledged nor returned by a replay", id)
		}
	}
	if len(acked) == 0 {
		t.Fatal("no checkout succeeded")
	}
	bads, err := invariants.Check(context.Background(), db.Client)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bads {
		t.Error(b)
	}
	var rec struct{ Discrepancies []any }
	api{t: t, client: load.Client, base: p.Base}.call("GET", "/api/v1/admin/inventory/reconciliation", adminToken, nil, &rec)
	if len(rec.Discrepancies) != 0 {
		t.Errorf("reconciliation: %v", rec.Discrepancies)
	}
	t.Logf("%v: %d orders; %d commits whose answer was lost returned by replay, %d unanswered keys placed on replay; statuses %v",
		time.Since(start).Round(time.Millisecond), len(orders), load.Replayed, load.PlacedOnReplay, load.Status)
}
