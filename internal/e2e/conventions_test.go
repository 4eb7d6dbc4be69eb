package e2e

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"shop/internal/testdb"
)

// raw sends a request outside the OpenAPI checks (wrong methods, HEAD and
// preflights are not operations of the document) and returns the response
// with its body read.
func (s *shop) raw(t testing.TB, method, path string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	r, err := http.NewRequest(method, s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	res, err := s.http.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.Header.Get("X-Request-Id") == "" {
		t.Errorf("%s %s: no X-Request-Id", method, path)
	}
	return res, body
}

// TestConventions pins API.md's HTTP conventions: 405 with Allow, HEAD
// wherever GET works, metrics by route template, OpenMetrics negotiation.
func TestConventions(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "things", nil)
		p := s.product(t, admin, cat, "Thing", 1000, 5)
		pid := strconv.Itoa(p.ID)

		t.Run("MethodNotAllowed", func(t *testing.T) {
			for _, tc := range []struct{ method, path, allow string }{
				{"DELETE", "/api/v1/products", "GET, HEAD, OPTIONS"},
				{"PUT", "/api/v1/products/" + pid, "GET, HEAD, OPTIONS"},
				{"GET", "/api/v1/checkout", "POST, OPTIONS"},
				{"PUT", "/api/v1/cart", "GET, HEAD, DELETE, OPTIONS"},
				{"POST", "/healthz", "GET, HEAD, OPTIONS"},
				{"DELETE", "/metrics", "GET, HEAD, OPTIONS"},
				// Known admin paths say so before authentication runs.
				{"GET", "/api/v1/admin/orders/1/status", "POST, OPTIONS"},
				{"PUT", "/api/v1/admin/categories/1", "PATCH, DELETE, OPTIONS"},
				{"GET", "/admin/graphql", "POST, OPTIONS"},
				{"HEAD", "/api/v1/auth/login", "POST, OPTIONS"},
			} {
				res, body := s.raw(t, tc.method, tc.path, nil)
				if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != tc.allow {
					t.Errorf("%s %s = %d, Allow %q; want 405, Allow %q: %s", tc.method, tc.path, res.StatusCode, res.Header.Get("Allow"), tc.allow, body)
					continue
				}
				if tc.method == "HEAD" {
					continue
				}
				r := &resp{t: t, Status: res.StatusCode, Header: res.Header, Body: body}
				r.wantProblem(http.StatusMethodNotAllowed, "method_not_allowed")
			}
			// An unknown path stays a 404, whatever the method.
			for _, m := range []string{"GET", "DELETE"} {
				res, body := s.raw(t, m, "/api/v1/nothing-here", nil)
				(&resp{t: t, Status: res.StatusCode, Header: res.Header, Body: body}).wantProblem(http.StatusNotFound, "not_found")
			}
			// OPTIONS on a known path lists its methods.
			if res, _ := s.raw(t, "OPTIONS", "/api/v1/products/"+pid, nil); res.StatusCode != http.StatusNoContent || res.Header.Get("Allow") != "GET, HEAD, OPTIONS" {
				t.Errorf("OPTIONS = %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
			}
		})

		t.Run("Head", func(t *testing.T) {
			for _, tc := range []struct {
				path, token string
				status      int
			}{
				{"/healthz", "", 200},
				{"/readyz", "", 200},
				{"/openapi.yaml", "", 200},
				{"/api/v1/categories", "", 200},
				{"/api/v1/products?sort=price", "", 200},
				{"/api/v1/products/" + pid, "", 200},
				{"/api/v1/products?limit=0", "", 422},
				{"/api/v1/products/999999", "", 404},
				{"/api/v1/cart", "", 401},
				{"/api/v1/cart", admin.Token, 200},
				{"/api/v1/admin/orders", admin.Token, 200},
				{"/admin/graphiql", "", 200},
			} {
				h := map[string]string{}
				if tc.token != "" {
					h["Authorization"] = "Bearer " + tc.token
				}
				get, getBody := s.raw(t, "GET", tc.path, h)
				head, headBody := s.raw(t, "HEAD", tc.path, h)
				if get.StatusCode != tc.status || head.StatusCode != tc.status || len(headBody) != 0 {
					t.Errorf("HEAD %s = %d with %d body bytes; GET = %d; want %d", tc.path, head.StatusCode, len(headBody), get.StatusCode, tc.status)
				}
				if head.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
					t.Errorf("HEAD %s Content-Type %q, GET %q", tc.path, head.Header.Get("Content-Type"), get.Header.Get("Content-Type"))
				}
				if tc.path == "/openapi.yaml" && head.ContentLength != int64(len(getBody)) {
					t.Errorf("HEAD /openapi.yaml Content-Length %d, GET body %d bytes", head.ContentLength, len(getBody))
				}
			}
			head, _ := s.raw(t, "HEAD", "/api/v1/products/"+pid, nil)
			if head.Header.Get("ETag") == "" {
				t.Error("HEAD of a product has no ETag")
			}
		})

		t.Run("MetricsByRoute", func(t *testing.T) {
			body := string(s.do(t, req{method: "GET", path: "/metrics"}).wantStatus(200).Body)
			for _, want := range []string{
				`shop_http_requests_total{method="PUT",route="/api/v1/products/:id",status="405"}`,
				`shop_http_requests_total{method="GET",route="/api/v1/admin/orders/:id/status",status="405"}`,
				`shop_http_requests_total{method="GET",route="unmatched",status="404"}`,
				`shop_http_requests_total{method="HEAD",route="/api/v1/products/:id",status="200"}`,
				`shop_http_requests_total{method="HEAD",route="/api/v1/cart",status="401"}`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}
			for _, catchAll := range []string{`route="/api/v1/*"`, `route="/api/v1/admin/*"`, `route="/*"`} {
				if strings.Contains(body, catchAll) {
					t.Errorf("/metrics has a catch-all label %s", catchAll)
				}
			}
		})

		t.Run("OpenMetrics", func(t *testing.T) {
			res, body := s.raw(t, "GET", "/metrics", map[string]string{"Accept": "application/openmetrics-text; version=1.0.0; charset=utf-8"})
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") || !strings.HasSuffix(string(body), "# EOF\n") {
				t.Errorf("OpenMetrics asked: Content-Type %q, ends %q", ct, body[max(0, len(body)-20):])
			}
			res, body = s.raw(t, "GET", "/metrics", nil)
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || strings.Contains(string(body), "# EOF") {
				t.Errorf("plain scrape: Content-Type %q", ct)
			}
		})
	})
}

