package e2e

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"shop/internal/invariants"
	"shop/internal/migrate"
	"shop/internal/testdb"
)

// lines returns the JSON log lines whose msg is msg.
func (b *syncBuffer) lines(msg string) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// TestDatabaseOutage is issue 10 item 3: a private PostgreSQL is stopped
// under checkout load. Before: every request answered 500 internal without
// Retry-After, with one ERROR line per request. After: 503 unavailable with
// Retry-After on every route, one log line a second with a count, recovery
// without restarting the shop, and the invariants hold.
func TestDatabaseOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: stops and restarts a PostgreSQL cluster (make test runs it)")
	}
	cl := testdb.StartCluster(t)
	admin, err := sql.Open("pgx", cl.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE shop`); err != nil {
		t.Fatal(err)
	}
	db := testdb.Open(t, cl.URL("shop"))
	dir, err := migrate.Dir(db.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Up(context.Background(), db.SQL, db.Dialect, dir); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	s := newShopOn(t, db, logs)
	adm := s.admin(t)
	cat := s.category(t, adm, "outage", nil)
	p := s.product(t, adm, cat, "Outage", 100, 1_000_000)
	load := &checkoutLoad{Client: s.http, Bases: []string{s.base}, ProductID: p.ID}
	for i := range 8 {
		load.Tokens = append(load.Tokens, s.register(t, fmt.Sprintf("Load%d", i)).Token)
	}
	var (
		mu       sync.Mutex
		outage   bool
		refusals int
		bad      []string
	)
	load.OnResponse = func(status int, h http.Header, body []byte) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case status == http.StatusServiceUnavailable:
			refusals++
			if h.Get("Retry-After") == "" || !bytes.Contains(body, []byte(`"code":"unavailable"`)) {
				bad = append(bad, fmt.Sprintf("503 without Retry-After or code unavailable: %v %s", h, body))
			}
		case status >= 500 || (status == 0 && !outage):
			bad = append(bad, fmt.Sprintf("status %d: %s", status, body))
		}
	}
	ctx, stopLoad := context.WithCancel(context.Background())
	loadDone := make(chan struct{})
	go func() { load.Run(ctx); close(loadDone) }()
	defer func() { stopLoad(); <-loadDone }()

	time.Sleep(time.Second)
	mu.Lock()
	outage = true
	mu.Unlock()
	down := time.Now()
	cl.Stop()
	time.Sleep(time.Second)

	// Every route that needs the database says 503 with Retry-After.
	for _, r := range []struct{ method, path, token, body string }{
		{"GET", "/api/v1/products", "", ""},
		{"GET", fmt.Sprintf("/api/v1/products/%d", p.ID), "", ""},
		{"GET", "/api/v1/categories", "", ""},
		{"POST", "/api/v1/auth/login", "", `{"email":"a@example.com","password":"whatever-1"}`},
		{"POST", "/api/v1/auth/register", "", `{"email":"new@example.com","password":"whatever-1","name":"N"}`},
		{"GET", "/api/v1/cart", load.Tokens[0], ""},
		{"POST", "/api/v1/checkout", load.Tokens[0], ""},
		{"GET", "/api/v1/orders", load.Tokens[0], ""},
		{"GET", "/api/v1/me", load.Tokens[0], ""},
		{"GET", "/api/v1/admin/orders", adm.Token, ""},
		{"POST", "/admin/graphql", adm.Token, `{"query":"{ __typename }"}`},
		{"GET", "/readyz", "", ""},
	} {
		var body []byte
		if r.body != "" {
			body = []byte(r.body)
		}
		start := time.Now()
		st, h, b, err := rawDo(context.Background(), s.http, r.method, s.base+r.path, r.token, body, nil)
		if err != nil {
			t.Fatalf("%s %s during the outage: %v", r.method, r.path, err)
		}
		if st != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || !bytes.Contains(b, []byte(`"code":"unavailable"`)) {
			t.Errorf("%s %s during the outage: %d Retry-After %q %s, want 503 unavailable with Retry-After", r.method, r.path, st, h.Get("Retry-After"), b)
		}
		if bytes.Contains(b, []byte("SQLSTATE")) || bytes.Contains(b, []byte("dial")) || bytes.Contains(b, []byte("127.0.0.1")) {
			t.Errorf("%s %s: the 503 leaks internals: %s", r.method, r.path, b)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s %s: the 503 took %v", r.method, r.path, d)
		}
	}
	time.Sleep(time.Second)

	cl.Start()
	outageFor := time.Since(down)
	// Recovery without restarting the shop.
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, _, _, _ := rawDo(context.Background(), s.http, "GET", s.base+"/api/v1/products", "", nil, nil)
		if st == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the shop did not recover 30 s after the database came back (last status %d)", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	outage = false
	mu.Unlock()
	before := len(load.OrderIDs())
	time.Sleep(2 * time.Second)
	stopLoad()
	<-loadDone
	if after := len(load.OrderIDs()); after <= before {
		t.Errorf("no checkout succeeded after recovery (%d orders before, %d after)", before, after)
	}
	load.Replay(t, s.base)

	mu.Lock()
	for _, b := range bad {
		t.Error(b)
	}
	if refusals == 0 {
		t.Error("the load saw no 503 during the outage")
	}
	mu.Unlock()

	// Orders = acknowledged checkouts (answers lost in the outage replayed).
	orders := s.ent.Order.Query().IDsX(context.Background())
	acked := load.OrderIDs()
	if len(orders) != len(acked) {
		t.Errorf("%d orders in the database, %d acknowledged", len(orders), len(acked))
	}
	for _, id := range orders {
		if !acked[id] {
			t.Errorf("order %d was never acknowledged nor replayable", id)
		}
	}
	bads, err := invariants.Check(context.Background(), s.ent)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bads {
		t.Error(b)
	}
	var rec struct{ Discrepancies []any }
	s.do(t, req{method: "GET", path: "/api/v1/admin/inventory/reconciliation", token: adm.Token}).wantStatus(200).JSON(&rec)
	if len(rec.Discrepancies) != 0 {
		t.Errorf("reconciliation: %v", rec.Discrepancies)
	}

	// Logged at most once a second, with a count; never once per request.
	lines := logs.lines("service unavailable")
	counted := 0
	for _, l := range lines {
		n, _ := l["count"].(float64)
		counted += int(n)
	}
	if max := int(outageFor/time.Second) + 3; len(lines) == 0 || len(lines) > max {
		t.Errorf("%d 'service unavailable' log lines for an outage of %v, want 1..%d", len(lines), outageFor, max)
	}
	if per := logs.lines("request failed"); len(per) != 0 {
		t.Errorf("%d per-request error lines during the outage, e.g. %v", len(per), per[0])
	}
	t.Logf("outage %v: %d 503s to the load, %d log lines counting %d; status counts %v; %d orders",
		outageFor.Round(time.Millisecond), refusals, len(lines), counted, load.Status, len(orders))
	if !strings.Contains(fmt.Sprint(load.Status), "201") && len(acked) == 0 {
		t.Error("no checkout succeeded at all")
	}
}
