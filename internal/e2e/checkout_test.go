package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"shop/ent/cartitem"
	"shop/ent/idempotencykey"
	"shop/ent/inventorymovement"
	"shop/ent/order"
	"shop/ent/orderitem"
	"shop/internal/testdb"
	"shop/modules/cart"
	"shop/modules/ordering"
)

func (s *shop) checkout(t testing.TB, u user, body any, headers map[string]string) *resp {
	t.Helper()
	return s.do(t, req{method: "POST", path: "/api/v1/checkout", token: u.Token, body: body, header: headers})
}

func TestCheckout(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "tools", nil)
		hammer := s.product(t, admin, cat, "Hammer", 2500, 10)
		nails := s.product(t, admin, cat, "Nails", 199, 100)
		ann := s.register(t, "Ann")

		t.Run("ErrEmptyCart", func(t *testing.T) {
			s.checkout(t, ann, nil, nil).wantProblem(http.StatusUnprocessableEntity, "empty_cart")
		})

		s.addToCart(t, ann, nails.ID, 30)
		s.addToCart(t, ann, hammer.ID, 2)
		var o ordering.OrderJSON
		r := s.checkout(t, ann, map[string]any{"expected_total": 2*2500 + 30*199}, nil).wantStatus(http.StatusCreated)
		r.JSON(&o)
		if o.Status != "pending" || o.TotalAmount != 2*2500+30*199 || o.UserID != ann.ID || o.Currency != "USD" || len(o.Items) != 2 {
			t.Fatalf("order = %+v", o)
		}
		if it := o.Items[0]; it.ProductID != hammer.ID || it.ProductName != "Hammer" || it.UnitPrice != 2500 || it.Quantity != 2 || it.Subtotal != 5000 {
			t.Fatalf("first line = %+v", it)
		}
		if s.stock(t, hammer.ID) != 8 || s.stock(t, nails.ID) != 70 {
			t.Fatalf("stock after checkout: hammer %d nails %d", s.stock(t, hammer.ID), s.stock(t, nails.ID))
		}
		sales := s.ent.InventoryMovement.Query().Where(inventorymovement.ReasonEQ(inventorymovement.ReasonSale), inventorymovement.OrderID(o.ID)).CountX(t.Context())
		if sales != 2 {
			t.Fatalf("%d sale movements, want 2", sales)
		}
		if n := s.ent.CartItem.Query().Where(cartitem.UserID(ann.ID)).CountX(t.Context()); n != 0 {
			t.Fatalf("cart has %d lines after checkout", n)
		}
		// The snapshot survives a price change.
		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", hammer.ID), token: admin.Token, body: map[string]any{"price": 9999, "name": "Hammer Pro"}}).wantStatus(200)
		var again ordering.OrderJSON
		s.do(t, req{method: "GET", path: path("/api/v1/orders/%d", o.ID), token: ann.Token}).wantStatus(200).JSON(&again)
		if again.Items[0].UnitPrice != 2500 || again.Items[0].ProductName != "Hammer" {
			t.Fatalf("order line changed with the product: %+v", again.Items[0])
		}

		// keepsCart checks that a refused checkout changed nothing.
		keepsCart := func(t *testing.T, u user, wantLines int, stock map[int]int) {
			t.Helper()
			var c cart.JSON
			s.do(t, req{method: "GET", path: "/api/v1/cart", token: u.Token}).wantStatus(200).JSON(&c)
			if len(c.Items) != wantLines {
				t.Fatalf("cart has %d lines after a refused checkout, want %d", len(c.Items), wantLines)
			}
			for id, want := range stock {
				if got := s.stock(t, id); got != want {
					t.Fatalf("product %d stock %d after a refused checkout, want %d", id, got, want)
				}
			}
			if n := s.ent.Order.Query().Where(order.UserID(u.ID)).CountX(t.Context()); n != 0 {
				t.Fatalf("%d orders after a refused checkout", n)
			}
		}

		// Each subtest below makes the user and products it needs, so it
		// passes alone (-run) and in any order.
		t.Run("ErrPriceChanged", func(t *testing.T) {
			bob := s.register(t, "Bob")
			saw := s.product(t, admin, cat, "Saw", 2500, 8)
			s.addToCart(t, bob, saw.ID, 1)
			s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", saw.ID), token: admin.Token, body: map[string]any{"price": 9999}}).wantStatus(200)
			p := s.checkout(t, bob, map[string]any{"expected_total": 2500}, nil).wantProblem(http.StatusConflict, "price_changed")
			if p["expected_total"] != float64(2500) || p["actual_total"] != float64(9999) {
				t.Fatalf("price_changed = %v", p)
			}
			keepsCart(t, bob, 1, map[int]int{saw.ID: 8})
		})
		t.Run("ErrInsufficientStockEveryLine", func(t *testing.T) {
			cy := s.register(t, "Cy")
			drill := s.product(t, admin, cat, "Drill", 2500, 8)
			screws := s.product(t, admin, cat, "Screws", 199, 70)
			s.addToCart(t, cy, drill.ID, 8)
			s.addToCart(t, cy, screws.ID, 70)
			// Someone else buys first; both lines go short.
			s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/stock-adjustments", drill.ID), token: admin.Token, body: map[string]any{"quantity_change": -3, "reason": "damage"}}).wantStatus(200)
			s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/stock-adjustments", screws.ID), token: admin.Token, body: map[string]any{"quantity_change": -1, "reason": "damage"}}).wantStatus(200)
			p := s.checkout(t, cy, nil, nil).wantProblem(http.StatusConflict, "insufficient_stock")
			items := p["items"].([]any)
			if len(items) != 2 {
				t.Fatalf("insufficient_stock lists %v, want both lines", items)
			}
			got := fmt.Sprint(items)
			want := fmt.Sprint([]any{
				map[string]any{"product_id": float64(drill.ID), "requested": float64(8), "available": float64(5), "variant_id": float64(variantOf(t, s, drill.ID))},
				map[string]any{"product_id": float64(screws.ID), "requested": float64(70), "available": float64(69), "variant_id": float64(variantOf(t, s, screws.ID))},
			})
			if got != want {
				t.Fatalf("items = %s, want %s", got, want)
			}
			keepsCart(t, cy, 2, map[int]int{drill.ID: 5, screws.ID: 69})
		})
		t.Run("ErrProductUnavailable", func(t *testing.T) {
			di := s.register(t, "Di")
			gone := s.product(t, admin, cat, "Gone", 100, 5)
			off := s.product(t, admin, cat, "Off", 100, 5)
			bolts := s.product(t, admin, cat, "Bolts", 199, 69)
			s.addToCart(t, di, gone.ID, 1)
			s.addToCart(t, di, off.ID, 1)
			s.addToCart(t, di, bolts.ID, 1)
			s.do(t, req{method: "DELETE", path: path("/api/v1/admin/products/%d", gone.ID), token: admin.Token}).wantStatus(204)
			s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", off.ID), token: admin.Token, body: map[string]any{"is_active": false}}).wantStatus(200)
			p := s.checkout(t, di, nil, nil).wantProblem(http.StatusConflict, "product_unavailable")
			if fmt.Sprint(p["product_ids"]) != fmt.Sprint([]any{float64(gone.ID), float64(off.ID)}) {
				t.Fatalf("product_ids = %v", p["product_ids"])
			}
			keepsCart(t, di, 3, map[int]int{gone.ID: 5, off.ID: 5, bolts.ID: 69})
		})
		t.Run("ConcurrentSameCart", func(t *testing.T) {
			// A double click: two checkouts of one cart at once make one order.
			dc := s.register(t, "Double")
			s.addToCart(t, dc, nails.ID, 2)
			before := s.stock(t, nails.ID)
			var wg sync.WaitGroup
			statuses := make([]int, 4)
			for i := range statuses {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses[i] = s.checkout(t, dc, nil, nil).Status
				}()
			}
			wg.Wait()
			created := 0
			for _, st := range statuses {
				switch st {
				case 201:
					created++
				case 422: // empty_cart: the first took it
				default:
					t.Fatalf("statuses %v", statuses)
				}
			}
			if created != 1 || s.ent.Order.Query().Where(order.UserID(dc.ID)).CountX(t.Context()) != 1 || s.stock(t, nails.ID) != before-2 {
				t.Fatalf("one cart checked out %d times (statuses %v), stock %d → %d", created, statuses, before, s.stock(t, nails.ID))
			}
		})
		t.Run("ErrMalformed", func(t *testing.T) {
			s.do(t, req{method: "POST", path: "/api/v1/checkout", token: ann.Token, body: `{"expected_total": "12"}`, invalid: true}).wantProblem(400, "malformed_request")
			s.do(t, req{method: "POST", path: "/api/v1/checkout", token: ann.Token, body: `{"user_id": 1}`, invalid: true}).wantProblem(400, "malformed_request")
			s.do(t, req{method: "POST", path: "/api/v1/checkout", token: ann.Token, invalid: true, header: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}}).
				wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			s.do(t, req{method: "POST", path: "/api/v1/checkout"}).wantProblem(401, "unauthorized")
		})
		s.checkInvariants(t)
	})
}

