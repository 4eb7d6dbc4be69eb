package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"shop/docs"
	"shop/internal/migrate"
	"shop/internal/testdb"
)

func TestOperations(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		var health, ready map[string]string
		s.do(t, req{method: "GET", path: "/healthz"}).wantStatus(200).JSON(&health)
		s.do(t, req{method: "GET", path: "/readyz"}).wantStatus(200).JSON(&ready)
		if health["status"] != "ok" || ready["status"] != "ready" {
			t.Fatalf("healthz %v readyz %v", health, ready)
		}

		r := s.do(t, req{method: "GET", path: "/openapi.yaml"}).wantStatus(200)
		doc, err := openapi3.NewLoader().LoadFromData(r.Body)
		if err != nil || doc.Paths.Find("/api/v1/checkout") == nil {
			t.Fatalf("served openapi.yaml: %v", err)
		}

		u := s.register(t, "Metrics")
		s.checkout(t, u, nil, nil).wantProblem(422, "empty_cart")
		body := string(s.do(t, req{method: "GET", path: "/metrics"}).wantStatus(200).Body)
		for _, want := range []string{
			`shop_http_requests_total{method="POST",route="/api/v1/auth/register",status="201"} 1`,
			`shop_http_request_duration_seconds_bucket{method="POST",route="/api/v1/checkout",status="422"`,
			`shop_checkout_total{outcome="empty_cart"} 1`,
			`go_sql_open_connections{db_name="shop"}`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

// TestOpenAPI_CoversEveryRoute: every route the server registers is in
// docs/openapi.yaml with its method, and every documented operation is
// served, so the document and the code can't drift apart.
func TestOpenAPI_CoversEveryRoute(t *testing.T) {
	t.Parallel()
	s := newShop(t, "sqlite3")
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, r := range s.srv.Echo.Routes() {
		if strings.HasPrefix(r.Method, "echo_") {
			continue
		}
		p := pathParam.ReplaceAllStringFunc(r.Path, func(m string) string { return "{" + m[1:] + "}" })
		served[r.Method+" "+p] = true
		item := doc.Paths.Value(p)
		if item == nil || item.GetOperation(r.Method) == nil {
			t.Errorf("%s %s is served but not in openapi.yaml", r.Method, p)
		}
	}
	if len(served) < 30 {
		t.Fatalf("only %d routes found", len(served))
	}
	for p, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !served[method+" "+p] {
				t.Errorf("%s %s is in openapi.yaml but not served", method, p)
			}
		}
	}
}

// TestReadyz_AfterDown: readiness is checked on every probe, so a migration
// reverted under a running server makes /readyz 503 at once, and applying it
// again makes it 200.
func TestReadyz_AfterDown(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		s.do(t, req{method: "GET", path: "/readyz"}).wantStatus(200)

		ctx := context.Background()
		dir, err := migrate.Dir(dia)
		if err != nil {
			t.Fatal(err)
		}
		downs, err := migrate.DownFiles(dia)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := migrate.Down(ctx, s.db.SQL, dia, dir, downs, migrate.DownOptions{Steps: 1, Force: true}); err != nil {
			t.Fatalf("down: %v", err)
		}
		p := s.do(t, req{method: "GET", path: "/readyz", want5xx: true}).wantProblem(503, "unavailable")
		if p["pending_migrations"] != float64(1) {
			t.Fatalf("readyz after down: %v", p)
		}
		if _, err := migrate.Up(ctx, s.db.SQL, dia, dir); err != nil {
			t.Fatalf("up: %v", err)
		}
		s.do(t, req{method: "GET", path: "/readyz"}).wantStatus(200)
	})
}
