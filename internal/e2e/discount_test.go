package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"shop/ent"
	"shop/ent/cartitem"
	"shop/ent/discount"
	"shop/ent/discountusage"
	"shop/ent/order"
	"shop/internal/testdb"
	"shop/modules/cart"
	"shop/modules/ordering"
	"shop/modules/pricing"
)

// createDiscount makes a discount code through the admin API.
func (s *shop) createDiscount(t testing.TB, admin user, body map[string]any) pricing.DiscountJSON {
	t.Helper()
	var d pricing.DiscountJSON
	s.do(t, req{method: "POST", path: "/api/v1/admin/discounts", token: admin.Token, body: body}).wantStatus(http.StatusCreated).JSON(&d)
	return d
}

// setCode puts a code on u's cart.
func (s *shop) setCode(t testing.TB, u user, code string) *resp {
	t.Helper()
	return s.do(t, req{method: "PUT", path: "/api/v1/cart/discount", token: u.Token, body: map[string]string{"code": code}})
}

// refusedCheckout checks out u's cart expecting the problem (status, code)
// and that nothing changed: no order of u, u's cart lines and the stock of
// every product as before.
func (s *shop) refusedCheckout(t testing.TB, u user, status int, code string) {
	t.Helper()
	ctx := context.Background()
	orders := func() int { return s.ent.Order.Query().Where(order.UserID(u.ID)).CountX(ctx) }
	lines := func() string {
		var out []string
		for _, l := range s.ent.CartItem.Query().Where(cartitem.UserID(u.ID)).Order(ent.Asc(cartitem.FieldID)).AllX(ctx) {
			out = append(out, fmt.Sprintf("%d×%d", l.VariantID, l.Quantity))
		}
		return strings.Join(out, " ")
	}
	stock := func() string {
		var out []string
		for _, p := range s.ent.Product.Query().Order(ent.Asc("id")).AllX(ctx) {
			out = append(out, fmt.Sprintf("%d:%d", p.ID, p.Stock))
		}
		return strings.Join(out, " ")
	}
	o, l, st := orders(), lines(), stock()
	s.checkout(t, u, nil, nil).wantProblem(status, code)
	if o2, l2, st2 := orders(), lines(), stock(); o2 != o || l2 != l || st2 != st || l == "" {
		t.Fatalf("a refused checkout (%s) changed: orders %d → %d, cart %q → %q, stock %q → %q", code, o, o2, l, l2, st, st2)
	}
}

// timesUsed reads a discount's times_used from the database.
func (s *shop) timesUsed(t testing.TB, id int) int {
	t.Helper()
	return s.ent.Discount.Query().Where(discount.ID(id)).OnlyX(t.Context()).TimesUsed
}