func TestCheckout_Idempotency(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "tools", nil)
		p := s.product(t, admin, cat, "Hammer", 2500, 100)
		u := s.register(t, "Idem")
		key := map[string]string{"Idempotency-Key": "order-1"}

		s.addToCart(t, u, p.ID, 2)
		var first, replay ordering.OrderJSON
		s.checkout(t, u, nil, key).wantStatus(201).JSON(&first)
		s.addToCart(t, u, p.ID, 1) // a new cart must not leak into the replay
		r := s.checkout(t, u, nil, key).wantStatus(200)
		r.JSON(&replay)
		if r.Header.Get("Idempotent-Replayed") != "true" || replay.ID != first.ID || replay.Items[0].Quantity != 2 {
			t.Fatalf("replay = %+v (header %q), want order %d", replay, r.Header.Get("Idempotent-Replayed"), first.ID)
		}
		if got := s.stock(t, p.ID); got != 98 {
			t.Fatalf("stock %d after replay, want 98", got)
		}
		if n := s.ent.CartItem.Query().Where(cartitem.UserID(u.ID)).CountX(t.Context()); n != 1 {
			t.Fatalf("replay touched the cart: %d lines", n)
		}
		s.checkout(t, u, map[string]any{"expected_total": 2500}, key).wantProblem(http.StatusUnprocessableEntity, "idempotency_key_reused")

		t.Run("KeysArePerUser", func(t *testing.T) {
			other := s.register(t, "Other")
			s.addToCart(t, other, p.ID, 1)
			var o ordering.OrderJSON
			s.checkout(t, other, nil, key).wantStatus(201).JSON(&o)
			if o.ID == first.ID || o.UserID != other.ID {
				t.Fatalf("another user's key replayed order %d", o.ID)
			}
		})
		t.Run("KeysExpire", func(t *testing.T) {
			s.ent.IdempotencyKey.Update().Where(idempotencykey.Key("order-1"), idempotencykey.UserID(u.ID)).
				SetExpiresAt(time.Now().Add(-time.Minute)).ExecX(t.Context())
			var o ordering.OrderJSON
			s.checkout(t, u, nil, key).wantStatus(201).JSON(&o)
			if o.ID == first.ID {
				t.Fatal("an expired key replayed its order")
			}
		})
		t.Run("Concurrent", func(t *testing.T) {
			c := s.register(t, "Conc")
			s.addToCart(t, c, p.ID, 3)
			before := s.stock(t, p.ID)
			const n = 12
			var wg sync.WaitGroup
			ids := make([]int, n)
			statuses := make([]int, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := s.checkout(t, c, nil, map[string]string{"Idempotency-Key": "same"})
					statuses[i] = r.Status
					if r.Status < 300 {
						var o ordering.OrderJSON
						r.JSON(&o)
						ids[i] = o.ID
					}
				}()
			}
			wg.Wait()
			created := 0
			for i := range n {
				switch statuses[i] {
				case 201:
					created++
				case 200:
				default:
					t.Errorf("request %d: status %d", i, statuses[i])
				}
				if ids[i] != ids[0] {
					t.Errorf("request %d got order %d, request 0 got %d", i, ids[i], ids[0])
				}
			}
			if created != 1 {
				t.Fatalf("%d requests created an order, want 1", created)
			}
			if n := s.ent.Order.Query().Where(order.UserID(c.ID)).CountX(t.Context()); n != 1 {
				t.Fatalf("%d orders for one key", n)
			}
			if got := s.stock(t, p.ID); got != before-3 {
				t.Fatalf("stock %d, want %d", got, before-3)
			}
		})
		s.checkInvariants(t)
	})
}

