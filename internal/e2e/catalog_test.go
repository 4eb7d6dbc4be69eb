package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"shop/ent/inventorymovement"
	"shop/internal/testdb"
	"shop/modules/catalog"
	"shop/modules/inventory"
)

func TestCategories(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		root := s.category(t, admin, "root", nil)
		child := s.category(t, admin, "child", &root)
		grand := s.category(t, admin, "grand", &child)

		var list struct{ Items []catalog.CategoryJSON }
		s.do(t, req{method: "GET", path: "/api/v1/categories"}).wantStatus(200).JSON(&list)
		if len(list.Items) != 3 || list.Items[1].ParentID == nil || *list.Items[1].ParentID != root || list.Items[0].ParentID != nil {
			t.Fatalf("categories = %+v", list.Items)
		}

		t.Run("ErrParentCycle", func(t *testing.T) {
			s.do(t, req{method: "PATCH", path: path("/api/v1/admin/categories/%d", root), token: admin.Token, body: map[string]any{"parent_id": grand}}).
				wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			s.do(t, req{method: "PATCH", path: path("/api/v1/admin/categories/%d", root), token: admin.Token, body: map[string]any{"parent_id": root}}).
				wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			if p := s.ent.Category.GetX(t.Context(), root).ParentID; p != nil {
				t.Fatalf("root got parent %d", *p)
			}
		})
		t.Run("Patch", func(t *testing.T) {
			var c catalog.CategoryJSON
			s.do(t, req{method: "PATCH", path: path("/api/v1/admin/categories/%d", grand), token: admin.Token, body: map[string]any{"parent_id": nil, "name": "Grand"}}).
				wantStatus(200).JSON(&c)
			if c.ParentID != nil || c.Name != "Grand" || c.Slug != "grand" {
				t.Fatalf("patched = %+v", c)
			}
			if stored := s.ent.Category.GetX(t.Context(), grand); stored.ParentID != nil || stored.Name != "Grand" {
				t.Fatalf("stored = %+v", stored)
			}
		})
		t.Run("ErrSlug", func(t *testing.T) {
			s.do(t, req{method: "POST", path: "/api/v1/admin/categories", token: admin.Token, body: map[string]any{"name": "Dup", "slug": "root"}}).
				wantProblem(http.StatusConflict, "conflict")
			for _, slug := range []string{"Has Space", "UPPER", "-lead", "trail-", "dou--ble", ""} {
				s.do(t, req{method: "POST", path: "/api/v1/admin/categories", token: admin.Token, body: map[string]any{"name": "X", "slug": slug}, invalid: true}).
					wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			}
		})
		t.Run("ErrUnknownParent", func(t *testing.T) {
			for _, id := range []int{9999, 0, -1} {
				s.do(t, req{method: "POST", path: "/api/v1/admin/categories", token: admin.Token, body: map[string]any{"name": "X", "slug": "x", "parent_id": id}}).
					wantProblem(http.StatusNotFound, "not_found")
				s.do(t, req{method: "PATCH", path: path("/api/v1/admin/categories/%d", child), token: admin.Token, body: map[string]any{"parent_id": id}}).
					wantProblem(http.StatusNotFound, "not_found")
			}
			s.do(t, req{method: "PATCH", path: "/api/v1/admin/categories/9999", token: admin.Token, body: map[string]any{"name": "X"}}).
				wantProblem(http.StatusNotFound, "not_found")
		})
		t.Run("Delete", func(t *testing.T) {
			s.do(t, req{method: "DELETE", path: path("/api/v1/admin/categories/%d", root), token: admin.Token}).
				wantProblem(http.StatusConflict, "conflict") // still has a child
			s.do(t, req{method: "DELETE", path: path("/api/v1/admin/categories/%d", grand), token: admin.Token}).wantStatus(http.StatusNoContent)
			s.do(t, req{method: "GET", path: "/api/v1/categories"}).wantStatus(200).JSON(&list)
			for _, c := range list.Items {
				if c.ID == grand {
					t.Fatal("deleted category still listed")
				}
			}
			s.do(t, req{method: "DELETE", path: path("/api/v1/admin/categories/%d", grand), token: admin.Token}).wantProblem(http.StatusNotFound, "not_found")
		})
	})
}

