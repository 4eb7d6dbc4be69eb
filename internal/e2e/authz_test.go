package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"shop/internal/testdb"
)

var pathParam = regexp.MustCompile(`:[a-z_]+`)

// TestBFLA lists every admin route from the router itself, so a route added
// later can't be forgotten: customers get 403, anonymous callers 401.
func TestBFLA(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		customer := s.register(t, "Cust")
		admin := s.admin(t)
		n := 0
		for _, r := range s.srv.Echo.Routes() {
			if !strings.HasPrefix(r.Path, "/api/v1/admin") && !strings.HasPrefix(r.Path, "/admin/graphql") {
				continue
			}
			if strings.HasPrefix(r.Method, "echo_") || r.Method == http.MethodOptions || r.Method == http.MethodHead {
				continue
			}
			n++
			p := pathParam.ReplaceAllString(r.Path, "1")
			s.do(t, req{method: r.Method, path: p, token: customer.Token, body: `{}`, invalid: true}).wantProblem(http.StatusForbidden, "forbidden")
			s.do(t, req{method: r.Method, path: p, body: `{}`, invalid: true}).wantProblem(http.StatusUnauthorized, "unauthorized")
			if res := s.do(t, req{method: r.Method, path: p, token: admin.Token, body: `{}`, invalid: true}); res.Status == 401 || res.Status == 403 {
				t.Errorf("%s %s: admin got %d", r.Method, p, res.Status)
			}
		}
		if n < 14 {
			t.Fatalf("found %d admin routes, want at least 14", n)
		}
	})
}
