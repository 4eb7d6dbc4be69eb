package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"shop/internal/testdb"
)

var pathParam = regexp.MustCompile(`:[a-z_]+`)

// TestBFLA lists every admin route from the router itself, so a route added
// later can't be forgotten: customers get 403, anonymous callers 401, and an
// admin with a valid request gets the route's success status (a route
// without a valid request in adminRequests fails the test).
func TestBFLA(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		customer := s.register(t, "Cust")
		admin := s.admin(t)
		n := 0
		var routes []string
		for _, r := range s.srv.Echo.Routes() {
			if !strings.HasPrefix(r.Path, "/api/v1/admin") && !strings.HasPrefix(r.Path, "/admin/graphql") {
				continue
			}
			if strings.HasPrefix(r.Method, "echo_") || r.Method == http.MethodOptions || r.Method == http.MethodHead {
				continue
			}
			n++
			routes = append(routes, r.Method+" "+r.Path)
			p := pathParam.ReplaceAllString(r.Path, "1")
			s.do(t, req{method: r.Method, path: p, token: customer.Token, body: `{}`, invalid: true}).wantProblem(http.StatusForbidden, "forbidden")
			s.do(t, req{method: r.Method, path: p, body: `{}`, invalid: true}).wantProblem(http.StatusUnauthorized, "unauthorized")
			if res := s.do(t, req{method: r.Method, path: p, token: admin.Token, body: `{}`, invalid: true}); res.Status == 401 || res.Status == 403 {
				t.Errorf("%s %s: admin got %d", r.Method, p, res.Status)
			}
		}
		if n < 29 { // API.md: 28 operations under /api/v1/admin, and POST /admin/graphql
			t.Fatalf("found %d admin routes, want at least API.md's 29", n)
		}

		// Each admin route succeeds for an admin with a valid request; every
		// request has fixtures of its own, so the order of routes is free.
		valid := s.adminRequests(t, admin, customer)
		for _, route := range routes {
			rq, ok := valid[route]
			if !ok {
				t.Errorf("%s: no valid admin request in adminRequests; add one", route)
				continue
			}
			rq.req.token = admin.Token
			res := s.do(t, rq.req)
			if res.Status != rq.want {
				t.Errorf("%s as admin: status %d, want %d: %s", route, res.Status, rq.want, res.Body)
				continue
			}
			if rq.check != nil {
				rq.check(t, res)
			}
		}
		s.checkInvariants(t)
	})
}

// adminRequest is a valid request to one admin route and what it returns.
type adminRequest struct {
	req   req
	want  int
	check func(t *testing.T, res *resp)
}