func TestProducts(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "tools", nil)

		var created catalog.ProductJSON
		r := s.do(t, req{method: "POST", path: "/api/v1/admin/products", token: admin.Token, body: map[string]any{
			"category_id": cat, "name": "Hammer", "description": "A good hammer", "price": 129999, "stock": 7,
		}}).wantStatus(http.StatusCreated)
		r.JSON(&created)
		if created.Price != 129999 || created.Currency != "USD" || created.Stock != 7 || !created.IsActive {
			t.Fatalf("created = %+v", created)
		}
		moves := s.ent.InventoryMovement.Query().Where(inventorymovement.ProductID(created.ID)).AllX(t.Context())
		if len(moves) != 1 || moves[0].Reason != inventorymovement.ReasonInitial || moves[0].QuantityChange != 7 {
			t.Fatalf("initial movements = %+v", moves)
		}

		get := s.do(t, req{method: "GET", path: path("/api/v1/products/%d", created.ID)}).wantStatus(200)
		etag := get.Header.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}

		t.Run("PatchWithIfMatch", func(t *testing.T) {
			var p catalog.ProductJSON
			r := s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", created.ID), token: admin.Token,
				header: map[string]string{"If-Match": etag}, body: map[string]any{"price": 99999, "name": "Hammer 2"}}).wantStatus(200)
			r.JSON(&p)
			if p.Price != 99999 || p.Name != "Hammer 2" || r.Header.Get("ETag") == etag {
				t.Fatalf("patched = %+v etag %s", p, r.Header.Get("ETag"))
			}
			// The old ETag is stale now.
			s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", created.ID), token: admin.Token,
				header: map[string]string{"If-Match": etag}, body: map[string]any{"price": 1}}).
				wantProblem(http.StatusPreconditionFailed, "version_conflict")
			if got := s.ent.Product.GetX(t.Context(), created.ID).Price; got != 99999 {
				t.Fatalf("price = %d after a refused PATCH", got)
			}
			etag = r.Header.Get("ETag")
		})
		t.Run("ErrPatchStock", func(t *testing.T) {
			for _, body := range []map[string]any{{"stock": 1000}, {"id": 5}, {"currency": "EUR"}, {"version": 9}} {
				s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", created.ID), token: admin.Token, body: body, invalid: true}).
					wantProblem(http.StatusBadRequest, "malformed_request")
			}
			if got := s.stock(t, created.ID); got != 7 {
				t.Fatalf("stock = %d after PATCH with stock", got)
			}
		})
		t.Run("ErrCreateValidation", func(t *testing.T) {
			for _, body := range []map[string]any{
				{"category_id": cat, "name": "", "price": 1, "stock": 1},
				{"category_id": cat, "name": "X", "price": 0, "stock": 1},
				{"category_id": cat, "name": "X", "price": 10_000_000_001, "stock": 1},
				{"category_id": cat, "name": "X", "price": 1, "stock": -1},
				{"category_id": cat, "name": "X", "price": 1, "stock": 1_000_000_001},
				{"category_id": cat, "name": "X", "price": 1},
				{"name": "X", "price": 1, "stock": 1},
			} {
				s.do(t, req{method: "POST", path: "/api/v1/admin/products", token: admin.Token, body: body, invalid: true}).
					wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			}
			s.do(t, req{method: "POST", path: "/api/v1/admin/products", token: admin.Token, invalid: true,
				body: map[string]any{"category_id": cat, "name": "X", "price": 1.5, "stock": 1}}).wantProblem(http.StatusBadRequest, "malformed_request")
			s.do(t, req{method: "POST", path: "/api/v1/admin/products", token: admin.Token,
				body: map[string]any{"category_id": 9999, "name": "X", "price": 1, "stock": 1}}).wantProblem(http.StatusNotFound, "not_found")
		})
		t.Run("StockAdjustments", func(t *testing.T) {
			adjust := func(change int, reason string) *resp {
				return s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/stock-adjustments", created.ID), token: admin.Token,
					body: map[string]any{"quantity_change": change, "reason": reason}})
			}
			var p catalog.ProductJSON
			adjust(5, "restock").wantStatus(200).JSON(&p)
			if p.Stock != 12 {
				t.Fatalf("stock after restock = %d", p.Stock)
			}
			adjust(-2, "damage").wantStatus(200)
			pr := adjust(-11, "adjustment").wantProblem(http.StatusConflict, "insufficient_stock")
			items := pr["items"].([]any)
			if it := items[0].(map[string]any); it["requested"] != float64(11) || it["available"] != float64(10) {
				t.Fatalf("insufficient_stock items = %v", items)
			}
			if got := s.stock(t, created.ID); got != 10 {
				t.Fatalf("stock = %d, want 10", got)
			}
			s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/stock-adjustments", created.ID), token: admin.Token, invalid: true,
				body: map[string]any{"quantity_change": 0, "reason": "restock"}}).wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/stock-adjustments", created.ID), token: admin.Token, invalid: true,
				body: map[string]any{"quantity_change": 1, "reason": "sale"}}).wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			// Past the stock maximum: 409, as for a restock on cancel (stock.Move).
			adjust(1_000_000_000, "restock").wantProblem(http.StatusConflict, "conflict")
			s.do(t, req{method: "POST", path: "/api/v1/admin/products/9999/stock-adjustments", token: admin.Token,
				body: map[string]any{"quantity_change": 1, "reason": "restock"}}).wantProblem(http.StatusNotFound, "not_found")

			var ms struct {
				Items      []inventory.MovementJSON
				NextCursor *string `json:"next_cursor"`
			}
			s.do(t, req{method: "GET", path: path("/api/v1/admin/products/%d/movements?limit=2", created.ID), token: admin.Token}).wantStatus(200).JSON(&ms)
			if len(ms.Items) != 2 || ms.Items[0].Reason != "damage" || ms.Items[1].Reason != "restock" || ms.NextCursor == nil {
				t.Fatalf("movements page 1 = %+v", ms)
			}
			s.do(t, req{method: "GET", path: path("/api/v1/admin/products/%d/movements?limit=2&cursor=%s", created.ID, *ms.NextCursor), token: admin.Token}).wantStatus(200).JSON(&ms)
			if len(ms.Items) != 1 || ms.Items[0].Reason != "initial" || ms.NextCursor != nil {
				t.Fatalf("movements page 2 = %+v", ms)
			}
			s.checkLedger(t)
		})
		t.Run("Deactivate", func(t *testing.T) {
			s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", created.ID), token: admin.Token, body: map[string]any{"is_active": false}}).wantStatus(200)
			s.do(t, req{method: "GET", path: path("/api/v1/products/%d", created.ID)}).wantProblem(http.StatusNotFound, "not_found")
			s.do(t, req{method: "GET", path: path("/api/v1/products/%d", created.ID), token: admin.Token}).wantStatus(200)
			var l struct{ Items []catalog.ProductJSON }
			s.do(t, req{method: "GET", path: "/api/v1/products"}).wantStatus(200).JSON(&l)
			if len(l.Items) != 0 {
				t.Fatalf("inactive product listed: %+v", l.Items)
			}
			s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", created.ID), token: admin.Token, body: map[string]any{"is_active": true}}).wantStatus(200)
		})
		t.Run("Delete", func(t *testing.T) {
			s.do(t, req{method: "DELETE", path: path("/api/v1/admin/products/%d", created.ID), token: admin.Token}).wantStatus(http.StatusNoContent)
			s.do(t, req{method: "GET", path: path("/api/v1/products/%d", created.ID)}).wantProblem(http.StatusNotFound, "not_found")
			s.do(t, req{method: "GET", path: path("/api/v1/products/%d", created.ID), token: admin.Token}).wantStatus(200)
			s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", created.ID), token: admin.Token, body: map[string]any{"name": "Zombie"}}).
				wantProblem(http.StatusNotFound, "not_found")
			s.do(t, req{method: "DELETE", path: path("/api/v1/admin/products/%d", created.ID), token: admin.Token}).wantProblem(http.StatusNotFound, "not_found")
			s.do(t, req{method: "DELETE", path: path("/api/v1/admin/categories/%d", cat), token: admin.Token}).wantStatus(http.StatusNoContent)
		})
		t.Run("ErrPathIDs", func(t *testing.T) {
			for _, id := range []string{"abc", "-1", "0", "1.5", "99999999999999999999999"} {
				s.do(t, req{method: "GET", path: "/api/v1/products/" + url.PathEscape(id), invalid: true}).wantProblem(http.StatusNotFound, "not_found")
			}
		})
	})
}

