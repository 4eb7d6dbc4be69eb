package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	entproduct "shop/ent/product"
	"shop/internal/events"
	"shop/internal/testdb"
	"shop/modules/cart"
	"shop/modules/ordering"
)

type productWithVariants struct {
	ID       int
	Stock    int
	Options  []string
	Variants []events.Variant
}

// tshirt creates a product with a Size option and the given sizes, each
// with stock.
func (s *shop) tshirt(t testing.TB, admin user, cat int, name string, stock int, sizes ...string) productWithVariants {
	t.Helper()
	vs := make([]map[string]any, len(sizes))
	for i, size := range sizes {
		vs[i] = map[string]any{"sku": fmt.Sprintf("%s-%s", name, size), "options": map[string]string{"Size": size}, "stock": stock}
	}
	var p productWithVariants
	s.do(t, req{method: "POST", path: "/api/v1/admin/products", token: admin.Token, body: map[string]any{
		"category_id": cat, "name": name, "price": 1500, "options": []string{"Size"}, "variants": vs,
	}}).wantStatus(201).JSON(&p)
	return p
}

// TestVariants: the Variants contract of API.md end to end.
func TestVariants(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		cat := s.category(t, a, "shirts", nil)
		p := s.tshirt(t, a, cat, "Tee", 3, "S", "M")
		if len(p.Variants) != 2 || p.Stock != 6 || fmt.Sprint(p.Options) != "[Size]" ||
			p.Variants[0].Options["Size"] != "S" || p.Variants[0].Price != 1500 || *p.Variants[0].SKU != "Tee-S" {
			t.Fatalf("created = %+v", p)
		}
		small, medium := p.Variants[0], p.Variants[1]

		// Bad creates: options without variants, stock with options, a
		// variant naming another option, the same SKU twice.
		bad := []map[string]any{
			{"category_id": cat, "name": "X", "price": 1, "options": []string{"Size"}},
			{"category_id": cat, "name": "X", "price": 1, "variants": []any{map[string]any{"options": map[string]string{}}}},
			{"category_id": cat, "name": "X", "price": 1, "stock": 1, "options": []string{"Size"}, "variants": []any{map[string]any{"options": map[string]string{"Size": "S"}}}},
			{"category_id": cat, "name": "X", "price": 1, "options": []string{"Size"}, "variants": []any{map[string]any{"options": map[string]string{"Colour": "red"}}}},
		}
		for _, body := range bad {
			s.do(t, req{method: "POST", path: "/api/v1/admin/products", token: a.Token, body: body}).wantProblem(422, "validation_failed")
		}
		s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/variants", p.ID), token: a.Token,
			body: map[string]any{"sku": "Tee-S", "options": map[string]string{"Size": "XL"}}}).wantProblem(409, "conflict")
		s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/variants", p.ID), token: a.Token,
			body: map[string]any{"options": map[string]string{"Size": "M"}}}).wantProblem(409, "conflict")
		var large events.Variant
		s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/variants", p.ID), token: a.Token,
			body: map[string]any{"options": map[string]string{"Size": "L"}, "price": 1700, "stock": 2}}).wantStatus(201).JSON(&large)
		if large.Price != 1700 || large.Stock != 2 || large.SKU != nil || s.stock(t, p.ID) != 8 {
			t.Fatalf("large = %+v, product stock %d", large, s.stock(t, p.ID))
		}
		one := s.product(t, a, cat, "Mug", 900, 4)
		s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/variants", one.ID), token: a.Token,
			body: map[string]any{"options": map[string]string{"Size": "L"}}}).wantProblem(422, "validation_failed")

		// The cart: a product with several variants needs the variant.
		u := s.register(t, "Vera")
		pr := s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: u.Token, body: map[string]int{"product_id": p.ID, "quantity": 1}}).
			wantProblem(422, "variant_required")
		if fmt.Sprint(pr["variant_ids"]) != fmt.Sprint([]any{float64(small.ID), float64(medium.ID), float64(large.ID)}) {
			t.Fatalf("variant_ids = %v", pr["variant_ids"])
		}
		s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: u.Token, body: map[string]int{"product_id": p.ID, "variant_id": small.ID, "quantity": 1}}).
			wantProblem(422, "validation_failed")
		s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: u.Token, body: map[string]int{"variant_id": medium.ID, "quantity": 4}}).
			wantProblem(409, "insufficient_stock")
		var c cart.JSON
		s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: u.Token, body: map[string]int{"variant_id": medium.ID, "quantity": 2}}).wantStatus(201)
		s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: u.Token, body: map[string]int{"variant_id": large.ID, "quantity": 1}}).wantStatus(201).JSON(&c)
		if len(c.Items) != 2 || c.Items[0].VariantID != medium.ID || c.Items[0].Options["Size"] != "M" || c.Items[1].UnitPrice != 1700 || c.Total != 2*1500+1700 {
			t.Fatalf("cart = %+v", c)
		}
		// A variant's price follows the product's until set, and again after null.
		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/variants/%d", large.ID), token: a.Token, body: map[string]any{"price": nil}}).wantStatus(200)
		s.do(t, req{method: "GET", path: "/api/v1/cart", token: u.Token}).wantStatus(200).JSON(&c)
		if c.Items[1].UnitPrice != 1500 {
			t.Fatalf("after price null, unit price = %d", c.Items[1].UnitPrice)
		}

		// Stock adjustments: by product needs the variant; by variant with
		// expected_stock is compare-and-set.
		s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/stock-adjustments", p.ID), token: a.Token,
			body: map[string]any{"quantity_change": 1, "reason": "restock"}}).wantProblem(422, "variant_required")
		pr = s.do(t, req{method: "POST", path: path("/api/v1/admin/variants/%d/stock-adjustments", small.ID), token: a.Token,
			body: map[string]any{"quantity_change": 7, "reason": "restock", "expected_stock": 2}}).wantProblem(409, "stock_changed")
		if pr["expected_stock"] != float64(2) || pr["stock"] != float64(3) {
			t.Fatalf("stock_changed = %v", pr)
		}
		var sv events.Variant
		s.do(t, req{method: "POST", path: path("/api/v1/admin/variants/%d/stock-adjustments", small.ID), token: a.Token,
			body: map[string]any{"quantity_change": 7, "reason": "restock", "expected_stock": 3}}).wantStatus(200).JSON(&sv)
		if sv.Stock != 10 || s.stock(t, p.ID) != 15 {
			t.Fatalf("after the adjustment: variant %d, product %d", sv.Stock, s.stock(t, p.ID))
		}

		// Checkout: lines per variant with sku and options.
		var o ordering.OrderJSON
		s.checkout(t, u, nil, nil).wantStatus(201).JSON(&o)
		if len(o.Items) != 2 || o.Items[0].VariantID != medium.ID || *o.Items[0].SKU != "Tee-M" || o.Items[0].Options["Size"] != "M" || o.TotalAmount != 3*1500 {
			t.Fatalf("order = %+v", o)
		}
		if s.stock(t, p.ID) != 12 {
			t.Fatalf("product stock %d after selling 3, want 12", s.stock(t, p.ID))
		}
		var report struct {
			Rows []struct {
				Key   string
				Units int
			}
		}
		day := time.Now().UTC()
		s.do(t, req{method: "GET", path: "/api/v1/admin/reports/sales?group_by=variant&from=" + day.Format(time.DateOnly) + "&to=" + day.AddDate(0, 0, 1).Format(time.DateOnly), token: a.Token}).
			wantStatus(200).JSON(&report)
		if fmt.Sprint(report.Rows) != fmt.Sprintf("[{%d 2} {%d 1}]", medium.ID, large.ID) {
			t.Fatalf("sales by variant = %+v", report.Rows)
		}
		var moves struct {
			Items []struct {
				VariantID int `json:"variant_id"`
			}
		}
		s.do(t, req{method: "GET", path: path("/api/v1/admin/variants/%d/movements", medium.ID), token: a.Token}).wantStatus(200).JSON(&moves)
		if len(moves.Items) != 2 || moves.Items[0].VariantID != medium.ID {
			t.Fatalf("medium movements = %+v", moves)
		}

		// The list, the delete, the last variant.
		var list struct{ Items []events.Variant }
		s.do(t, req{method: "GET", path: "/api/v1/admin/variants?sku=Tee-M", token: a.Token}).wantStatus(200).JSON(&list)
		if len(list.Items) != 1 || list.Items[0].ID != medium.ID {
			t.Fatalf("by sku = %+v", list)
		}
		s.do(t, req{method: "DELETE", path: path("/api/v1/admin/variants/%d", large.ID), token: a.Token}).wantStatus(204)
		s.do(t, req{method: "GET", path: path("/api/v1/admin/variants/%d", large.ID), token: a.Token}).wantProblem(404, "not_found")
		s.do(t, req{method: "DELETE", path: path("/api/v1/admin/variants/%d", variantOf(t, s, one.ID)), token: a.Token}).wantProblem(409, "conflict")
		var pub productWithVariants
		s.do(t, req{method: "GET", path: path("/api/v1/products/%d", p.ID)}).wantStatus(200).JSON(&pub)
		if len(pub.Variants) != 2 || pub.Stock != 11 { // S 10 + M 1: the deleted L no longer counts
			t.Fatalf("public product after the delete = %+v", pub)
		}
		s.checkInvariants(t)
	})
}

