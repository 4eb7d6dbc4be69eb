package e2e

import (
	"net/http"
	"strconv"
	"testing"

	"shop/ent/cartitem"
	"shop/internal/testdb"
)

// TestExactRequests is issue 10 item 6: field names match exactly, a query
// parameter given twice is refused, and a path id has one spelling.
func TestExactRequests(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "exact", nil)
		p := s.product(t, admin, cat, "Exact", 100, 10)
		u := s.register(t, "Exact")

		t.Run("FieldNamesAreCaseSensitive", func(t *testing.T) {
			// Before: {"QUANTITY":1} filled quantity and the line was added.
			s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: u.Token, invalid: true,
				body: `{"product_id":` + itoa(p.ID) + `,"QUANTITY":1}`}).wantProblem(http.StatusBadRequest, "malformed_request")
			s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: u.Token, invalid: true,
				body: `{"Product_Id":` + itoa(p.ID) + `,"quantity":1}`}).wantProblem(http.StatusBadRequest, "malformed_request")
			if n := s.ent.CartItem.Query().Where(cartitem.UserID(u.ID)).CountX(t.Context()); n != 0 {
				t.Fatalf("%d cart lines after refused requests, want 0", n)
			}
			s.addToCart(t, u, p.ID, 1)
		})

		t.Run("RepeatedQueryParameter", func(t *testing.T) {
			// Before: limit=5&limit=500 took the first silently.
			pr := s.do(t, req{method: "GET", path: "/api/v1/products?limit=5&limit=500", invalid: true}).
				wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			errs, _ := pr["errors"].([]any)
			if len(errs) != 1 || errs[0].(map[string]any)["field"] != "limit" {
				t.Fatalf("errors %v, want one on limit", pr["errors"])
			}
			s.do(t, req{method: "GET", path: "/api/v1/orders?status=pending&status=shipped", token: u.Token, invalid: true}).
				wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			s.do(t, req{method: "GET", path: "/api/v1/products?limit=5"}).wantStatus(http.StatusOK)
		})

		t.Run("BadlyEncodedQueryParameter", func(t *testing.T) {
			// Before: cursor=%zz and limit=%zz were dropped and page 1 served.
			for q, field := range map[string]string{
				"/api/v1/products?cursor=%zz":         "cursor",
				"/api/v1/products?limit=%zz":          "limit",
				"/api/v1/products?limit=5&cursor=a%2": "cursor",
				"/api/v1/categories?limit=%zz":        "limit",
			} {
				pr := s.do(t, req{method: "GET", path: q, invalid: true}).
					wantProblem(http.StatusUnprocessableEntity, "validation_failed")
				errs, _ := pr["errors"].([]any)
				if len(errs) != 1 || errs[0].(map[string]any)["field"] != field {
					t.Errorf("%s: errors %v, want one on %s", q, pr["errors"], field)
				}
			}
			s.do(t, req{method: "GET", path: "/api/v1/orders?status=%zz", token: u.Token, invalid: true}).
				wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			s.do(t, req{method: "GET", path: "/api/v1/products?q=100%25&limit=5"}).wantStatus(http.StatusOK)
		})

		t.Run("CanonicalPathIDs", func(t *testing.T) {
			// Before: /products/00001 and /products/+1 resolved to product 1.
			s.do(t, req{method: "GET", path: path("/api/v1/products/%d", p.ID)}).wantStatus(http.StatusOK)
			for _, bad := range []string{"/api/v1/products/00" + itoa(p.ID), "/api/v1/products/+" + itoa(p.ID), "/api/v1/products/0"} {
				s.do(t, req{method: "GET", path: bad, invalid: true}).wantProblem(http.StatusNotFound, "not_found")
			}
			s.do(t, req{method: "PATCH", path: "/api/v1/admin/products/0" + itoa(p.ID), token: admin.Token, invalid: true,
				body: map[string]any{"name": "Renamed"}}).wantProblem(http.StatusNotFound, "not_found")
			if got := s.ent.Product.GetX(t.Context(), p.ID).Name; got != "Exact" {
				t.Fatalf("name %q after a refused PATCH, want Exact", got)
			}
		})
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