// adminRequests returns a valid request for every admin route, keyed by
// "METHOD /route/:param", each on fixtures made for it alone.
func (s *shop) adminRequests(t *testing.T, admin, customer user) map[string]adminRequest {
	t.Helper()
	cat := s.category(t, admin, "bfla-tools", nil)
	emptyCat := s.category(t, admin, "bfla-empty", nil)
	patched := s.product(t, admin, cat, "BFLA Patched", 500, 5)
	deleted := s.product(t, admin, cat, "BFLA Deleted", 500, 5)
	adjusted := s.product(t, admin, cat, "BFLA Adjusted", 500, 5)
	tee := s.tshirt(t, admin, cat, "BFLA-Tee", 5, "S", "M", "L")
	s.addToCart(t, customer, patched.ID, 1)
	var o struct{ ID int }
	s.checkout(t, customer, nil, nil).wantStatus(http.StatusCreated).JSON(&o)

	hookPatched, _ := s.subscribe(t, admin, "http://93.184.216.34/patched", "order.created")
	hookDeleted, _ := s.subscribe(t, admin, "http://93.184.216.34/deleted", "order.created")
	hookDelivered, deliveryID := s.bflaDelivery(t, admin)
	disc := s.createDiscount(t, admin, map[string]any{"code": "BFLA-PATCHED", "type": "fixed", "value": 10})
	discDeleted := s.createDiscount(t, admin, map[string]any{"code": "BFLA-DELETED", "type": "fixed", "value": 10})

	// jsonHas fails unless the JSON body has key with the value's text.
	jsonHas := func(key string, want any) func(t *testing.T, res *resp) {
		return func(t *testing.T, res *resp) {
			t.Helper()
			var m map[string]any
			res.JSON(&m)
			if fmt.Sprint(m[key]) != fmt.Sprint(want) {
				t.Errorf("%s = %v, want %v: %s", key, m[key], want, res.Body)
			}
		}
	}
	return map[string]adminRequest{
		"POST /api/v1/admin/categories": {
			req:  req{method: "POST", path: "/api/v1/admin/categories", body: map[string]any{"name": "BFLA New", "slug": "bfla-new"}},
			want: http.StatusCreated, check: jsonHas("slug", "bfla-new"),
		},
		"PATCH /api/v1/admin/categories/:id": {
			req:  req{method: "PATCH", path: path("/api/v1/admin/categories/%d", cat), body: map[string]any{"name": "BFLA Renamed"}},
			want: http.StatusOK, check: jsonHas("name", "BFLA Renamed"),
		},
		"DELETE /api/v1/admin/categories/:id": {
			req: req{method: "DELETE", path: path("/api/v1/admin/categories/%d", emptyCat)}, want: http.StatusNoContent,
		},
		"POST /api/v1/admin/products": {
			req: req{method: "POST", path: "/api/v1/admin/products", body: map[string]any{
				"category_id": cat, "name": "BFLA Created", "description": "made by TestBFLA", "price": 700, "stock": 2,
			}},
			want: http.StatusCreated, check: jsonHas("name", "BFLA Created"),
		},
		"PATCH /api/v1/admin/products/:id": {
			req:  req{method: "PATCH", path: path("/api/v1/admin/products/%d", patched.ID), body: map[string]any{"price": 650}},
			want: http.StatusOK, check: jsonHas("price", 650),
		},
		"DELETE /api/v1/admin/products/:id": {
			req: req{method: "DELETE", path: path("/api/v1/admin/products/%d", deleted.ID)}, want: http.StatusNoContent,
			check: func(t *testing.T, _ *resp) {
				s.do(t, req{method: "GET", path: path("/api/v1/products/%d", deleted.ID)}).wantProblem(http.StatusNotFound, "not_found")
			},
		},
		"POST /api/v1/admin/products/:id/stock-adjustments": {
			req:  req{method: "POST", path: path("/api/v1/admin/products/%d/stock-adjustments", adjusted.ID), body: map[string]any{"quantity_change": 3, "reason": "restock"}},
			want: http.StatusOK, check: jsonHas("stock", 8),
		},
		"POST /api/v1/admin/products/:id/variants": {
			req:  req{method: "POST", path: path("/api/v1/admin/products/%d/variants", tee.ID), body: map[string]any{"options": map[string]string{"Size": "XL"}}},
			want: http.StatusCreated, check: jsonHas("product_id", tee.ID),
		},
		"GET /api/v1/admin/variants": {
			req: req{method: "GET", path: path("/api/v1/admin/variants?product_id=%d", tee.ID)}, want: http.StatusOK,
		},
		"GET /api/v1/admin/variants/:id": {
			req: req{method: "GET", path: path("/api/v1/admin/variants/%d", tee.Variants[0].ID)}, want: http.StatusOK, check: jsonHas("sku", "BFLA-Tee-S"),
		},
		"PATCH /api/v1/admin/variants/:id": {
			req:  req{method: "PATCH", path: path("/api/v1/admin/variants/%d", tee.Variants[0].ID), body: map[string]any{"price": 1600}},
			want: http.StatusOK, check: jsonHas("price", 1600),
		},
		"DELETE /api/v1/admin/variants/:id": {
			req: req{method: "DELETE", path: path("/api/v1/admin/variants/%d", tee.Variants[1].ID)}, want: http.StatusNoContent,
		},
		"POST /api/v1/admin/variants/:id/stock-adjustments": {
			req:  req{method: "POST", path: path("/api/v1/admin/variants/%d/stock-adjustments", tee.Variants[2].ID), body: map[string]any{"quantity_change": 3, "reason": "restock"}},
			want: http.StatusOK, check: jsonHas("stock", 8),
		},
		"GET /api/v1/admin/variants/:id/movements": {
			req: req{method: "GET", path: path("/api/v1/admin/variants/%d/movements", tee.Variants[2].ID)}, want: http.StatusOK,
		},
		"GET /api/v1/admin/products/:id/movements": {
			req: req{method: "GET", path: path("/api/v1/admin/products/%d/movements", patched.ID)}, want: http.StatusOK,
		},
		"GET /api/v1/admin/inventory/reconciliation": {
			req: req{method: "GET", path: "/api/v1/admin/inventory/reconciliation"}, want: http.StatusOK,
		},
		"GET /api/v1/admin/orders": {
			req: req{method: "GET", path: path("/api/v1/admin/orders?user_id=%d", customer.ID)}, want: http.StatusOK,
		},
		"POST /api/v1/admin/orders/:id/status": {
			req:  req{method: "POST", path: path("/api/v1/admin/orders/%d/status", o.ID), body: map[string]any{"status": "processing"}},
			want: http.StatusOK, check: jsonHas("status", "processing"),
		},
		"GET /api/v1/admin/reports/sales": {
			req: req{method: "GET", path: "/api/v1/admin/reports/sales?from=2000-01-01&to=2100-01-01&group_by=product"}, want: http.StatusOK,
		},
		"GET /api/v1/admin/audit-log": {
			req: req{method: "GET", path: "/api/v1/admin/audit-log?entity=product"}, want: http.StatusOK,
		},
		"POST /api/v1/admin/api-keys": {
			req:  req{method: "POST", path: "/api/v1/admin/api-keys", body: map[string]any{"name": "BFLA key"}},
			want: http.StatusCreated, check: jsonHas("name", "BFLA key"),
		},
		"GET /api/v1/admin/api-keys": {
			req: req{method: "GET", path: "/api/v1/admin/api-keys"}, want: http.StatusOK,
		},
		"DELETE /api/v1/admin/api-keys/:id": {
			req: req{method: "DELETE", path: path("/api/v1/admin/api-keys/%d", s.bflaKey(t, admin))}, want: http.StatusNoContent,
		},
		"POST /api/v1/admin/webhooks": {
			req:  req{method: "POST", path: "/api/v1/admin/webhooks", body: map[string]any{"url": "http://93.184.216.34/bfla", "events": []string{"order.created"}}},
			want: http.StatusCreated, check: jsonHas("url", "http://93.184.216.34/bfla"),
		},
		"GET /api/v1/admin/webhooks": {
			req: req{method: "GET", path: "/api/v1/admin/webhooks"}, want: http.StatusOK,
		},
		"PATCH /api/v1/admin/webhooks/:id": {
			req:  req{method: "PATCH", path: path("/api/v1/admin/webhooks/%d", hookPatched), body: map[string]any{"active": false}},
			want: http.StatusOK, check: jsonHas("active", false),
		},
		"DELETE /api/v1/admin/webhooks/:id": {
			req: req{method: "DELETE", path: path("/api/v1/admin/webhooks/%d", hookDeleted)}, want: http.StatusNoContent,
		},
		"GET /api/v1/admin/webhooks/:id/deliveries": {
			req: req{method: "GET", path: path("/api/v1/admin/webhooks/%d/deliveries", hookDelivered)}, want: http.StatusOK,
		},
		"POST /api/v1/admin/webhooks/:id/deliveries/:delivery_id/retry": {
			req: req{method: "POST", path: path("/api/v1/admin/webhooks/%d/deliveries/%d/retry", hookDelivered, deliveryID)}, want: http.StatusAccepted,
		},
		"POST /api/v1/admin/discounts": {
			req:  req{method: "POST", path: "/api/v1/admin/discounts", body: map[string]any{"code": "BFLA-NEW", "type": "percentage", "value": 5}},
			want: http.StatusCreated, check: jsonHas("code", "BFLA-NEW"),
		},
		"GET /api/v1/admin/discounts": {
			req: req{method: "GET", path: "/api/v1/admin/discounts?code=bfla-patched"}, want: http.StatusOK,
		},
		"GET /api/v1/admin/discounts/:id": {
			req: req{method: "GET", path: path("/api/v1/admin/discounts/%d", disc.ID)}, want: http.StatusOK, check: jsonHas("code", "BFLA-PATCHED"),
		},
		"PATCH /api/v1/admin/discounts/:id": {
			req:  req{method: "PATCH", path: path("/api/v1/admin/discounts/%d", disc.ID), body: map[string]any{"min_subtotal": 99}},
			want: http.StatusOK, check: jsonHas("min_subtotal", 99),
		},
		"DELETE /api/v1/admin/discounts/:id": {
			req: req{method: "DELETE", path: path("/api/v1/admin/discounts/%d", discDeleted.ID)}, want: http.StatusNoContent,
		},
		"GET /api/v1/admin/discounts/:id/redemptions": {
			req: req{method: "GET", path: path("/api/v1/admin/discounts/%d/redemptions", disc.ID)}, want: http.StatusOK,
		},
		"POST /admin/graphql": {
			req: req{method: "POST", path: "/admin/graphql", body: map[string]any{"query": "{ categories { totalCount } }"}}, want: http.StatusOK,
			check: func(t *testing.T, res *resp) {
				var g gqlResponse
				res.JSON(&g)
				if len(g.Errors) > 0 || len(g.Data["categories"]) == 0 {
					t.Errorf("graphql as admin: %s", res.Body)
				}
			},
		},
	}
}