func TestProducts_ListFilters(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		tools := s.category(t, admin, "tools", nil)
		saws := s.category(t, admin, "saws", &tools)
		garden := s.category(t, admin, "garden", nil)
		hammer := s.product(t, admin, tools, "Claw Hammer", 2500, 3)
		saw := s.product(t, admin, saws, "Hand Saw 100% steel", 4000, 0)
		hose := s.product(t, admin, garden, "Garden hose_50", 1500, 10)

		ids := func(query string) []int {
			t.Helper()
			var l struct{ Items []catalog.ProductJSON }
			s.do(t, req{method: "GET", path: "/api/v1/products" + query}).wantStatus(200).JSON(&l)
			out := []int{}
			for _, p := range l.Items {
				out = append(out, p.ID)
			}
			return out
		}
		cases := []struct {
			query string
			want  []int
		}{
			{"", []int{hose.ID, saw.ID, hammer.ID}},
			{"?category=tools", []int{saw.ID, hammer.ID}},
			{"?category=saws", []int{saw.ID}},
			{"?category=nope", []int{}},
			{"?q=HAMMER", []int{hammer.ID}},
			{"?q=100%25", []int{saw.ID}},
			{"?q=%25", []int{saw.ID}},
			{"?q=_", []int{hose.ID}},
			{"?q=e_5", []int{hose.ID}},
			{"?min_price=2000&max_price=3000", []int{hammer.ID}},
			{"?in_stock=true&sort=price", []int{hose.ID, hammer.ID}},
			{"?sort=price", []int{hose.ID, hammer.ID, saw.ID}},
			{"?sort=-price", []int{saw.ID, hammer.ID, hose.ID}},
			{"?sort=name", []int{hammer.ID, hose.ID, saw.ID}},
			{"?sort=created_at", []int{hammer.ID, saw.ID, hose.ID}},
		}
		for _, c := range cases {
			if got := ids(c.query); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("GET /products%s = %v, want %v", c.query, got, c.want)
			}
		}
		for _, bad := range []string{"?limit=0", "?limit=101", "?limit=x", "?sort=stock", "?cursor=garbage", "?min_price=abc", "?max_price=1.5",
			"?in_stock=yes", "?min_price=10&max_price=5", "?min_price=-1", "?q=a%00b", "?q=%ff", "?category=%00"} {
			s.do(t, req{method: "GET", path: "/api/v1/products" + bad, invalid: true}).wantProblem(http.StatusUnprocessableEntity, "validation_failed")
		}
		// A cursor of one sort is not a cursor of another.
		var l struct {
			NextCursor *string `json:"next_cursor"`
		}
		s.do(t, req{method: "GET", path: "/api/v1/products?limit=1&sort=price"}).wantStatus(200).JSON(&l)
		s.do(t, req{method: "GET", path: "/api/v1/products?limit=1&sort=name&cursor=" + *l.NextCursor, invalid: true}).
			wantProblem(http.StatusUnprocessableEntity, "validation_failed")
	})
}

