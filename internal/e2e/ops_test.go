package e2e

import (
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"shop/internal/testdb"
)

func TestOperations(t *testing.T) {
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