// TestVariants_Concurrency: the unique index decides concurrent creates;
// the guarded decrement the last unit; expected_stock one of concurrent
// adjustments.
func TestVariants_Concurrency(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		cat := s.category(t, a, "shirts", nil)
		p := s.tshirt(t, a, cat, "Tee", 1, "S", "M")
		race := func(n int, fn func(i int) *resp) []*resp {
			out := make([]*resp, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					out[i] = fn(i)
				}()
			}
			close(start)
			wg.Wait()
			return out
		}
		count := func(rs []*resp, status int, code string) int {
			n := 0
			for _, r := range rs {
				if r.Status == status && (code == "" || r.Problem()["code"] == code) {
					n++
				}
			}
			return n
		}

		t.Run("SameOptionsOnce", func(t *testing.T) {
			rs := race(24, func(int) *resp {
				return s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/variants", p.ID), token: a.Token,
					body: map[string]any{"options": map[string]string{"Size": "XL"}, "stock": 1}})
			})
			if ok, conflict := count(rs, 201, ""), count(rs, 409, "conflict"); ok != 1 || conflict != 23 {
				t.Fatalf("24 creates of the same options: %d created, %d conflict", ok, conflict)
			}
		})

		t.Run("LastUnit", func(t *testing.T) {
			small, medium := p.Variants[0], p.Variants[1]
			buyers := make([]user, 16)
			for i := range buyers {
				buyers[i] = s.register(t, fmt.Sprintf("B%d", i))
				s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: buyers[i].Token, body: map[string]int{"variant_id": small.ID, "quantity": 1}}).wantStatus(201)
			}
			rs := race(16, func(i int) *resp { return s.checkout(t, buyers[i], nil, nil) })
			if ok, short := count(rs, http.StatusCreated, ""), count(rs, 409, "insufficient_stock"); ok != 1 || short != 15 {
				t.Fatalf("16 buyers of the last unit: %d orders, %d insufficient_stock", ok, short)
			}
			var v events.Variant
			s.do(t, req{method: "GET", path: path("/api/v1/admin/variants/%d", small.ID), token: a.Token}).wantStatus(200).JSON(&v)
			if v.Stock != 0 {
				t.Fatalf("sold-out variant stock %d", v.Stock)
			}
			s.do(t, req{method: "GET", path: path("/api/v1/admin/variants/%d", medium.ID), token: a.Token}).wantStatus(200).JSON(&v)
			if v.Stock != 1 {
				t.Fatalf("sibling variant stock %d, want 1 (untouched)", v.Stock)
			}
		})

		t.Run("ExpectedStockOnce", func(t *testing.T) {
			medium := p.Variants[1]
			rs := race(8, func(i int) *resp {
				return s.do(t, req{method: "POST", path: path("/api/v1/admin/variants/%d/stock-adjustments", medium.ID), token: a.Token,
					body: map[string]any{"quantity_change": 10 + i, "reason": "restock", "expected_stock": 1}})
			})
			if ok, changed := count(rs, 200, ""), count(rs, 409, "stock_changed"); ok != 1 || changed != 7 {
				t.Fatalf("8 adjustments expecting 1: %d applied, %d stock_changed", ok, changed)
			}
			var v events.Variant
			s.do(t, req{method: "GET", path: path("/api/v1/admin/variants/%d", medium.ID), token: a.Token}).wantStatus(200).JSON(&v)
			if v.Stock < 11 || v.Stock > 18 {
				t.Fatalf("stock %d after one adjustment of 10..17", v.Stock)
			}
		})
		s.checkInvariants(t)
	})
}