// TestDiscounts is the contract of API.md's Discount codes end to end:
// admin CRUD, the cart's code and its view, the order's shares (largest
// remainder), redemptions, cancel giving the use back, and the refusals.
func TestDiscounts(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "tools", nil)
		a := s.product(t, admin, cat, "A", 1000, 50)
		b := s.product(t, admin, cat, "B", 2000, 50)
		c := s.product(t, admin, cat, "C", 3001, 50)
		ann := s.register(t, "Ann")

		off := s.createDiscount(t, admin, map[string]any{"code": "Hundred-Off", "type": "fixed", "value": 100, "usage_limit": 5})
		if off.Code != "Hundred-Off" || off.TimesUsed != 0 || off.Currency == "" || !off.IsActive {
			t.Fatalf("created %+v", off)
		}
		t.Run("ErrConflict", func(t *testing.T) {
			s.do(t, req{method: "POST", path: "/api/v1/admin/discounts", token: admin.Token,
				body: map[string]any{"code": "HUNDRED-off", "type": "percentage", "value": 5}}).wantProblem(http.StatusConflict, "conflict")
		})
		t.Run("ErrValidation", func(t *testing.T) {
			p := s.do(t, req{method: "POST", path: "/api/v1/admin/discounts", token: admin.Token, invalid: true,
				body: map[string]any{"code": "x", "type": "percentage", "value": 101}}).wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			if len(p["errors"].([]any)) != 2 {
				t.Fatalf("errors = %v", p["errors"])
			}
		})

		for _, p := range []product{a, b, c} {
			s.addToCart(t, ann, p.ID, 1)
		}
		var cv cart.JSON
		s.do(t, req{method: "GET", path: "/api/v1/cart", token: ann.Token}).wantStatus(200).JSON(&cv)
		if cv.Subtotal != 6001 || cv.Total != 6001 || cv.Discount != nil {
			t.Fatalf("cart without a code: %+v", cv)
		}
		t.Run("ErrDiscountInvalid", func(t *testing.T) {
			s.setCode(t, ann, "NOPE").wantProblem(http.StatusUnprocessableEntity, "discount_invalid")
		})
		s.setCode(t, ann, "hundred-OFF").wantStatus(200).JSON(&cv)
		if cv.Discount == nil || cv.Discount.Code != "Hundred-Off" || cv.Discount.Amount != 100 || !cv.Discount.Applicable ||
			cv.Subtotal != 6001 || cv.Total != 5901 {
			t.Fatalf("cart with the code: %+v discount %+v", cv, cv.Discount)
		}

		var o ordering.OrderJSON
		s.checkout(t, ann, map[string]any{"expected_total": 5901}, nil).wantStatus(http.StatusCreated).JSON(&o)
		if o.SubtotalAmount != 6001 || o.DiscountAmount != 100 || o.TotalAmount != 5901 || o.DiscountCode == nil || *o.DiscountCode != "Hundred-Off" {
			t.Fatalf("order %+v", o)
		}
		// 100 over 1000 + 2000 + 3001: 16.66, 33.33, 50.008 → 17, 33, 50.
		want := map[int]int64{a.ID: 17, b.ID: 33, c.ID: 50}
		for _, it := range o.Items {
			if it.DiscountAmount != want[it.ProductID] {
				t.Errorf("line of product %d: discount %d, want %d", it.ProductID, it.DiscountAmount, want[it.ProductID])
			}
		}
		if n := s.timesUsed(t, off.ID); n != 1 {
			t.Fatalf("times_used %d after checkout, want 1", n)
		}
		s.do(t, req{method: "GET", path: "/api/v1/cart", token: ann.Token}).wantStatus(200).JSON(&cv)
		if cv.Discount != nil || len(cv.Items) != 0 {
			t.Fatalf("cart after checkout: %+v", cv)
		}
		var reds struct{ Items []pricing.RedemptionJSON }
		s.do(t, req{method: "GET", path: path("/api/v1/admin/discounts/%d/redemptions", off.ID), token: admin.Token}).wantStatus(200).JSON(&reds)
		if len(reds.Items) != 1 || reds.Items[0].OrderID != o.ID || reds.Items[0].Amount != 100 || reds.Items[0].UserID != ann.ID {
			t.Fatalf("redemptions %+v", reds)
		}

		s.do(t, req{method: "POST", path: path("/api/v1/orders/%d/cancel", o.ID), token: ann.Token}).wantStatus(200)
		if n := s.timesUsed(t, off.ID); n != 0 {
			t.Fatalf("times_used %d after cancel, want 0", n)
		}
		s.do(t, req{method: "GET", path: path("/api/v1/admin/discounts/%d/redemptions", off.ID), token: admin.Token}).wantStatus(200).JSON(&reds)
		if len(reds.Items) != 0 {
			t.Fatalf("redemptions after cancel %+v", reds)
		}

		t.Run("ErrDiscountNotApplicable", func(t *testing.T) {
			s.createDiscount(t, admin, map[string]any{"code": "BIG", "type": "percentage", "value": 10, "min_subtotal": 5000})
			s.addToCart(t, ann, a.ID, 1)
			p := s.setCode(t, ann, "big").wantProblem(http.StatusUnprocessableEntity, "discount_not_applicable")
			if p["min_subtotal"] != float64(5000) || p["subtotal"] != float64(1000) {
				t.Fatalf("problem %v", p)
			}
			s.addToCart(t, ann, c.ID, 2) // 7002
			s.setCode(t, ann, "BIG").wantStatus(200).JSON(&cv)
			if cv.Discount.Amount != 700 || cv.Total != 6302 {
				t.Fatalf("10%% of 7002: %+v %+v", cv, cv.Discount)
			}
			// The subtotal falls below the minimum: the code stays, not applicable.
			s.do(t, req{method: "PATCH", path: path("/api/v1/cart/items/%d", cv.Items[1].ID), token: ann.Token, body: map[string]int{"quantity": 1}}).wantStatus(200).JSON(&cv)
			if cv.Discount == nil || cv.Discount.Applicable || cv.Discount.Amount != 0 || cv.Discount.Reason == nil ||
				*cv.Discount.Reason != "discount_not_applicable" || cv.Total != cv.Subtotal {
				t.Fatalf("code below its minimum: %+v %+v", cv, cv.Discount)
			}
			s.refusedCheckout(t, ann, http.StatusUnprocessableEntity, "discount_not_applicable")
			s.do(t, req{method: "DELETE", path: "/api/v1/cart/discount", token: ann.Token}).wantStatus(200).JSON(&cv)
			if cv.Discount != nil {
				t.Fatalf("cart after DELETE discount: %+v", cv)
			}
		})

		t.Run("ClearCartDropsCode", func(t *testing.T) {
			s.createDiscount(t, admin, map[string]any{"code": "CLEARME", "type": "fixed", "value": 1})
			cleo := s.register(t, "Cleo")
			s.addToCart(t, cleo, a.ID, 1)
			s.setCode(t, cleo, "clearme").wantStatus(200)
			s.do(t, req{method: "DELETE", path: "/api/v1/cart", token: cleo.Token}).wantStatus(http.StatusNoContent)
			s.do(t, req{method: "GET", path: "/api/v1/cart", token: cleo.Token}).wantStatus(200).JSON(&cv)
			if cv.Discount != nil || len(cv.Items) != 0 || cv.Total != 0 {
				t.Fatalf("cart after DELETE /api/v1/cart: %+v discount %+v", cv, cv.Discount)
			}
			if n := s.ent.DiscountUsage.Query().Where(discountusage.UserID(cleo.ID), discountusage.InCart(true)).CountX(t.Context()); n != 0 {
				t.Fatalf("%d codes still held by the cleared cart", n)
			}
		})

		t.Run("ErrDiscountInvalidAfterDelete", func(t *testing.T) {
			d := s.createDiscount(t, admin, map[string]any{"code": "GONE", "type": "fixed", "value": 1})
			s.setCode(t, ann, "GONE").wantStatus(200)
			s.do(t, req{method: "DELETE", path: path("/api/v1/admin/discounts/%d", d.ID), token: admin.Token}).wantStatus(http.StatusNoContent)
			s.do(t, req{method: "GET", path: "/api/v1/cart", token: ann.Token}).wantStatus(200).JSON(&cv)
			if cv.Discount == nil || cv.Discount.Applicable || *cv.Discount.Reason != "discount_invalid" {
				t.Fatalf("deleted code on the cart: %+v", cv.Discount)
			}
			s.refusedCheckout(t, ann, http.StatusUnprocessableEntity, "discount_invalid")
			// A deleted code frees its name.
			s.createDiscount(t, admin, map[string]any{"code": "gone", "type": "fixed", "value": 1})
		})

		t.Run("ErrUsageLimitBelowTimesUsed", func(t *testing.T) {
			d := s.createDiscount(t, admin, map[string]any{"code": "LIMITED", "type": "fixed", "value": 1, "usage_limit": 3})
			s.do(t, req{method: "DELETE", path: "/api/v1/cart/discount", token: ann.Token}).wantStatus(200)
			s.setCode(t, ann, "LIMITED").wantStatus(200)
			s.checkout(t, ann, nil, nil).wantStatus(http.StatusCreated)
			dora := s.register(t, "Dora")
			s.addToCart(t, dora, a.ID, 1)
			s.setCode(t, dora, "LIMITED").wantStatus(200)
			s.checkout(t, dora, nil, nil).wantStatus(http.StatusCreated)
			// Two uses: a limit below them is refused (CHECK
			// discount_times_used_range) and nothing changes.
			s.do(t, req{method: "PATCH", path: path("/api/v1/admin/discounts/%d", d.ID), token: admin.Token,
				body: map[string]any{"usage_limit": 1}}).wantProblem(http.StatusConflict, "conflict")
			if got := s.ent.Discount.GetX(t.Context(), d.ID); got.UsageLimit == nil || *got.UsageLimit != 3 || got.TimesUsed != 2 {
				t.Fatalf("after a refused limit below times_used: limit %v, times_used %d", got.UsageLimit, got.TimesUsed)
			}
			s.do(t, req{method: "PATCH", path: path("/api/v1/admin/discounts/%d", d.ID), token: admin.Token,
				body: map[string]any{"usage_limit": 2}}).wantStatus(200)
			// The limit reached: a new customer is refused.
			bob := s.register(t, "Bob")
			s.addToCart(t, bob, a.ID, 1)
			s.setCode(t, bob, "LIMITED").wantProblem(http.StatusConflict, "discount_exhausted")
			s.do(t, req{method: "PATCH", path: path("/api/v1/admin/discounts/%d", d.ID), token: admin.Token,
				body: map[string]any{"usage_limit": nil}}).wantStatus(200)
			s.setCode(t, bob, "LIMITED").wantStatus(200)
		})
		t.Run("GraphQL", func(t *testing.T) {
			g := s.gql(t, admin.Token, `mutation { createDiscount(input: {code: "GQL-5", type: PERCENTAGE, value: 5, usageLimit: 3}) { id code timesUsed } }`, nil)
			if len(g.Errors) > 0 {
				t.Fatalf("createDiscount: %+v", g.Errors)
			}
			var created struct{ ID int }
			g = s.gql(t, admin.Token, `mutation { createDiscount(input: {code: "gql-5", type: FIXED, value: 5}) { id } }`, nil)
			if len(g.Errors) == 0 || g.Errors[0].Extensions["code"] != "conflict" {
				t.Fatalf("a taken code over GraphQL: %+v", g.Errors)
			}
			g = s.gql(t, admin.Token, `mutation { createDiscount(input: {code: "GQL-BAD", type: PERCENTAGE, value: 101}) { id } }`, nil)
			if len(g.Errors) == 0 || g.Errors[0].Extensions["code"] != "validation_failed" {
				t.Fatalf("a percentage over 100 over GraphQL: %+v", g.Errors)
			}
			g = s.gql(t, admin.Token, `{ discounts(first: 10, where: {code: "GQL-5"}) { totalCount edges { node { id code usageLimit timesUsed } } } }`, nil)
			var list struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID, Code string } }
			}
			if len(g.Errors) > 0 {
				t.Fatalf("discounts: %+v", g.Errors)
			}
			if err := json.Unmarshal(g.Data["discounts"], &list); err != nil || list.TotalCount != 1 {
				t.Fatalf("discounts: %s (%v)", g.Data["discounts"], err)
			}
			fmt.Sscan(list.Edges[0].Node.ID, &created.ID)
			g = s.gql(t, admin.Token, fmt.Sprintf(`mutation { updateDiscount(id: %d, input: {isActive: false, clearUsageLimit: true}) { isActive usageLimit } }`, created.ID), nil)
			if len(g.Errors) > 0 || !strings.Contains(string(g.Data["updateDiscount"]), `"usageLimit":null`) {
				t.Fatalf("updateDiscount: %s %+v", g.Data["updateDiscount"], g.Errors)
			}
			g = s.gql(t, admin.Token, fmt.Sprintf(`mutation { deleteDiscount(id: %d) }`, created.ID), nil)
			if len(g.Errors) > 0 {
				t.Fatalf("deleteDiscount: %+v", g.Errors)
			}
			// Every write is audited, whatever the path.
			if rows := s.auditRows(t, admin, "discount", created.ID); len(rows) != 3 {
				t.Fatalf("audit rows of discount %d: %d, want create, update, delete", created.ID, len(rows))
			}
			if rows := s.auditRows(t, admin, "discount", off.ID); len(rows) != 1 || rows[0]["action"] != "create" {
				t.Fatalf("audit rows of discount %d: %v", off.ID, rows)
			}
		})
		s.checkInvariants(t)
	})
}

