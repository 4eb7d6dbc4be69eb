package e2e

import (
	"net/http"
	"sync"
	"testing"

	"shop/ent/cartitem"
	"shop/internal/testdb"
	"shop/modules/cart"
)

func TestCart(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "tools", nil)
		hammer := s.product(t, admin, cat, "Hammer", 2500, 5)
		nails := s.product(t, admin, cat, "Nails", 199, 1000)
		ann := s.register(t, "Ann")

		add := func(u user, productID, qty int) *resp {
			return s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: u.Token, body: map[string]int{"product_id": productID, "quantity": qty}})
		}
		var c cart.JSON
		add(ann, hammer.ID, 2).wantStatus(http.StatusCreated).JSON(&c)
		add(ann, nails.ID, 10).wantStatus(http.StatusCreated)
		add(ann, hammer.ID, 1).wantStatus(http.StatusCreated).JSON(&c)
		if len(c.Items) != 2 || c.Items[0].ProductID != hammer.ID || c.Items[0].Quantity != 3 || c.Items[0].Subtotal != 7500 ||
			c.Total != 7500+1990 || c.ItemCount != 13 || c.Currency != "USD" || !c.Items[0].Available || c.Items[0].ProductName != "Hammer" {
			t.Fatalf("cart = %+v", c)
		}
		if n := s.ent.CartItem.Query().Where(cartitem.UserID(ann.ID), cartitem.ProductID(hammer.ID)).CountX(t.Context()); n != 1 {
			t.Fatalf("%d hammer lines, want 1", n)
		}
		hammerLine := c.Items[0].ID

		t.Run("ErrInsufficientStock", func(t *testing.T) {
			p := add(ann, hammer.ID, 3).wantProblem(http.StatusConflict, "insufficient_stock")
			it := p["items"].([]any)[0].(map[string]any)
			if it["product_id"] != float64(hammer.ID) || it["requested"] != float64(6) || it["available"] != float64(5) {
				t.Fatalf("items = %v", p["items"])
			}
			s.do(t, req{method: "PATCH", path: path("/api/v1/cart/items/%d", hammerLine), token: ann.Token, body: map[string]int{"quantity": 6}}).
				wantProblem(http.StatusConflict, "insufficient_stock")
			if q := s.ent.CartItem.GetX(t.Context(), hammerLine).Quantity; q != 3 {
				t.Fatalf("line quantity = %d after refusals, want 3", q)
			}
		})
		t.Run("ErrValidation", func(t *testing.T) {
			for _, body := range []map[string]any{{"product_id": hammer.ID, "quantity": 0}, {"product_id": hammer.ID, "quantity": 1001}, {"product_id": hammer.ID}, {"quantity": 1}} {
				s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: ann.Token, body: body, invalid: true}).
					wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			}
			for _, id := range []int{99999, 0, -5} {
				add(ann, id, 1).wantProblem(http.StatusNotFound, "not_found")
			}
		})
		t.Run("ErrMassAssignment", func(t *testing.T) {
			bob := s.register(t, "Bobby")
			s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: ann.Token, invalid: true,
				body: map[string]any{"product_id": nails.ID, "quantity": 1, "user_id": bob.ID}}).wantProblem(http.StatusBadRequest, "malformed_request")
			s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: ann.Token, invalid: true,
				body: map[string]any{"product_id": nails.ID, "quantity": 1, "unit_price": 1}}).wantProblem(http.StatusBadRequest, "malformed_request")
			if n := s.ent.CartItem.Query().Where(cartitem.UserID(bob.ID)).CountX(t.Context()); n != 0 {
				t.Fatalf("bob has %d lines", n)
			}
		})
		t.Run("Unavailable", func(t *testing.T) {
			s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", nails.ID), token: admin.Token, body: map[string]any{"is_active": false}}).wantStatus(200)
			p := add(ann, nails.ID, 1).wantProblem(http.StatusConflict, "product_unavailable")
			if ids := p["product_ids"].([]any); len(ids) != 1 || ids[0] != float64(nails.ID) {
				t.Fatalf("product_ids = %v", p["product_ids"])
			}
			s.do(t, req{method: "GET", path: "/api/v1/cart", token: ann.Token}).wantStatus(200).JSON(&c)
			if c.Items[1].ProductID != nails.ID || c.Items[1].Available || !c.Items[0].Available {
				t.Fatalf("cart after deactivation = %+v", c.Items)
			}
			s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", nails.ID), token: admin.Token, body: map[string]any{"is_active": true}}).wantStatus(200)
			gone := s.product(t, admin, cat, "Gone", 100, 5)
			add(ann, gone.ID, 1).wantStatus(http.StatusCreated)
			s.do(t, req{method: "DELETE", path: path("/api/v1/admin/products/%d", gone.ID), token: admin.Token}).wantStatus(http.StatusNoContent)
			add(ann, gone.ID, 1).wantProblem(http.StatusConflict, "product_unavailable")
			s.do(t, req{method: "GET", path: "/api/v1/cart", token: ann.Token}).wantStatus(200).JSON(&c)
			if last := c.Items[len(c.Items)-1]; last.ProductID != gone.ID || last.Available || last.ProductName != "Gone" {
				t.Fatalf("deleted product's line = %+v", last)
			}
			s.do(t, req{method: "DELETE", path: path("/api/v1/cart/items/%d", c.Items[len(c.Items)-1].ID), token: ann.Token}).wantStatus(200)
		})
		t.Run("LivePrices", func(t *testing.T) {
			s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", hammer.ID), token: admin.Token, body: map[string]any{"price": 3000}}).wantStatus(200)
			s.do(t, req{method: "GET", path: "/api/v1/cart", token: ann.Token}).wantStatus(200).JSON(&c)
			if c.Items[0].UnitPrice != 3000 || c.Items[0].Subtotal != 9000 {
				t.Fatalf("cart not repriced: %+v", c.Items[0])
			}
		})
		t.Run("BOLA", func(t *testing.T) {
			eve := s.register(t, "Eve")
			s.do(t, req{method: "PATCH", path: path("/api/v1/cart/items/%d", hammerLine), token: eve.Token, body: map[string]int{"quantity": 1}}).
				wantProblem(http.StatusNotFound, "not_found")
			s.do(t, req{method: "DELETE", path: path("/api/v1/cart/items/%d", hammerLine), token: eve.Token}).
				wantProblem(http.StatusNotFound, "not_found")
			var ec cart.JSON
			s.do(t, req{method: "GET", path: "/api/v1/cart", token: eve.Token}).wantStatus(200).JSON(&ec)
			if len(ec.Items) != 0 {
				t.Fatalf("eve sees %+v", ec.Items)
			}
			s.do(t, req{method: "DELETE", path: "/api/v1/cart", token: eve.Token}).wantStatus(http.StatusNoContent)
			if l := s.ent.CartItem.GetX(t.Context(), hammerLine); l.Quantity != 3 || l.UserID != ann.ID {
				t.Fatalf("ann's line after eve's attempts = %+v", l)
			}
			s.do(t, req{method: "GET", path: "/api/v1/cart"}).wantProblem(http.StatusUnauthorized, "unauthorized")
		})
		t.Run("UpdateRemoveClear", func(t *testing.T) {
			s.do(t, req{method: "PATCH", path: path("/api/v1/cart/items/%d", hammerLine), token: ann.Token, body: map[string]int{"quantity": 1}}).wantStatus(200).JSON(&c)
			if c.Items[0].Quantity != 1 {
				t.Fatalf("after PATCH: %+v", c.Items[0])
			}
			if q := s.ent.CartItem.GetX(t.Context(), hammerLine).Quantity; q != 1 {
				t.Fatalf("stored quantity %d after PATCH, want 1", q)
			}
			s.do(t, req{method: "DELETE", path: path("/api/v1/cart/items/%d", hammerLine), token: ann.Token}).wantStatus(200).JSON(&c)
			if len(c.Items) != 1 || c.Items[0].ProductID != nails.ID {
				t.Fatalf("after DELETE: %+v", c.Items)
			}
			if ok, _ := s.ent.CartItem.Query().Where(cartitem.ID(hammerLine)).Exist(t.Context()); ok {
				t.Fatal("deleted line still stored")
			}
			s.do(t, req{method: "DELETE", path: path("/api/v1/cart/items/%d", hammerLine), token: ann.Token}).wantProblem(http.StatusNotFound, "not_found")
			s.do(t, req{method: "DELETE", path: "/api/v1/cart", token: ann.Token}).wantStatus(http.StatusNoContent)
			if n := s.ent.CartItem.Query().Where(cartitem.UserID(ann.ID)).CountX(t.Context()); n != 0 {
				t.Fatalf("%d lines after clear", n)
			}
		})
	})
}

func TestCart_ConcurrentAdds(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "tools", nil)
		p := s.product(t, admin, cat, "Hammer", 2500, 100)
		u := s.register(t, "Con")
		const n = 10
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: u.Token, body: map[string]int{"product_id": p.ID, "quantity": 1}}).Status
			}()
		}
		wg.Wait()
		for i, st := range statuses {
			if st != http.StatusCreated {
				t.Errorf("add %d: status %d", i, st)
			}
		}
		lines := s.ent.CartItem.Query().Where(cartitem.UserID(u.ID)).AllX(t.Context())
		if len(lines) != 1 || lines[0].Quantity != n {
			t.Fatalf("lines = %+v, want one line of %d", lines, n)
		}
	})
}
