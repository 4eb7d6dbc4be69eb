package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"shop/ent"
	"shop/ent/cartitem"
	"shop/internal/testdb"
	"shop/modules/cart"
)

// counter counts every statement a test server sends to its database,
// below database/sql (database.OpenCounting): Ent's, and River's event
// INSERT on the *sql.Tx under the checkout's Ent transaction. It keeps
// their text.
type counter struct {
	mu      sync.Mutex
	queries []string
}

// countingShop starts the real server on a fresh, migrated database whose
// pool counts every statement (BEGIN and COMMIT included). Webhooks may
// point at loopback (no workers run: nothing is delivered).
func countingShop(t *testing.T, dia string) (*shop, *counter) {
	t.Helper()
	db, ctr := testdb.NewCounting(t, dia)
	c := &counter{}
	ctr.Before = func(_ context.Context, _ int64, query string) {
		c.mu.Lock()
		c.queries = append(c.queries, query)
		c.mu.Unlock()
	}
	return startShop(t, db, withEnv("SHOP_WEBHOOK_ALLOW_PRIVATE", "true")), c
}

// statements sends one request and returns it with the statements the
// server sent to the database while serving it.
func (s *shop) statements(t *testing.T, c *counter, rq req) (*resp, []string) {
	t.Helper()
	c.mu.Lock()
	before := len(c.queries)
	c.mu.Unlock()
	r := s.do(t, rq)
	c.mu.Lock()
	defer c.mu.Unlock()
	return r, append([]string(nil), c.queries[before:]...)
}

// eventInserts counts the statements of qs that insert River jobs: the
// events of a transaction (internal/events). The stock decrement is not
// one of them, though on PostgreSQL it records the inventory.low_stock it
// causes itself (WITH moved AS (UPDATE variants …), low AS (INSERT INTO
// river_job …): TestCheckout_DecrementLast).
func eventInserts(qs []string) int {
	n := 0
	for _, q := range qs {
		l := strings.ToLower(q)
		if strings.Contains(l, "insert into") && strings.Contains(l, "river_job") && !strings.HasPrefix(q, "WITH moved AS (UPDATE variants SET stock") {
			n++
		}
	}
	return n
}