// TestDiscounts_ConcurrentLimit: 64 customers check out at once with a
// code limited to 10 uses: exactly 10 orders, 54 discount_exhausted,
// times_used 10, stock moved for the 10 only, on both strategies.
func TestDiscounts_ConcurrentLimit(t *testing.T) {
	t.Parallel()
	const buyers, limit = 64, 10
	testdb.Each(t, func(t *testing.T, dia string) {
		for _, strategy := range strategies {
			t.Run(strategy, func(t *testing.T) {
				s := newShop(t, dia, withEnv("SHOP_CHECKOUT_LOCKING", strategy))
				admin := s.admin(t)
				cat := s.category(t, admin, "hot", nil)
				p := s.product(t, admin, cat, "Hot", 1999, 1000)
				d := s.createDiscount(t, admin, map[string]any{"code": "FIRST10", "type": "percentage", "value": 10, "usage_limit": limit})
				us := make([]user, buyers)
				for i := range us {
					us[i] = s.register(t, fmt.Sprintf("B%d", i))
					s.addToCart(t, us[i], p.ID, 1)
					s.setCode(t, us[i], "first10").wantStatus(200)
				}
				statuses, codes := make([]int, buyers), make([]string, buyers)
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i, u := range us {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						r := s.checkout(t, u, nil, nil)
						statuses[i] = r.Status
						if r.Status >= 400 {
							codes[i], _ = r.Problem()["code"].(string)
						}
					}()
				}
				close(start)
				wg.Wait()
				ok, exhausted := 0, 0
				for i := range statuses {
					switch {
					case statuses[i] == http.StatusCreated:
						ok++
					case statuses[i] == http.StatusConflict && codes[i] == "discount_exhausted":
						exhausted++
					default:
						t.Errorf("buyer %d: %d %s", i, statuses[i], codes[i])
					}
				}
				orders := s.ent.Order.Query().CountX(t.Context())
				t.Logf("%s/%s: %d created, %d discount_exhausted, %d orders, times_used %d, stock %d",
					dia, strategy, ok, exhausted, orders, s.timesUsed(t, d.ID), s.stock(t, p.ID))
				if ok != limit || exhausted != buyers-limit || orders != limit {
					t.Fatalf("%d created, %d exhausted, %d orders; want %d, %d, %d", ok, exhausted, orders, limit, buyers-limit, limit)
				}
				if n := s.timesUsed(t, d.ID); n != limit {
					t.Fatalf("times_used %d, want %d", n, limit)
				}
				if st := s.stock(t, p.ID); st != 1000-limit {
					t.Fatalf("stock %d, want %d", st, 1000-limit)
				}
				// The refused kept their cart and its code.
				for i, u := range us {
					if statuses[i] == http.StatusCreated {
						continue
					}
					var cv cart.JSON
					s.do(t, req{method: "GET", path: "/api/v1/cart", token: u.Token}).wantStatus(200).JSON(&cv)
					if len(cv.Items) != 1 || cv.Discount == nil || cv.Discount.Applicable || *cv.Discount.Reason != "discount_exhausted" {
						t.Fatalf("refused buyer's cart: %+v %+v", cv, cv.Discount)
					}
					break
				}
				s.checkInvariants(t)
			})
		}
	})
}

