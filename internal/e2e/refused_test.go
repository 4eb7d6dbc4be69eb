package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"shop/internal/migrate"
	"shop/internal/testdb"
)

// TestDatabaseRefusesConnections: a PostgreSQL that is up but refuses new
// connections (ALTER DATABASE … ALLOW_CONNECTIONS false: FATAL 55000 "not
// currently accepting connections") is unavailable, 503 with Retry-After,
// like one that is down. Before, every route answered 500 internal.
func TestDatabaseRefusesConnections(t *testing.T) {
	scratch := testdb.URL(t, dialect.Postgres)
	u, err := url.Parse(scratch)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	db := testdb.Open(t, scratch)
	dir, err := migrate.Dir(db.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Up(context.Background(), db.SQL, db.Dialect, dir); err != nil {
		t.Fatal(err)
	}
	s := newShopOn(t, db, nil)
	adm := s.admin(t)
	user := s.register(t, "Refused")

	admin, err := sql.Open("pgx", testdb.PostgresAdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	// Only this test's scratch database is changed: it refuses new
	// connections, and the shop's open ones are ended, so every request
	// must connect again, and is refused.
	if _, err := admin.Exec(`ALTER DATABASE "` + name + `" ALLOW_CONNECTIONS false`); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name); err != nil {
		t.Fatal(err)
	}

	for _, r := range []struct{ method, path, token, body string }{
		{"GET", "/api/v1/products", "", ""},
		{"GET", "/api/v1/products/1", "", ""},
		{"GET", "/api/v1/categories", "", ""},
		{"POST", "/api/v1/auth/login", "", `{"email":"a@example.com","password":"whatever-1"}`},
		{"POST", "/api/v1/auth/register", "", `{"email":"new@example.com","password":"whatever-1","name":"N"}`},
		{"GET", "/api/v1/cart", user.Token, ""},
		{"POST", "/api/v1/checkout", user.Token, ""},
		{"GET", "/api/v1/orders", user.Token, ""},
		{"GET", "/api/v1/me", user.Token, ""},
		{"GET", "/api/v1/admin/orders", adm.Token, ""},
		{"POST", "/admin/graphql", adm.Token, `{"query":"{ __typename }"}`},
		{"GET", "/readyz", "", ""},
	} {
		var body []byte
		if r.body != "" {
			body = []byte(r.body)
		}
		st, h, b, err := rawDo(context.Background(), s.http, r.method, s.base+r.path, r.token, body, nil)
		if err != nil {
			t.Fatalf("%s %s: %v", r.method, r.path, err)
		}
		if st != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || !bytes.Contains(b, []byte(`"code":"unavailable"`)) {
			t.Errorf("%s %s: %d Retry-After %q %s, want 503 unavailable with Retry-After", r.method, r.path, st, h.Get("Retry-After"), b)
		}
		if bytes.Contains(b, []byte("SQLSTATE")) || bytes.Contains(b, []byte(name)) {
			t.Errorf("%s %s: the 503 leaks internals: %s", r.method, r.path, b)
		}
	}
}
