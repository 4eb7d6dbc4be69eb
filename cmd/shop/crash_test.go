package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"shop/internal/testdb"
)

// TestMain lets the test binary run as the shop itself (SHOP_TEST_AS_SHOP=1),
// so the crash test starts and SIGKILLs a real `shop serve` process without
// building another binary.
func TestMain(m *testing.M) {
	if os.Getenv("SHOP_TEST_AS_SHOP") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// startShop runs `shop serve` as a subprocess with vars and waits until it
// is healthy.
func startShop(t *testing.T, vars map[string]string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), "SHOP_TEST_AS_SHOP=1", "SHOP_BCRYPT_COST=4")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + vars["SHOP_ADDR"]
	for deadline := time.Now().Add(60 * time.Second); ; {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return cmd
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("shop serve did not become healthy")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func call(t *testing.T, base, method, path, token string, body any, want int, out any) {
	t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	rq, _ := http.NewRequest(method, base+path, bytes.NewReader(raw))
	rq.Header.Set("Content-Type", "application/json")
	if token != "" {
		rq.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCrash_EveryOrderCreatedDelivered: concurrent checkouts on an API-only
// `shop serve`, SIGKILLed while they are in flight, before anything is
// delivered; a restarted `shop serve` (with workers) delivers order.created
// for exactly the orders the database holds (every committed one, none
// that rolled back).
func TestCrash_EveryOrderCreatedDelivered(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: kills a shop process (make test runs it)")
	}
	url := testdb.URL(t, dialect.Postgres)
	if _, err := runCmd(t, url, "migrate", "up"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, url, "user", "create", "--email", "ops@example.com", "--password", "ops-password", "--role", "admin"); err != nil {
		t.Fatal(err)
	}
	var (
		mu  sync.Mutex
		got = map[float64]int{}
	)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Type string
			Data struct{ ID float64 }
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		got[ev.Data.ID]++
		mu.Unlock()
	}))
	defer rcv.Close()

	vars := map[string]string{
		"DATABASE_URL": url, "SHOP_ADDR": freeAddr(t), "SHOP_JWT_SECRET": "crash-test-secret-crash-test-secret",
		"SHOP_WEBHOOK_ALLOW_PRIVATE": "true", "SHOP_WORKERS": "false", "SHOP_WORKER_POLL_INTERVAL": "100ms",
		"SHOP_AUTH_RATE_LIMIT": "0", "SHOP_BCRYPT_COST": "4",
	}
	first := startShop(t, vars)
	base := "http://" + vars["SHOP_ADDR"]
	var login struct{ Token string }
	call(t, base, "POST", "/api/v1/auth/login", "", map[string]string{"email": "ops@example.com", "password": "ops-password"}, 200, &login)
	call(t, base, "POST", "/api/v1/admin/webhooks", login.Token, map[string]any{"url": rcv.URL, "events": []string{"order.created"}}, 201, nil)
	var cat, prod struct{ ID int }
	call(t, base, "POST", "/api/v1/admin/categories", login.Token, map[string]string{"name": "Crash", "slug": "crash"}, 201, &cat)
	call(t, base, "POST", "/api/v1/admin/products", login.Token, map[string]any{"category_id": cat.ID, "name": "Crash", "price": 100, "stock": 100}, 201, &prod)
	// Checkouts of n shoppers run at once; the process is SIGKILLed while
	// they are in flight (after the first answer), so some commit with
	// their answer lost, some never commit. What must be delivered is what
	// the database holds, not what was acknowledged.
	const n = 20
	tokens := make([]string, n)
	for i := range n {
		var reg struct{ Token string }
		call(t, base, "POST", "/api/v1/auth/register", "", map[string]string{"email": fmt.Sprintf("c%d@example.com", i), "password": "password-123", "name": "C"}, 201, &reg)
		call(t, base, "POST", "/api/v1/cart/items", reg.Token, map[string]int{"product_id": prod.ID, "quantity": 1}, 201, nil)
		tokens[i] = reg.Token
	}
	answered := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rq, _ := http.NewRequest("POST", base+"/api/v1/checkout", nil)
			rq.Header.Set("Authorization", "Bearer "+tok)
			if res, err := http.DefaultClient.Do(rq); err == nil {
				res.Body.Close()
				answered <- struct{}{}
			}
		}()
	}
	select {
	case <-answered:
	case <-time.After(30 * time.Second):
		t.Fatal("no checkout answered")
	}
	time.Sleep(15 * time.Millisecond) // let a few more commit, some unanswered
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	wg.Wait()
	mu.Lock()
	if len(got) != 0 {
		t.Fatalf("delivered before the crash: %v", got)
	}
	mu.Unlock()
	db := testdb.Open(t, url)
	ids := db.Client.Order.Query().IDsX(context.Background())
	if len(ids) == 0 {
		t.Fatal("no checkout committed before the kill")
	}
	orders := make([]float64, len(ids))
	for i, id := range ids {
		orders[i] = float64(id)
	}
	t.Logf("%d of %d checkouts committed before the SIGKILL, %d answered", len(ids), n, len(answered)+1)

	vars["SHOP_WORKERS"] = "true"
	vars["SHOP_ADDR"] = freeAddr(t)
	startShop(t, vars)
	for deadline := time.Now().Add(60 * time.Second); ; {
		mu.Lock()
		k := len(got)
		mu.Unlock()
		if k >= len(orders) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart %d of %d committed orders delivered: %v", k, len(orders), got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range orders {
		if got[id] == 0 {
			t.Errorf("order %v not delivered (got %s)", id, strings.TrimSpace(fmt.Sprint(got)))
		}
	}
	if len(got) != len(orders) {
		t.Errorf("delivered %d orders, the database holds %d: an event for an order that never committed", len(got), len(orders))
	}
}