// TestRoundTripBudgets asserts the statement budget of every hot path
// (docs/checkout.md), counted below database/sql so that River's event
// INSERT is seen: cart writes in one guarded statement plus the cart view
// (an add on PostgreSQL in one statement that also answers the cart),
// reads in one statement, checkout in 9 (11 with Idempotency-Key; 8 and 10 on
// PostgreSQL, which takes the cart in one DELETE … RETURNING), of which
// exactly one records the transaction's events — the same with a webhook
// subscribed to order.created as with none (the fan-out to endpoints is the
// workers' job, after the commit). Refusals keep their API.md errors and
// change nothing.
func TestRoundTripBudgets(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s, drv := countingShop(t, dia)
		admin := s.admin(t)
		tools := s.category(t, admin, "tools", nil)
		s.category(t, admin, "saws", &tools)
		hammer := s.product(t, admin, tools, "Hammer", 2500, 5)
		nails := s.product(t, admin, tools, "Nails", 199, 5000)
		off := s.product(t, admin, tools, "Off", 100, 10)
		gone := s.product(t, admin, tools, "Gone", 100, 10)
		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", off.ID), token: admin.Token, body: map[string]any{"is_active": false}}).wantStatus(200)
		s.do(t, req{method: "DELETE", path: path("/api/v1/admin/products/%d", gone.ID), token: admin.Token}).wantStatus(http.StatusNoContent)
		ann := s.register(t, "Budget")

		within := func(name string, got, max int) {
			t.Helper()
			t.Logf("%s: %d statements", name, got)
			if got > max {
				t.Errorf("%s sent %d statements, budget %d", name, got, max)
			}
		}
		add := func(productID, qty int) req {
			return req{method: "POST", path: "/api/v1/cart/items", token: ann.Token, body: map[string]int{"product_id": productID, "quantity": qty}}
		}
		line := func(productID int) int {
			l, err := s.ent.CartItem.Query().Where(cartitem.UserID(ann.ID), cartitem.ProductID(productID)).Only(t.Context())
			if ent.IsNotFound(err) {
				return 0
			}
			if err != nil {
				t.Fatal(err)
			}
			return l.Quantity
		}

		addBudget := 2 // the guarded upsert, then the cart view
		if dia == dialect.Postgres {
			addBudget = 1 // the upsert answers the cart (a data-modifying CTE)
		}
		var c cart.JSON
		r, q := s.statements(t, drv, add(hammer.ID, 2))
		n := len(q)
		r.wantStatus(http.StatusCreated).JSON(&c)
		within("POST /cart/items (new line)", n, addBudget)
		if len(c.Items) != 1 || c.Items[0].Quantity != 2 || c.Items[0].ProductID != hammer.ID || c.Subtotal != 5000 || c.ItemCount != 2 || line(hammer.ID) != 2 {
			t.Fatalf("cart after the first add = %+v, stored %d", c, line(hammer.ID))
		}
		r, q = s.statements(t, drv, add(hammer.ID, 1))
		n = len(q)
		r.wantStatus(http.StatusCreated).JSON(&c)
		within("POST /cart/items (existing line)", n, addBudget)
		if len(c.Items) != 1 || c.Items[0].Quantity != 3 || line(hammer.ID) != 3 {
			t.Fatalf("cart after two adds = %+v, stored %d", c, line(hammer.ID))
		}
		r, q = s.statements(t, drv, add(nails.ID, 999))
		n = len(q)
		c = cart.JSON{}
		r.wantStatus(http.StatusCreated).JSON(&c)
		within("POST /cart/items (second product)", n, addBudget)
		// The answer has both lines in variant order, the new one and the
		// one already there, priced live.
		if len(c.Items) != 2 || c.Items[0].ProductID != hammer.ID || c.Items[0].Quantity != 3 || c.Items[1].ProductID != nails.ID ||
			c.Items[1].Quantity != 999 || c.Subtotal != 3*2500+999*199 || c.ItemCount != 1002 || c.Total != c.Subtotal || !c.Items[1].Available {
			t.Fatalf("cart after adding a second product = %+v", c)
		}

		t.Run("Refusals", func(t *testing.T) {
			s.do(t, add(99999, 1)).wantProblem(http.StatusNotFound, "not_found")
			p := s.do(t, add(off.ID, 1)).wantProblem(http.StatusConflict, "product_unavailable")
			if ids := p["product_ids"].([]any); len(ids) != 1 || ids[0] != float64(off.ID) {
				t.Fatalf("product_ids = %v", p["product_ids"])
			}
			s.do(t, add(gone.ID, 1)).wantProblem(http.StatusConflict, "product_unavailable")
			p = s.do(t, add(hammer.ID, 3)).wantProblem(http.StatusConflict, "insufficient_stock")
			it := p["items"].([]any)[0].(map[string]any)
			if it["product_id"] != float64(hammer.ID) || it["requested"] != float64(6) || it["available"] != float64(5) {
				t.Fatalf("items = %v", p["items"])
			}
			p = s.do(t, add(nails.ID, 2)).wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			if errs := p["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["field"] != "quantity" {
				t.Fatalf("errors = %v", p["errors"])
			}
			if line(hammer.ID) != 3 || line(nails.ID) != 999 || line(off.ID) != 0 || line(gone.ID) != 0 {
				t.Fatalf("lines changed by refusals: hammer %d nails %d off %d gone %d", line(hammer.ID), line(nails.ID), line(off.ID), line(gone.ID))
			}
		})

		r, q = s.statements(t, drv, req{method: "GET", path: "/api/v1/cart", token: ann.Token})
		n = len(q)
		r.wantStatus(http.StatusOK).JSON(&c)
		within("GET /cart", n, 1)
		nailsLine := c.Items[1].ID
		r, q = s.statements(t, drv, req{method: "PATCH", path: path("/api/v1/cart/items/%d", nailsLine), token: ann.Token, body: map[string]int{"quantity": 1000}})
		n = len(q)
		r.wantStatus(http.StatusOK)
		within("PATCH /cart/items/{id}", n, 2)
		r, q = s.statements(t, drv, req{method: "PATCH", path: path("/api/v1/cart/items/%d", nailsLine), token: ann.Token, body: map[string]int{"quantity": 4}})
		n = len(q)
		r.wantStatus(http.StatusOK)
		within("PATCH /cart/items/{id} (lower)", n, 2)
		if line(nails.ID) != 4 {
			t.Fatalf("nails line = %d after PATCH, want 4", line(nails.ID))
		}
		r, q = s.statements(t, drv, req{method: "DELETE", path: path("/api/v1/cart/items/%d", nailsLine), token: ann.Token})
		n = len(q)
		r.wantStatus(http.StatusOK)
		within("DELETE /cart/items/{id}", n, 2)
		if line(nails.ID) != 0 {
			t.Fatal("deleted line still stored")
		}

		// checkout sends one checkout of the cart and checks its budget: 8
		// statements of the order (10 with an Idempotency-Key) plus ONE
		// INSERT recording all its subscribed events as River jobs, on both
		// databases.
		eventJobs := func() int {
			var n int
			if err := s.db.SQL.QueryRowContext(t.Context(), `SELECT count(*) FROM river_job WHERE kind = 'shop_event'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		checkout := func(name string, header map[string]string, events int) (*resp, []string) {
			t.Helper()
			jobs := eventJobs()
			r, q := s.statements(t, drv, req{method: "POST", path: "/api/v1/checkout", token: ann.Token, header: header})
			r.wantStatus(http.StatusCreated)
			if got := eventInserts(q); got != 1 {
				t.Errorf("%s: %d statements insert River jobs, want 1:\n%s", name, got, strings.Join(q, "\n"))
			}
			if got := eventJobs() - jobs; got != events {
				t.Errorf("%s recorded %d events, want %d", name, got, events)
			}
			budget := 9 // SQLite reads the cart's lines, then deletes them
			if dia == dialect.Postgres {
				budget = 8 // one DELETE … RETURNING takes them
			}
			if header["Idempotency-Key"] != "" {
				budget += 2
			}
			within(name, len(q), budget)
			return r, q
		}

		// The same checkouts with a webhook subscribed to their events and
		// with none: the same statements (the events' INSERT records the
		// subscribed ones, and none without a subscriber; the workers fan
		// them out after the commit).
		var o struct{ ID int }
		hook, _ := s.subscribe(t, admin, "http://127.0.0.1:9/", "order.created", "inventory.low_stock")
		s.do(t, add(nails.ID, 2)).wantStatus(http.StatusCreated)
		r, with := checkout("POST /checkout (order.created, inventory.low_stock)", nil, 2)
		r.JSON(&o)
		s.do(t, add(nails.ID, 1)).wantStatus(http.StatusCreated)
		_, withKey := checkout("POST /checkout with Idempotency-Key", map[string]string{"Idempotency-Key": "budget-1"}, 1)
		s.do(t, req{method: "DELETE", path: path("/api/v1/admin/webhooks/%d", hook), token: admin.Token}).wantStatus(http.StatusNoContent)
		s.do(t, add(nails.ID, 1)).wantStatus(http.StatusCreated)
		_, none := checkout("POST /checkout (no webhook)", nil, 0)
		s.do(t, add(nails.ID, 1)).wantStatus(http.StatusCreated)
		_, noneKey := checkout("POST /checkout with Idempotency-Key (no webhook)", map[string]string{"Idempotency-Key": "budget-2"}, 0)
		if len(with) != len(none) || len(withKey) != len(noneKey) {
			t.Errorf("checkout statements with a webhook on order.created %d (%d with key), without %d (%d)", len(with), len(withKey), len(none), len(noneKey))
		}

		// A discount code costs the checkout at most 2 statements more (one
		// guarded UPDATE per limit), and a cart without one nothing: the
		// lines' statement carries the cart's code. The cart view with a
		// code reads it in one more statement.
		s.createDiscount(t, admin, map[string]any{"code": "BUDGET", "type": "percentage", "value": 10, "usage_limit": 100, "per_customer_limit": 5})
		for i, header := range []map[string]string{nil, {"Idempotency-Key": "budget-code"}} {
			s.do(t, add(nails.ID, 1)).wantStatus(http.StatusCreated)
			s.setCode(t, ann, "budget").wantStatus(http.StatusOK)
			r, q = s.statements(t, drv, req{method: "GET", path: "/api/v1/cart", token: ann.Token})
			r.wantStatus(http.StatusOK)
			within("GET /cart (with a code)", len(q), 2)
			r, q = s.statements(t, drv, req{method: "POST", path: "/api/v1/checkout", token: ann.Token, header: header})
			var od struct {
				DiscountAmount int64 `json:"discount_amount"`
			}
			r.wantStatus(http.StatusCreated).JSON(&od)
			if od.DiscountAmount == 0 {
				t.Fatalf("checkout with a code: no discount: %s", r.Body)
			}
			base := [][]string{with, withKey}[i]
			within(fmt.Sprintf("POST /checkout with a code (key %v)", header != nil), len(q), len(base)+2)
			t.Logf("checkout statements: %d without a code, %d with one (key %v)", len(base), len(q), header != nil)
		}

		r, q = s.statements(t, drv, req{method: "GET", path: path("/api/v1/orders/%d", o.ID), token: ann.Token})
		n = len(q)
		var got struct{ Items []struct{ ProductID int } }
		r.wantStatus(http.StatusOK).JSON(&got)
		within("GET /orders/{id}", n, 1)
		if len(got.Items) != 2 {
			t.Fatalf("order has %d items, want 2", len(got.Items))
		}
		_, q = s.statements(t, drv, req{method: "GET", path: path("/api/v1/products/%d", nails.ID)})
		n = len(q)
		within("GET /products/{id}", n, 2) // the product, then its variants
		r, q = s.statements(t, drv, req{method: "GET", path: "/api/v1/products?limit=2"})
		n = len(q)
		r.wantStatus(http.StatusOK)
		within("GET /products", n, 2) // the page, then all its products' variants
		var pg struct {
			NextCursor *string `json:"next_cursor"`
		}
		r.JSON(&pg)
		if pg.NextCursor != nil {
			r, q = s.statements(t, drv, req{method: "GET", path: "/api/v1/products?limit=2&cursor=" + url.QueryEscape(*pg.NextCursor)})
			n = len(q)
			r.wantStatus(http.StatusOK)
			within("GET /products (next page)", n, 2)
		}
		r, q = s.statements(t, drv, req{method: "GET", path: "/api/v1/products?category=tools&sort=name"})
		n = len(q)
		r.wantStatus(http.StatusOK)
		within("GET /products?category=", n, 3) // + the category tree
	})
}