// TestVariants_ProductStockCap: a product's stock is the sum of its live
// variants' and is 0..10^9 too (CHECK product_stock_max, the trigger keeps
// the sum), so a variant create, an adjustment or a product create that
// would take the sum past 10^9 is refused as the stock limit is elsewhere:
// 409 conflict, nothing written; never a 5xx.
func TestVariants_ProductStockCap(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		cat := s.category(t, a, "shirts", nil)
		const big = 600_000_000
		p := s.tshirt(t, a, cat, "Tee", big, "S")
		s.do(t, req{method: "POST", path: "/api/v1/admin/products", token: a.Token, body: map[string]any{
			"category_id": cat, "name": "Two", "price": 1500, "options": []string{"Size"},
			"variants": []any{map[string]any{"options": map[string]string{"Size": "S"}, "stock": big},
				map[string]any{"options": map[string]string{"Size": "M"}, "stock": big}},
		}}).wantProblem(409, "conflict")
		if n := s.ent.Product.Query().Where(entproduct.Name("Two")).CountX(t.Context()); n != 0 {
			t.Fatalf("the refused product was stored (%d rows)", n)
		}
		s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/variants", p.ID), token: a.Token,
			body: map[string]any{"options": map[string]string{"Size": "M"}, "stock": big}}).wantProblem(409, "conflict")
		var m events.Variant
		s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/variants", p.ID), token: a.Token,
			body: map[string]any{"options": map[string]string{"Size": "M"}, "stock": 1}}).wantStatus(201).JSON(&m)
		s.do(t, req{method: "POST", path: path("/api/v1/admin/variants/%d/stock-adjustments", m.ID), token: a.Token,
			body: map[string]any{"quantity_change": big, "reason": "restock"}}).wantProblem(409, "conflict")
		if got := s.stock(t, p.ID); got != big+1 {
			t.Fatalf("product stock %d after the refusals, want %d", got, big+1)
		}
		s.checkInvariants(t)
	})
}
