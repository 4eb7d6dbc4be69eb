package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"shop/ent"
	"shop/ent/cartitem"
	"shop/ent/category"
	"shop/ent/order"
	entuser "shop/ent/user"
	"shop/internal/testdb"
	"shop/modules/identity"
)

// TestAuthorizationIsCurrent is issue 10 item 2: admin rights come from the
// user's role in the database on every request, and a token whose user no
// longer exists records nothing.
func TestAuthorizationIsCurrent(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "authz", nil)
		p := s.product(t, admin, cat, "Authz", 100, 10)
		tokens := &identity.Tokens{Secret: []byte(s.cfg.JWTSecret), TTL: time.Hour}
		ghost := func(role entuser.Role) string {
			tok, err := tokens.Issue(&ent.User{ID: 987654321, Role: role})
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}

		t.Run("DemotedAdminIs403AtOnce", func(t *testing.T) {
			// Before: 201 with the old token until it expired (24 h).
			s.ent.User.UpdateOneID(admin.ID).SetRole(entuser.RoleCustomer).ExecX(t.Context())
			s.do(t, req{method: "POST", path: "/api/v1/admin/categories", token: admin.Token,
				body: map[string]any{"name": "Demoted", "slug": "demoted"}}).wantProblem(http.StatusForbidden, "forbidden")
			s.do(t, req{method: "POST", path: "/admin/graphql", token: admin.Token,
				body: map[string]any{"query": "{ __typename }"}}).wantProblem(http.StatusForbidden, "forbidden")
			if n := s.ent.Category.Query().Where(category.Slug("demoted")).CountX(t.Context()); n != 0 {
				t.Fatalf("a demoted admin created %d categories", n)
			}
			// "May see inactive products" is an admin decision too: a
			// demoted admin's token no longer shows an inactive product
			// (issue 17 item 3: it was read from the token's role).
			s.ent.Product.UpdateOneID(p.ID).SetIsActive(false).ExecX(t.Context())
			s.do(t, req{method: "GET", path: path("/api/v1/products/%d", p.ID), token: admin.Token}).wantProblem(http.StatusNotFound, "not_found")
			// Promoted again, the same token works at once.
			s.ent.User.UpdateOneID(admin.ID).SetRole(entuser.RoleAdmin).ExecX(t.Context())
			s.do(t, req{method: "POST", path: "/api/v1/admin/categories", token: admin.Token,
				body: map[string]any{"name": "Promoted", "slug": "promoted"}}).wantStatus(http.StatusCreated)
			s.do(t, req{method: "GET", path: path("/api/v1/products/%d", p.ID), token: admin.Token}).wantStatus(http.StatusOK)
			s.ent.Product.UpdateOneID(p.ID).SetIsActive(true).ExecX(t.Context())
		})

		t.Run("VanishedUserIs401OnEveryAdminRoute", func(t *testing.T) {
			// Before: 200 on /api/v1/admin/orders and /admin/graphql, 409
			// "slug already exists" on a category create.
			tok := ghost(entuser.RoleAdmin)
			n := 0
			for _, r := range s.srv.Echo.Routes() {
				if !strings.HasPrefix(r.Path, "/api/v1/admin") && !strings.HasPrefix(r.Path, "/admin/graphql") {
					continue
				}
				if strings.HasPrefix(r.Method, "echo_") || r.Method == http.MethodOptions || r.Method == http.MethodHead {
					continue
				}
				n++
				pth := pathParam.ReplaceAllString(r.Path, "1")
				s.do(t, req{method: r.Method, path: pth, token: tok, body: `{}`, invalid: true}).wantProblem(http.StatusUnauthorized, "unauthorized")
			}
			if n < 23 { // API.md: 22 operations under /api/v1/admin, and POST /admin/graphql
				t.Fatalf("found %d admin routes, want at least API.md's 23", n)
			}
			s.do(t, req{method: "POST", path: "/api/v1/admin/categories", token: tok,
				body: map[string]any{"name": "Ghost", "slug": "ghost"}}).wantProblem(http.StatusUnauthorized, "unauthorized")
			if n := s.ent.Category.Query().Where(category.Slug("ghost")).CountX(t.Context()); n != 0 {
				t.Fatalf("a vanished user created %d categories", n)
			}
		})

		t.Run("VanishedUserCannotWrite", func(t *testing.T) {
			// Before: cart add was 422 "line would hold more than 1000".
			for _, role := range []entuser.Role{entuser.RoleCustomer, entuser.RoleAdmin} {
				tok := ghost(role)
				s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: tok,
					body: map[string]int{"product_id": p.ID, "quantity": 1}}).wantProblem(http.StatusUnauthorized, "unauthorized")
				s.do(t, req{method: "POST", path: "/api/v1/checkout", token: tok}).wantProblem(http.StatusUnauthorized, "unauthorized")
				s.do(t, req{method: "POST", path: "/api/v1/checkout", token: tok,
					header: map[string]string{"Idempotency-Key": "ghost-" + string(role)}}).wantProblem(http.StatusUnauthorized, "unauthorized")
				// Customer reads trust the token until it expires: no round trip.
				s.do(t, req{method: "GET", path: "/api/v1/cart", token: tok}).wantStatus(http.StatusOK)
			}
			if n := s.ent.CartItem.Query().Where(cartitem.UserID(987654321)).CountX(t.Context()); n != 0 {
				t.Fatalf("%d cart lines of a vanished user", n)
			}
			if n := s.ent.Order.Query().Where(order.UserID(987654321)).CountX(t.Context()); n != 0 {
				t.Fatalf("%d orders of a vanished user", n)
			}
			if got := s.stock(t, p.ID); got != 10 {
				t.Fatalf("stock %d, want 10", got)
			}
		})
	})
}