func TestOrders(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "tools", nil)
		p := s.product(t, admin, cat, "Hammer", 2500, 100)
		ann, eve := s.register(t, "Ann"), s.register(t, "Eve")
		buy := func(u user, qty int) ordering.OrderJSON {
			t.Helper()
			s.addToCart(t, u, p.ID, qty)
			var o ordering.OrderJSON
			s.checkout(t, u, nil, nil).wantStatus(201).JSON(&o)
			return o
		}
		o1, o2, o3 := buy(ann, 1), buy(ann, 2), buy(ann, 3)
		eo := buy(eve, 4)

		t.Run("ListOwn", func(t *testing.T) {
			var l struct {
				Items      []ordering.OrderJSON
				NextCursor *string `json:"next_cursor"`
			}
			s.do(t, req{method: "GET", path: "/api/v1/orders?limit=2", token: ann.Token}).wantStatus(200).JSON(&l)
			if len(l.Items) != 2 || l.Items[0].ID != o3.ID || l.Items[1].ID != o2.ID || l.NextCursor == nil {
				t.Fatalf("page 1 = %+v", l)
			}
			s.do(t, req{method: "GET", path: "/api/v1/orders?limit=2&cursor=" + *l.NextCursor, token: ann.Token}).wantStatus(200).JSON(&l)
			if len(l.Items) != 1 || l.Items[0].ID != o1.ID || l.NextCursor != nil {
				t.Fatalf("page 2 = %+v", l)
			}
			s.do(t, req{method: "GET", path: "/api/v1/orders?status=bogus", token: ann.Token, invalid: true}).wantProblem(422, "validation_failed")
		})
		t.Run("BOLA", func(t *testing.T) {
			s.do(t, req{method: "GET", path: path("/api/v1/orders/%d", eo.ID), token: ann.Token}).wantProblem(404, "not_found")
			s.do(t, req{method: "POST", path: path("/api/v1/orders/%d/cancel", eo.ID), token: ann.Token}).wantProblem(404, "not_found")
			if st := s.ent.Order.GetX(t.Context(), eo.ID).Status; st != order.StatusPending {
				t.Fatalf("eve's order is %s after ann's cancel", st)
			}
		})
		t.Run("CancelRestocks", func(t *testing.T) {
			before := s.stock(t, p.ID)
			var o ordering.OrderJSON
			s.do(t, req{method: "POST", path: path("/api/v1/orders/%d/cancel", o2.ID), token: ann.Token}).wantStatus(200).JSON(&o)
			if o.Status != "cancelled" || s.stock(t, p.ID) != before+2 {
				t.Fatalf("cancel: %s, stock %d → %d", o.Status, before, s.stock(t, p.ID))
			}
			m := s.ent.InventoryMovement.Query().Where(inventorymovement.OrderID(o2.ID), inventorymovement.ReasonEQ(inventorymovement.ReasonCancellation)).OnlyX(t.Context())
			if m.QuantityChange != 2 {
				t.Fatalf("cancellation movement %+v", m)
			}
			pr := s.do(t, req{method: "POST", path: path("/api/v1/orders/%d/cancel", o2.ID), token: ann.Token}).wantProblem(409, "invalid_status_transition")
			if pr["from"] != "cancelled" || pr["to"] != "cancelled" {
				t.Fatalf("problem = %v", pr)
			}
			if s.stock(t, p.ID) != before+2 {
				t.Fatal("a second cancel restocked again")
			}
		})
		t.Run("AdminLifecycle", func(t *testing.T) {
			set := func(id int, status string) *resp {
				return s.do(t, req{method: "POST", path: path("/api/v1/admin/orders/%d/status", id), token: admin.Token, body: map[string]string{"status": status}})
			}
			set(o1.ID, "processing").wantStatus(200)
			set(o1.ID, "shipped").wantStatus(200)
			pr := set(o1.ID, "cancelled").wantProblem(409, "invalid_status_transition")
			if pr["from"] != "shipped" || pr["to"] != "cancelled" {
				t.Fatalf("problem = %v", pr)
			}
			s.do(t, req{method: "POST", path: path("/api/v1/orders/%d/cancel", o1.ID), token: ann.Token}).wantProblem(409, "invalid_status_transition")
			if st := s.ent.Order.GetX(t.Context(), o1.ID).Status; st != order.StatusShipped {
				t.Fatalf("status %s after refused transitions, want shipped", st)
			}
			set(o1.ID, "delivered").wantStatus(200)
			set(o1.ID, "pending").wantProblem(409, "invalid_status_transition")
			if st := s.ent.Order.GetX(t.Context(), o1.ID).Status; st != order.StatusDelivered {
				t.Fatalf("status %s, want delivered", st)
			}
			s.do(t, req{method: "POST", path: path("/api/v1/admin/orders/%d/status", o1.ID), token: admin.Token, body: map[string]string{"status": "lost"}, invalid: true}).
				wantProblem(422, "validation_failed")
			set(99999, "processing").wantProblem(404, "not_found")
			s.do(t, req{method: "POST", path: path("/api/v1/admin/orders/%d/status", o1.ID), token: ann.Token, body: map[string]string{"status": "processing"}}).
				wantProblem(403, "forbidden")

			var l struct{ Items []ordering.OrderJSON }
			s.do(t, req{method: "GET", path: path("/api/v1/admin/orders?user_id=%d", eve.ID), token: admin.Token}).wantStatus(200).JSON(&l)
			if len(l.Items) != 1 || l.Items[0].ID != eo.ID {
				t.Fatalf("admin list by user = %+v", l.Items)
			}
			s.do(t, req{method: "GET", path: "/api/v1/admin/orders?status=delivered", token: admin.Token}).wantStatus(200).JSON(&l)
			if len(l.Items) != 1 || l.Items[0].ID != o1.ID {
				t.Fatalf("admin list by status = %+v", l.Items)
			}
		})
		t.Run("ConcurrentShipAndCancel", func(t *testing.T) {
			for round := 0; round < 4; round++ {
				o := buy(ann, 1)
				s.do(t, req{method: "POST", path: path("/api/v1/admin/orders/%d/status", o.ID), token: admin.Token, body: map[string]string{"status": "processing"}}).wantStatus(200)
				var wg sync.WaitGroup
				var ship, cancel *resp
				wg.Add(2)
				go func() {
					defer wg.Done()
					ship = s.do(t, req{method: "POST", path: path("/api/v1/admin/orders/%d/status", o.ID), token: admin.Token, body: map[string]string{"status": "shipped"}})
				}()
				go func() {
					defer wg.Done()
					cancel = s.do(t, req{method: "POST", path: path("/api/v1/orders/%d/cancel", o.ID), token: ann.Token})
				}()
				wg.Wait()
				if (ship.Status == 200) == (cancel.Status == 200) {
					t.Fatalf("ship %d, cancel %d: want exactly one to win", ship.Status, cancel.Status)
				}
				loser := ship
				if ship.Status == 200 {
					loser = cancel
				}
				if loser.Status != 409 {
					t.Fatalf("loser got %d %s", loser.Status, loser.Body)
				}
			}
		})
		t.Run("Reconciliation", func(t *testing.T) {
			var r struct {
				ProductsChecked int   `json:"products_checked"`
				Discrepancies   []any `json:"discrepancies"`
			}
			s.do(t, req{method: "GET", path: "/api/v1/admin/inventory/reconciliation", token: admin.Token}).wantStatus(200).JSON(&r)
			if r.ProductsChecked != 1 || len(r.Discrepancies) != 0 {
				t.Fatalf("reconciliation = %+v", r)
			}
			// A stock change without a movement (below Ent, whose hook
			// refuses it) is caught.
			moveRaw := func(n int) {
				t.Helper()
				if _, err := s.db.SQL.ExecContext(t.Context(), fmt.Sprintf("UPDATE products SET stock = stock + %d WHERE id = %d", n, p.ID)); err != nil {
					t.Fatal(err)
				}
			}
			moveRaw(5)
			s.do(t, req{method: "GET", path: "/api/v1/admin/inventory/reconciliation", token: admin.Token}).wantStatus(200).JSON(&r)
			if len(r.Discrepancies) != 1 {
				t.Fatalf("reconciliation missed a stock change without a movement: %+v", r)
			}
			moveRaw(-5)
		})
		if n := s.ent.OrderItem.Query().Where(orderitem.HasOrderWith(order.UserID(ann.ID))).CountX(t.Context()); n < 3 {
			t.Fatalf("order lines = %d", n)
		}
		s.checkInvariants(t)
	})
}