// TestDiscounts_PerCustomer: a customer can't redeem a code past its
// per_customer_limit, even when the use was counted after the code went
// on the cart (the checkout's guarded statement refuses it, and the cart
// is kept); a checkout refused for stock uses nothing.
func TestDiscounts_PerCustomer(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "c", nil)
		p := s.product(t, admin, cat, "P", 500, 3)
		d := s.createDiscount(t, admin, map[string]any{"code": "ONCE", "type": "fixed", "value": 50, "per_customer_limit": 1})
		ann := s.register(t, "Ann")

		t.Run("ErrInsufficientStockUsesNothing", func(t *testing.T) {
			s.addToCart(t, ann, p.ID, 3)
			s.setCode(t, ann, "ONCE").wantStatus(200)
			if _, err := s.db.SQL.ExecContext(t.Context(), "UPDATE variants SET stock = 1 WHERE product_id = "+fmt.Sprint(p.ID)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.db.SQL.ExecContext(t.Context(), "INSERT INTO inventory_movements (product_id, variant_id, quantity_change, reason, created_at) SELECT product_id, id, -2, 'damage', CURRENT_TIMESTAMP FROM variants WHERE product_id = "+fmt.Sprint(p.ID)); err != nil {
				t.Fatal(err)
			}
			s.refusedCheckout(t, ann, http.StatusConflict, "insufficient_stock")
			if n := s.timesUsed(t, d.ID); n != 0 {
				t.Fatalf("times_used %d after a refused checkout", n)
			}
			var cv cart.JSON
			s.do(t, req{method: "GET", path: "/api/v1/cart", token: ann.Token}).wantStatus(200).JSON(&cv)
			if cv.Discount == nil || !cv.Discount.Applicable {
				t.Fatalf("cart lost its code: %+v", cv.Discount)
			}
			s.do(t, req{method: "PATCH", path: path("/api/v1/cart/items/%d", cv.Items[0].ID), token: ann.Token, body: map[string]int{"quantity": 1}}).wantStatus(200)
		})
		// The customer's use counted meanwhile (another checkout of theirs):
		// the guarded statement refuses, nothing changes.
		if _, err := s.db.SQL.ExecContext(t.Context(), "UPDATE discount_usages SET uses = 1"); err != nil {
			t.Fatal(err)
		}
		s.refusedCheckout(t, ann, http.StatusConflict, "discount_exhausted")
		if n := s.timesUsed(t, d.ID); n != 0 {
			t.Fatalf("times_used %d after a refused checkout", n)
		}
		if _, err := s.db.SQL.ExecContext(t.Context(), "UPDATE discount_usages SET uses = 0"); err != nil {
			t.Fatal(err)
		}
		var o ordering.OrderJSON
		s.checkout(t, ann, nil, nil).wantStatus(http.StatusCreated).JSON(&o)
		if o.DiscountAmount != 50 || o.TotalAmount != 450 {
			t.Fatalf("order %+v", o)
		}
		// Idempotent replay redeems nothing more.
		s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/stock-adjustments", p.ID), token: admin.Token,
			body: map[string]any{"quantity_change": 10, "reason": "restock"}}).wantStatus(200)
		s.addToCart(t, ann, p.ID, 1)
		s.setCode(t, ann, "ONCE").wantProblem(http.StatusConflict, "discount_exhausted")
		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/discounts/%d", d.ID), token: admin.Token, body: map[string]any{"per_customer_limit": 2}}).wantStatus(200)
		s.setCode(t, ann, "ONCE").wantStatus(200)
		key := map[string]string{"Idempotency-Key": "k1"}
		s.checkout(t, ann, nil, key).wantStatus(http.StatusCreated)
		s.checkout(t, ann, nil, key).wantStatus(http.StatusOK)
		if n := s.timesUsed(t, d.ID); n != 2 {
			t.Fatalf("times_used %d after two orders and a replay, want 2", n)
		}
		s.checkInvariants(t)
	})
}