// TestProducts_IfNoneMatch: a product answers If-None-Match with its
// current ETag with 304 and no body; a stock change makes the copy stale
// (200), while If-Match with the older ETag still edits the product.
func TestProducts_IfNoneMatch(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "cached", nil)
		id := s.product(t, admin, cat, "Cached", 500, 7).ID
		url := path("/api/v1/products/%d", id)
		etag := s.do(t, req{method: "GET", path: url}).wantStatus(200).Header.Get("ETag")
		// The current ETag revalidates a cached copy: 304, no body.
		r := s.do(t, req{method: "GET", path: url, header: map[string]string{"If-None-Match": etag}}).wantStatus(304)
		if len(r.Body) != 0 || r.Header.Get("ETag") != etag {
			t.Fatalf("304 with body %q, ETag %q (want %q)", r.Body, r.Header.Get("ETag"), etag)
		}
		s.do(t, req{method: "GET", path: url, header: map[string]string{"If-None-Match": `"0.0", W/` + etag}}).wantStatus(304)
		// A stock change (no new version) makes the cached copy stale...
		s.do(t, req{method: "POST", path: url[:len("/api/v1")] + "/admin" + url[len("/api/v1"):] + "/stock-adjustments", token: admin.Token,
			body: map[string]any{"quantity_change": 2, "reason": "restock"}}).wantStatus(200)
		var p catalog.ProductJSON
		r = s.do(t, req{method: "GET", path: url, header: map[string]string{"If-None-Match": etag}}).wantStatus(200)
		r.JSON(&p)
		if p.Stock != 9 || r.Header.Get("ETag") == etag {
			t.Fatalf("after a restock: stock %d, ETag %q (was %q)", p.Stock, r.Header.Get("ETag"), etag)
		}
		// ... but If-Match with the ETag read before it still edits the
		// product: a sale or a restock does not defeat an admin's edit.
		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", id), token: admin.Token,
			header: map[string]string{"If-Match": etag}, body: map[string]any{"description": "revalidated"}}).wantStatus(200)
	})
}
