package e2e

import (
	"net/http"
	"os"
	"testing"

	"entgo.io/ent/dialect"
)

// fuzzTarget is one endpoint that decodes a JSON body.
type fuzzTarget struct {
	method, path string
	admin        bool
}

// FuzzRequestBodies sends arbitrary bodies to every endpoint that decodes
// JSON: whatever the bytes, the answer is never a 5xx and always matches the
// OpenAPI document (a problem document for bad input). It runs on
// PostgreSQL, the stricter of the two about text (NUL, invalid UTF-8);
// SHOP_FUZZ_DIALECT=sqlite3 fuzzes SQLite instead.
func FuzzRequestBodies(f *testing.F) {
	dia := dialect.Postgres
	if d := os.Getenv("SHOP_FUZZ_DIALECT"); d != "" {
		dia = d
	}
	s := newShop(f, dia)
	admin := s.admin(f)
	cat := s.category(f, admin, "fuzz", nil)
	p := s.product(f, admin, cat, "Fuzz", 100, 1000)
	u := s.register(f, "Fuzzer")
	var c struct{ Items []struct{ ID int } }
	s.do(f, req{method: "POST", path: "/api/v1/cart/items", token: u.Token, body: map[string]int{"product_id": p.ID, "quantity": 1}}).wantStatus(201).JSON(&c)

	targets := []fuzzTarget{
		{"POST", "/api/v1/auth/register", false},
		{"POST", "/api/v1/auth/login", false},
		{"POST", "/api/v1/cart/items", false},
		{"PATCH", path("/api/v1/cart/items/%d", c.Items[0].ID), false},
		{"POST", "/api/v1/admin/categories", true},
		{"PATCH", path("/api/v1/admin/categories/%d", cat), true},
		{"POST", "/api/v1/admin/products", true},
		{"PATCH", path("/api/v1/admin/products/%d", p.ID), true},
		{"POST", path("/api/v1/admin/products/%d/stock-adjustments", p.ID), true},
	}
	for i := range targets {
		for _, seed := range []string{
			`{}`, `null`, `[]`, `"x"`, `{"quantity": 1e400}`, `{"product_id": -1, "quantity": 2147483648}`,
			`{"name": "\u0000", "slug": "a-b", "parent_id": null}`, `{"price": 9223372036854775807, "stock": 1}`,
			`{"quantity_change": -9223372036854775808, "reason": "damage"}`, `{"email": "a@b.c", "password": "12345678", "name": "x", "x": 1}`,
			`{"name": "a\u0000", "slug": "nul"}`, "{\"name\": \"\xff\xfe\", \"email\": \"\xc3\"}", `{"category_id": 0, "product_id": 0, "parent_id": 0}`,
		} {
			f.Add(uint8(i), []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		tg := targets[int(which)%len(targets)]
		token := u.Token
		if tg.admin {
			token = admin.Token
		}
		r := s.do(t, req{method: tg.method, path: tg.path, token: token, body: body, invalid: true})
		if r.Status >= http.StatusInternalServerError || r.Status == 0 {
			t.Fatalf("%s %s with %q: %d %s", tg.method, tg.path, body, r.Status, r.Body)
		}
	})
}