// TestDiscounts_CancelRace: one customer cancels an order that redeemed a
// code while another checks out the code's last use, at the same moment,
// round after round (a fresh code with usage_limit 2 each round, the first
// use already taken). Both always succeed, whichever runs first, and after
// every round times_used is exactly 1, the live orders carrying the code:
// a lost update (either side writing back a times_used it read before the
// other committed) leaves it at 0 or 2. On PostgreSQL the two run on
// separate connections truly at once; SQLite's single writer serialises
// them, so fewer rounds there.
func TestDiscounts_CancelRace(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		rounds := 40
		if dia == dialect.SQLite {
			rounds = 10
		}
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "c", nil)
		p := s.product(t, admin, cat, "P", 700, 10_000)
		firstCancelled := 0
		for round := range rounds {
			code := fmt.Sprintf("RACE%d", round)
			d := s.createDiscount(t, admin, map[string]any{"code": code, "type": "percentage", "value": 15, "usage_limit": 2})
			ann, bob := s.register(t, fmt.Sprintf("A%d", round)), s.register(t, fmt.Sprintf("B%d", round))
			s.addToCart(t, ann, p.ID, 1)
			s.setCode(t, ann, code).wantStatus(200)
			var placed ordering.OrderJSON
			s.checkout(t, ann, nil, nil).wantStatus(http.StatusCreated).JSON(&placed)
			s.addToCart(t, bob, p.ID, 1)
			s.setCode(t, bob, code).wantStatus(200)

			var (
				wg                sync.WaitGroup
				cancel, checkout  *resp
				cancelAt, orderAt time.Time
			)
			start := make(chan struct{})
			// Vary who goes first: a head start of up to 2 ms, to either.
			delay := time.Duration(rand.IntN(4000)-2000) * time.Microsecond
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				time.Sleep(delay)
				cancel = s.do(t, req{method: "POST", path: path("/api/v1/orders/%d/cancel", placed.ID), token: ann.Token})
				cancelAt = time.Now()
			}()
			go func() {
				defer wg.Done()
				<-start
				time.Sleep(-delay)
				checkout = s.checkout(t, bob, nil, nil)
				orderAt = time.Now()
			}()
			close(start)
			wg.Wait()
			cancel.wantStatus(200)
			var o ordering.OrderJSON
			checkout.wantStatus(http.StatusCreated).JSON(&o)
			if o.DiscountCode == nil || *o.DiscountCode != code {
				t.Fatalf("round %d: the last use's order carries %v, want %s", round, o.DiscountCode, code)
			}
			if cancelAt.Before(orderAt) {
				firstCancelled++
			}
			live := s.ent.Order.Query().Where(order.DiscountID(d.ID), order.StatusNEQ(order.StatusCancelled)).CountX(t.Context())
			if used := s.timesUsed(t, d.ID); used != 1 || live != 1 {
				t.Fatalf("round %d: times_used %d, live orders with the code %d, want 1 and 1", round, used, live)
			}
		}
		t.Logf("%s: %d rounds, the cancel answered first in %d", dia, rounds, firstCancelled)
		s.checkInvariants(t)
	})
}

