package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"shop/internal/invariants"
	"shop/internal/testdb"
)

// riverQueue is the revision before River's queue: reverting to it reverts
// every revision from River's on.
const riverQueue = "20261128021000"

// TestSchemaChange_MigrateDownUpUnderLoad is issue 18 item 6: `shop migrate
// down --force --to` the revision before River's (the River, variants and
// discounts revisions and all after them,
// which drop tables, columns and an enum type the checkout uses) and then
// `shop migrate up` run against the database of a `shop serve` process
// while 8 clients check out without pause. Before: 167 of 955 checkouts
// answered 500 internal without Retry-After during the down, and errors
// went on for seconds after the up (statements prepared before the down:
// XX000 "cache lookup failed for type", 0A000 "cached plan must not change
// result type"), and the down itself could fail as a deadlock victim. Now
// every answer is 201 or 503 unavailable with Retry-After, checkouts
// succeed again as soon as the up is done (no 503 a second after it), every
// unanswered key replays, and the invariants hold.
func TestSchemaChange_MigrateDownUpUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: reverts and reapplies a migration under load (make test runs it)")
	}
	direct := testdb.URL(t, dialect.Postgres)
	env := procEnv(direct)
	if out, err := runShop(t, env, "migrate", "up"); err != nil {
		t.Fatalf("shop migrate up: %v\n%s", err, out)
	}
	p := startShopProc(t, env)
	adminToken, productID, tokens := seedShop(t, env, p.Base, 1_000_000, 8)

	type answer struct {
		at     time.Time
		status int
	}
	var (
		mu      sync.Mutex
		answers []answer
		bad     []string
	)
	load := &checkoutLoad{
		Client:    &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}},
		Bases:     []string{p.Base},
		Tokens:    tokens,
		ProductID: productID,
		OnResponse: func(status int, h http.Header, body []byte) {
			mu.Lock()
			defer mu.Unlock()
			answers = append(answers, answer{time.Now(), status})
			switch {
			case status == http.StatusServiceUnavailable:
				if h.Get("Retry-After") == "" || !bytes.Contains(body, []byte(`"code":"unavailable"`)) {
					bad = append(bad, fmt.Sprintf("503 without Retry-After or code unavailable: %v %s", h, body))
				}
				if bytes.Contains(body, []byte("SQLSTATE")) || bytes.Contains(body, []byte("relation")) {
					bad = append(bad, fmt.Sprintf("the 503 leaks internals: %s", body))
				}
			case status >= 500 || status == 0:
				bad = append(bad, fmt.Sprintf("status %d: %s", status, body))
			}
		},
	}
	ctx, stopLoad := context.WithCancel(context.Background())
	loadDone := make(chan struct{})
	go func() { load.Run(ctx); close(loadDone) }()
	defer func() { stopLoad(); <-loadDone }()

	time.Sleep(2 * time.Second)
	downStart := time.Now()
	if out, err := runShop(t, env, "migrate", "down", "--force", "--to", riverQueue); err != nil {
		t.Fatalf("shop migrate down --force: %v\n%s", err, out)
	}
	downDone := time.Now()
	time.Sleep(2 * time.Second)
	if out, err := runShop(t, env, "migrate", "up"); err != nil {
		t.Fatalf("shop migrate up: %v\n%s", err, out)
	}
	upDone := time.Now()
	time.Sleep(3 * time.Second)
	stopLoad()
	<-loadDone
	load.Replay(t, p.Base)

	mu.Lock()
	defer mu.Unlock()
	for _, b := range bad {
		t.Error(b)
	}
	count := func(from, to time.Time) map[int]int {
		c := map[int]int{}
		for _, a := range answers {
			if !a.at.Before(from) && a.at.Before(to) {
				c[a.status]++
			}
		}
		return c
	}
	sort.Slice(answers, func(i, j int) bool { return answers[i].at.Before(answers[j].at) })
	firstOK, lastRefusal := time.Duration(-1), time.Duration(0)
	for _, a := range answers {
		if a.at.Before(upDone) {
			continue
		}
		if a.status == http.StatusCreated && firstOK < 0 {
			firstOK = a.at.Sub(upDone)
		}
		if a.status == http.StatusServiceUnavailable {
			lastRefusal = a.at.Sub(upDone)
		}
	}
	during := count(downStart, upDone)
	if during[http.StatusServiceUnavailable] == 0 {
		t.Error("no 503 while the discounts revision was reverted: the test did not exercise a schema change")
	}
	// Recovery is immediate: the figures are logged; the bounds are ones a
	// loaded CI machine keeps (before the pool dropped stale statements,
	// 503s went on 2.8 s after the up).
	if firstOK < 0 || firstOK > 5*time.Second {
		t.Errorf("first 201 %v after migrate up, want within 5 s", firstOK)
	}
	if lastRefusal > time.Second {
		t.Errorf("503 answered %v after migrate up: statements prepared before the revert outlived it", lastRefusal)
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
	t.Logf("down took %v, up %v; before down %v; from down to up %v; after up %v (first 201 %v after up, last 503 %v after up); %d orders, %d replayed, %d placed on replay",
		downDone.Sub(downStart).Round(time.Millisecond), upDone.Sub(downDone.Add(2*time.Second)).Round(time.Millisecond),
		count(time.Time{}, downStart), during, count(upDone, time.Now()),
		firstOK.Round(time.Millisecond), lastRefusal.Round(time.Millisecond), len(orders), load.Replayed, load.PlacedOnReplay)
}
