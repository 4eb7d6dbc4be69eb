package e2e

import (
	"net/http"
	"net/url"
	"testing"

	entsql "entgo.io/ent/dialect/sql"

	"shop/ent"
	"shop/ent/cartitem"
	"shop/internal/database"
	"shop/internal/testdb"
	"shop/modules/cart"
)

// countingShop starts the real server on a database whose Ent client counts
// every statement it sends (BEGIN and COMMIT included).
func countingShop(t *testing.T, dia string) (*shop, *database.CountingDriver) {
	t.Helper()
	db := testdb.New(t, dia)
	drv := &database.CountingDriver{Driver: entsql.OpenDB(db.Dialect, db.SQL)}
	counted := *db
	counted.Client = ent.NewClient(ent.Driver(drv))
	return startShop(t, &counted), drv
}

// statements sends one request and returns it with the number of
// statements the server sent to the database while serving it.
func (s *shop) statements(t *testing.T, drv *database.CountingDriver, rq req) (*resp, int) {
	t.Helper()
	before := drv.N.Load()
	r := s.do(t, rq)
	return r, int(drv.N.Load() - before)
}

// TestRoundTripBudgets asserts the statement budget of every hot path
// (docs/checkout.md): cart writes in one guarded statement plus the cart
// view, reads in one statement, checkout in 8 (10 with Idempotency-Key).
// Refusals keep their API.md errors and change nothing.
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

		var c cart.JSON
		r, n := s.statements(t, drv, add(hammer.ID, 2))
		r.wantStatus(http.StatusCreated).JSON(&c)
		within("POST /cart/items (new line)", n, 2)
		r, n = s.statements(t, drv, add(hammer.ID, 1))
		r.wantStatus(http.StatusCreated).JSON(&c)
		within("POST /cart/items (existing line)", n, 2)
		if len(c.Items) != 1 || c.Items[0].Quantity != 3 || line(hammer.ID) != 3 {
			t.Fatalf("cart after two adds = %+v, stored %d", c, line(hammer.ID))
		}
		r, n = s.statements(t, drv, add(nails.ID, 999))
		r.wantStatus(http.StatusCreated)
		within("POST /cart/items (second product)", n, 2)

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

		r, n = s.statements(t, drv, req{method: "GET", path: "/api/v1/cart", token: ann.Token})
		r.wantStatus(http.StatusOK).JSON(&c)
		within("GET /cart", n, 1)
		nailsLine := c.Items[1].ID
		r, n = s.statements(t, drv, req{method: "PATCH", path: path("/api/v1/cart/items/%d", nailsLine), token: ann.Token, body: map[string]int{"quantity": 1000}})
		r.wantStatus(http.StatusOK)
		within("PATCH /cart/items/{id}", n, 2)
		r, n = s.statements(t, drv, req{method: "PATCH", path: path("/api/v1/cart/items/%d", nailsLine), token: ann.Token, body: map[string]int{"quantity": 4}})
		r.wantStatus(http.StatusOK)
		within("PATCH /cart/items/{id} (lower)", n, 2)
		if line(nails.ID) != 4 {
			t.Fatalf("nails line = %d after PATCH, want 4", line(nails.ID))
		}
		r, n = s.statements(t, drv, req{method: "DELETE", path: path("/api/v1/cart/items/%d", nailsLine), token: ann.Token})
		r.wantStatus(http.StatusOK)
		within("DELETE /cart/items/{id}", n, 2)
		if line(nails.ID) != 0 {
			t.Fatal("deleted line still stored")
		}

		var o struct{ ID int }
		s.do(t, add(nails.ID, 2)).wantStatus(http.StatusCreated)
		r, n = s.statements(t, drv, req{method: "POST", path: "/api/v1/checkout", token: ann.Token})
		r.wantStatus(http.StatusCreated).JSON(&o)
		within("POST /checkout", n, 8)
		s.do(t, add(nails.ID, 1)).wantStatus(http.StatusCreated)
		r, n = s.statements(t, drv, req{method: "POST", path: "/api/v1/checkout", token: ann.Token, header: map[string]string{"Idempotency-Key": "budget-1"}})
		r.wantStatus(http.StatusCreated)
		within("POST /checkout with Idempotency-Key", n, 10)

		r, n = s.statements(t, drv, req{method: "GET", path: path("/api/v1/orders/%d", o.ID), token: ann.Token})
		var got struct{ Items []struct{ ProductID int } }
		r.wantStatus(http.StatusOK).JSON(&got)
		within("GET /orders/{id}", n, 1)
		if len(got.Items) != 2 {
			t.Fatalf("order has %d items, want 2", len(got.Items))
		}
		_, n = s.statements(t, drv, req{method: "GET", path: path("/api/v1/products/%d", nails.ID)})
		within("GET /products/{id}", n, 1)
		r, n = s.statements(t, drv, req{method: "GET", path: "/api/v1/products?limit=2"})
		r.wantStatus(http.StatusOK)
		within("GET /products", n, 1)
		var pg struct {
			NextCursor *string `json:"next_cursor"`
		}
		r.JSON(&pg)
		if pg.NextCursor != nil {
			r, n = s.statements(t, drv, req{method: "GET", path: "/api/v1/products?limit=2&cursor=" + url.QueryEscape(*pg.NextCursor)})
			r.wantStatus(http.StatusOK)
			within("GET /products (next page)", n, 1)
		}
		r, n = s.statements(t, drv, req{method: "GET", path: "/api/v1/products?category=tools&sort=name"})
		r.wantStatus(http.StatusOK)
		within("GET /products?category=", n, 2)
	})
}
