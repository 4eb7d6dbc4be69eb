package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"shop/ent/discount"
	"shop/ent/order"
	"shop/internal/invariants"
	"shop/internal/testdb"
)

// TestCrash_KillDuringDiscountedCheckouts is issue 20's crash test: `shop
// serve` is SIGKILLed three times at random moments while 16 customers
// check out, over and over, with a discount code limited in all
// (usage_limit) and per customer (per_customer_limit), each checkout with
// an Idempotency-Key; it is restarted each time, and a checkout left
// without an answer is sent again with the same key until it gets one, as
// a client does. Every key then ends in one order (201, or 200 for a
// commit whose answer was lost) or a discount_exhausted refusal, and a
// replay of every key at the end answers the same. The code's times_used
// equals its redemptions by live orders and reaches the limit exactly, each
// customer's usage row counts their orders, no order lacks an answered key,
// and every invariant holds (stock, ledger, discounts).
func TestCrash_KillDuringDiscountedCheckouts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: kills a shop process (make test runs it)")
	}
	testdb.Each(t, func(t *testing.T, dia string) {
		const buyers, perCustomer, limit = 16, 24, 320
		direct := testdb.URL(t, dia)
		env := procEnv(direct)
		if out, err := runShop(t, env, "migrate", "up"); err != nil {
			t.Fatalf("shop migrate up: %v\n%s", err, out)
		}
		p := startShopProc(t, env)
		adminToken, productID, tokens := seedShop(t, env, p.Base, 1_000_000, buyers)
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
		var d struct{ ID int }
		api{t: t, client: client, base: p.Base}.call("POST", "/api/v1/admin/discounts", adminToken, map[string]any{
			"code": "CRASH10", "type": "percentage", "value": 10, "usage_limit": limit, "per_customer_limit": perCustomer}, &d)

		type outcome struct {
			token    string
			status   int // 201, 200 or 409
			order    int
			lost     bool // sent at least once without an answer
			replayed bool // the answer said Idempotent-Replayed
		}
		var (
			mu       sync.Mutex
			keys     = map[string]*outcome{}
			bad      []string
			statuses = map[int]int{}
		)
		fail := func(format string, args ...any) {
			mu.Lock()
			bad = append(bad, fmt.Sprintf(format, args...))
			mu.Unlock()
		}
		ctx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
		defer stop()
		// send repeats a request while it gets no answer (the server is
		// down or restarting) or 503, and returns the first answer.
		send := func(method, path, token string, body []byte, hdr map[string]string, lost *bool) (int, http.Header, []byte) {
			for {
				st, h, b, _ := rawDo(ctx, client, method, p.Base+path, token, body, hdr)
				mu.Lock()
				statuses[st]++
				mu.Unlock()
				if st != 0 && st != http.StatusServiceUnavailable {
					return st, h, b
				}
				if st == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
					fail("%s %s: 503 without Retry-After: %s", method, path, b)
				}
				if ctx.Err() != nil {
					return 0, nil, nil
				}
				if lost != nil {
					*lost = true
				}
				pause(ctx, 20*time.Millisecond)
			}
		}
		add := []byte(fmt.Sprintf(`{"product_id":%d,"quantity":1}`, productID))
		code := []byte(`{"code":"crash10"}`)
		var wg sync.WaitGroup
		for i, tok := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ctx.Err() == nil; n++ {
					pause(ctx, time.Duration(40+rand.IntN(80))*time.Millisecond)
					if st, _, b := send("POST", "/api/v1/cart/items", tok, add, nil, nil); st != http.StatusCreated {
						fail("buyer %d: add to cart: %d %s", i, st, b)
						return
					}
					switch st, _, b := send("PUT", "/api/v1/cart/discount", tok, code, nil, nil); {
					case st == http.StatusConflict && bytes.Contains(b, []byte(`"discount_exhausted"`)):
						return // used up, in all or by this customer
					case st != http.StatusOK:
						fail("buyer %d: set code: %d %s", i, st, b)
						return
					}
					key := fmt.Sprintf("crash-%d-%d", i, n)
					o := &outcome{token: tok}
					mu.Lock()
					keys[key] = o
					mu.Unlock()
					st, h, b := send("POST", "/api/v1/checkout", tok, nil, map[string]string{"Idempotency-Key": key}, &o.lost)
					mu.Lock()
					o.status, o.replayed = st, h.Get("Idempotent-Replayed") == "true"
					mu.Unlock()
					switch {
					case st == http.StatusCreated || st == http.StatusOK:
						var got struct {
							ID           int
							DiscountCode *string `json:"discount_code"`
						}
						_ = json.Unmarshal(b, &got)
						mu.Lock()
						o.order = got.ID
						mu.Unlock()
						if got.DiscountCode == nil {
							fail("key %s: order %d without the code: %s", key, got.ID, b)
						}
					case st == http.StatusConflict && bytes.Contains(b, []byte(`"discount_exhausted"`)):
						return
					default:
						fail("key %s: checkout: %d %s", key, st, b)
						return
					}
				}
			}()
		}
		start := time.Now()
		buying := make(chan struct{})
		go func() { wg.Wait(); close(buying) }()
		kills := 0
		for range 3 {
			select {
			case <-buying:
			case <-time.After(time.Duration(300+rand.IntN(900)) * time.Millisecond):
				p.Kill()
				kills++
				t.Logf("kill %d at %v", kills, time.Since(start).Round(time.Millisecond))
				p.Start()
			}
		}
		<-buying
		if kills < 2 {
			t.Errorf("the code was used up after %d kills: the test needs a longer load", kills)
		}
		if ctx.Err() != nil {
			t.Fatalf("the buyers did not use the code up within %v", time.Since(start))
		}
		elapsed := time.Since(start)

		// Every key replayed once more answers what it answered: the same
		// order (200, replayed), or the same refusal.
		replayClient := api{t: t, client: client, base: p.Base}
		lost, committedLost, placedOnReplay, refused := 0, 0, 0, 0
		acked := map[int]string{}
		for key, o := range keys {
			st, h, b, err := rawDo(context.Background(), client, "POST", p.Base+"/api/v1/checkout", o.token, nil, map[string]string{"Idempotency-Key": key})
			if err != nil {
				t.Fatalf("replay %s: %v", key, err)
			}
			switch o.status {
			case http.StatusCreated, http.StatusOK:
				var got struct{ ID int }
				_ = json.Unmarshal(b, &got)
				if st != http.StatusOK || got.ID != o.order || h.Get("Idempotent-Replayed") != "true" {
					t.Errorf("replay %s of order %d: %d %s", key, o.order, st, b)
				}
				if prev, dup := acked[o.order]; dup {
					t.Errorf("order %d answered to two keys, %s and %s", o.order, prev, key)
				}
				acked[o.order] = key
			case http.StatusConflict:
				refused++
				if st != http.StatusConflict || !bytes.Contains(b, []byte(`"discount_exhausted"`)) {
					t.Errorf("replay %s of a discount_exhausted refusal: %d %s", key, st, b)
				}
			}
			if o.lost {
				lost++
				switch {
				case o.status == http.StatusOK && o.replayed:
					committedLost++
				case o.status == http.StatusCreated:
					placedOnReplay++
				}
			}
		}
		for _, b := range bad {
			t.Error(b)
		}

		db := testdb.Open(t, direct)
		ctxb := context.Background()
		orders := db.Client.Order.Query().AllX(ctxb)
		if len(orders) != len(acked) {
			t.Errorf("%d orders in the database, %d answered to a key", len(orders), len(acked))
		}
		perUser := map[int]int{}
		for _, o := range orders {
			if acked[o.ID] == "" {
				t.Errorf("order %d was never answered to a key", o.ID)
			}
			if o.DiscountID == nil || *o.DiscountID != d.ID || o.Status == order.StatusCancelled {
				t.Errorf("order %d: discount %v, status %s", o.ID, o.DiscountID, o.Status)
			}
			perUser[o.UserID]++
		}
		for u, n := range perUser {
			if n > perCustomer {
				t.Errorf("user %d has %d orders with the code, per_customer_limit %d", u, n, perCustomer)
			}
		}
		dc := db.Client.Discount.Query().Where(discount.ID(d.ID)).OnlyX(ctxb)
		live := db.Client.Order.Query().Where(order.DiscountID(d.ID), order.StatusNEQ(order.StatusCancelled)).CountX(ctxb)
		if dc.TimesUsed != live || live != limit {
			t.Errorf("times_used %d, live orders with the code %d, usage_limit %d: want all equal", dc.TimesUsed, live, limit)
		}
		bads, err := invariants.Check(ctxb, db.Client)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bads {
			t.Error(b)
		}
		var rec struct {
			Discrepancies         []any
			DiscountDiscrepancies []any `json:"discount_discrepancies"`
		}
		replayClient.call("GET", "/api/v1/admin/inventory/reconciliation", adminToken, nil, &rec)
		if len(rec.Discrepancies) != 0 || len(rec.DiscountDiscrepancies) != 0 {
			t.Errorf("reconciliation: %v %v", rec.Discrepancies, rec.DiscountDiscrepancies)
		}
		t.Logf("%s, %v, %d kills: %d keys, %d orders, %d refused; %d keys sent again after a kill: %d had committed (200 replayed), %d placed on resend; statuses of all requests %v",
			dia, elapsed.Round(time.Millisecond), kills, len(keys), len(orders), refused, lost, committedLost, placedOnReplay, statuses)
	})
}