// TestCORS: browsers on the origins of SHOP_CORS_ORIGINS may call the API
// (preflight answered, no credentials, the headers a client reads exposed);
// without the variable there is no CORS at all.
func TestCORS(t *testing.T) {
	t.Parallel()
	s := newShop(t, "sqlite3", withEnv("SHOP_CORS_ORIGINS", "https://shop.example, http://localhost:3000"))
	preflight := map[string]string{
		"Origin":                         "https://shop.example",
		"Access-Control-Request-Method":  "POST",
		"Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
	}
	res, _ := s.raw(t, "OPTIONS", "/api/v1/checkout", preflight)
	h := res.Header
	if res.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://shop.example" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Idempotency-Key") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
		h.Get("Access-Control-Allow-Credentials") != "" || h.Get("Access-Control-Max-Age") == "" {
		t.Fatalf("preflight = %d %v", res.StatusCode, h)
	}

	res, _ = s.raw(t, "GET", "/api/v1/products", map[string]string{"Origin": "http://localhost:3000"})
	exposed := res.Header.Get("Access-Control-Expose-Headers")
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" || res.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("GET with Origin = %d %v", res.StatusCode, res.Header)
	}
	for _, want := range []string{"X-Request-Id", "ETag", "Idempotent-Replayed", "Retry-After", "Location"} {
		if !strings.Contains(exposed, want) {
			t.Errorf("Access-Control-Expose-Headers %q lacks %s", exposed, want)
		}
	}

	for _, m := range []string{"GET", "OPTIONS"} {
		hdr := map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
		if res, _ := s.raw(t, m, "/api/v1/products", hdr); res.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s from another origin is allowed: %v", m, res.Header)
		}
	}

	off := newShop(t, "sqlite3")
	for _, m := range []string{"GET", "OPTIONS"} {
		res, _ := off.raw(t, m, "/api/v1/products", preflight)
		if res.Header.Get("Access-Control-Allow-Origin") != "" || res.Header.Get("Access-Control-Allow-Methods") != "" {
			t.Errorf("CORS is on without SHOP_CORS_ORIGINS: %s %v", m, res.Header)
		}
	}
}
