package e2e

import (
	"context"
	"net/http"
	"testing"

	"shop/ent/apikey"
	"shop/internal/testdb"
)

// TestAPIKeys_CantManageKeys is issue 18 item 4: an API key could mint API
// keys, whose children survived the parent's revocation, and revoke other
// keys. Before: 201 and 204. After: 403 forbidden on every API-key route
// and on the GraphQL apiKeys connection; only a signed-in admin manages
// keys.
func TestAPIKeys_CantManageKeys(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		var k struct {
			ID  int
			Key string
		}
		s.do(t, req{method: "POST", path: "/api/v1/admin/api-keys", token: admin.Token, body: map[string]string{"name": "leaked"}}).wantStatus(201).JSON(&k)
		other := s.bflaKey(t, admin)

		s.do(t, req{method: "POST", path: "/api/v1/admin/api-keys", token: k.Key, body: map[string]string{"name": "child"}}).wantProblem(403, "forbidden")
		s.do(t, req{method: "GET", path: "/api/v1/admin/api-keys", token: k.Key}).wantProblem(403, "forbidden")
		s.do(t, req{method: "DELETE", path: path("/api/v1/admin/api-keys/%d", other), token: k.Key}).wantProblem(403, "forbidden")
		s.do(t, req{method: "DELETE", path: path("/api/v1/admin/api-keys/%d", k.ID), token: k.Key}).wantProblem(403, "forbidden")
		g := s.gql(t, k.Key, `{ apiKeys(first: 10) { edges { node { id name } } } }`, nil)
		if code, _ := g.code(t); code != "forbidden" {
			t.Fatalf("GraphQL apiKeys for a key: code %q, want forbidden (%+v)", code, g.Errors)
		}
		if n := s.ent.APIKey.Query().CountX(context.Background()); n != 2 {
			t.Fatalf("%d keys stored, want the admin's 2", n)
		}
		if n := s.ent.APIKey.Query().Where(apikey.RevokedAtNotNil()).CountX(context.Background()); n != 0 {
			t.Fatalf("%d keys revoked by a key", n)
		}
		// The key still acts as an admin elsewhere, and the admin still
		// manages keys over REST and GraphQL.
		s.do(t, req{method: "GET", path: "/api/v1/admin/inventory/reconciliation", token: k.Key}).wantStatus(200)
		s.do(t, req{method: "GET", path: "/api/v1/admin/api-keys", token: admin.Token}).wantStatus(200)
		var keys struct{ Edges []struct{ Node struct{ Name string } } }
		s.gql(t, admin.Token, `{ apiKeys(first: 10) { edges { node { id name } } } }`, nil).ok(t, "apiKeys", &keys)
		if len(keys.Edges) != 2 {
			t.Fatalf("admin sees %d keys over GraphQL", len(keys.Edges))
		}
		s.do(t, req{method: "DELETE", path: path("/api/v1/admin/api-keys/%d", k.ID), token: admin.Token}).wantStatus(204)
		s.do(t, req{method: "GET", path: "/api/v1/admin/inventory/reconciliation", token: k.Key}).wantProblem(401, "unauthorized")
	})
}

// TestRateLimit_FailedCredentials is issue 18 item 7's first part: failed
// API-key and JWT attempts were not limited (each costs a lookup). Before:
// 40 bad keys and 40 forged tokens from one client all got 401. After: they
// spend the client's login budget (SHOP_AUTH_RATE_LIMIT) and are 429 with
// Retry-After beyond it, while another client and a valid credential from
// the same client are unaffected.
func TestRateLimit_FailedCredentials(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia, withEnv("SHOP_AUTH_RATE_LIMIT", "10"), withEnv("SHOP_TRUST_PROXY", "true"))
		admin := s.admin(t)
		for _, tc := range []struct{ name, ip, token string }{
			{"APIKey", "203.0.113.10", "sk_notakeyatallnotakeyatallnotakeyatall"},
			{"JWT", "203.0.113.11", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwicm9sZSI6ImFkbWluIn0.Zm9yZ2Vk"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				from := map[string]string{"X-Forwarded-For": tc.ip}
				unauthorized, limited := 0, 0
				for range 40 {
					r := s.do(t, req{method: "GET", path: "/api/v1/admin/inventory/reconciliation", token: tc.token, header: from})
					switch r.Status {
					case http.StatusUnauthorized:
						unauthorized++
					case http.StatusTooManyRequests:
						limited++
						r.wantProblem(http.StatusTooManyRequests, "rate_limited")
						if r.Header.Get("Retry-After") == "" {
							t.Fatal("429 without Retry-After")
						}
					default:
						t.Fatalf("%d %s", r.Status, r.Body)
					}
				}
				if unauthorized < 10 || unauthorized > 12 || limited == 0 {
					t.Fatalf("40 failed credentials: %d answered 401, %d limited; want about 10 (the limit) then 429", unauthorized, limited)
				}
				// Public routes too: a bad credential is no longer free there.
				s.do(t, req{method: "GET", path: "/api/v1/products", token: tc.token, header: from}).wantProblem(429, "rate_limited")
				// The budget is the client's: login is spent as well...
				s.do(t, req{method: "POST", path: "/api/v1/auth/login", header: from,
					body: map[string]string{"email": "nobody@example.com", "password": "whatever-it-is"}}).wantProblem(429, "rate_limited")
				// ...but a valid credential from it still works, and
				// another client is not affected.
				s.do(t, req{method: "GET", path: "/api/v1/admin/inventory/reconciliation", token: admin.Token, header: from}).wantStatus(200)
				s.do(t, req{method: "GET", path: "/api/v1/admin/inventory/reconciliation", token: tc.token,
					header: map[string]string{"X-Forwarded-For": "198.51.100.99"}}).wantProblem(401, "unauthorized")
			})
		}
	})
}