// TestDiscounts_RateLimit: refused codes are limited per customer
// (SHOP_DISCOUNT_RATE_LIMIT); past the limit even a good code is 429, so
// codes can't be probed; another customer is not affected.
func TestDiscounts_RateLimit(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia, withEnv("SHOP_DISCOUNT_RATE_LIMIT", "3"))
		admin := s.admin(t)
		cat := s.category(t, admin, "c", nil)
		p := s.product(t, admin, cat, "P", 1000, 10)
		s.createDiscount(t, admin, map[string]any{"code": "REAL", "type": "fixed", "value": 10})
		ann, bob := s.register(t, "Ann"), s.register(t, "Bob")
		s.addToCart(t, ann, p.ID, 1)
		s.addToCart(t, bob, p.ID, 1)
		for i := 0; i < 3; i++ {
			s.setCode(t, ann, fmt.Sprintf("GUESS%d", i)).wantProblem(http.StatusUnprocessableEntity, "discount_invalid")
		}
		r := s.setCode(t, ann, "GUESS9")
		r.wantProblem(http.StatusTooManyRequests, "rate_limited")
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		s.setCode(t, ann, "REAL").wantProblem(http.StatusTooManyRequests, "rate_limited")
		s.setCode(t, bob, "REAL").wantStatus(http.StatusOK)
	})
}

// TestDiscounts_SalesReport: revenue is net of discounts, and
// group_by=discount keys rows by code, leaving out orders without one.
func TestDiscounts_SalesReport(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "c", nil)
		p := s.product(t, admin, cat, "P", 1000, 10)
		s.createDiscount(t, admin, map[string]any{"code": "TENOFF", "type": "percentage", "value": 10})
		ann, bob := s.register(t, "Ann"), s.register(t, "Bob")
		s.addToCart(t, ann, p.ID, 2)
		s.setCode(t, ann, "TENOFF").wantStatus(200)
		s.checkout(t, ann, nil, nil).wantStatus(http.StatusCreated)
		s.addToCart(t, bob, p.ID, 1)
		s.checkout(t, bob, nil, nil).wantStatus(http.StatusCreated)
		report := func(by string) []map[string]any {
			var out struct{ Rows []map[string]any }
			s.do(t, req{method: "GET", path: "/api/v1/admin/reports/sales?from=2000-01-01&to=2100-01-01&group_by=" + by, token: admin.Token}).wantStatus(200).JSON(&out)
			return out.Rows
		}
		if rows := report("discount"); len(rows) != 1 || rows[0]["key"] != "TENOFF" || rows[0]["revenue"] != float64(1800) || rows[0]["units"] != float64(2) {
			t.Fatalf("group_by=discount: %v", rows)
		}
		if rows := report("product"); len(rows) != 1 || rows[0]["revenue"] != float64(2800) {
			t.Fatalf("group_by=product (net of discounts): %v", rows)
		}
	})
}
