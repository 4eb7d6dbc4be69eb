package httpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"

	"shop/internal/httpserver"
	"shop/internal/migrate"
	"shop/internal/testdb"
)

func start(t *testing.T, srv *httpserver.Server) (base string, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx, ln) }()
	t.Cleanup(cancel)
	return "http://" + ln.Addr().String(), cancel, errc
}

// withOps adds the operations routes, as internal/app's routes.go does.
func withOps(srv *httpserver.Server) *httpserver.Server {
	srv.Echo.GET("/healthz", srv.Healthz)
	srv.Echo.GET("/readyz", srv.Readyz)
	srv.Echo.GET("/metrics", srv.Metrics)
	return srv
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestReadyz_PendingMigrations(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dia string) {
		db := testdb.Open(t, testdb.URL(t, dia)) // not migrated
		srv := withOps(httpserver.New(httpserver.Options{
			Logger: quiet(), DB: db.SQL,
			Pending: func(ctx context.Context) (int, error) { return migrate.PendingCount(ctx, db.SQL, db.Dialect) },
		}))
		base, _, _ := start(t, srv)

		res := get(t, base+"/readyz")
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("readyz with pending migrations: %d, want 503", res.StatusCode)
		}
		var p map[string]any
		decode(t, res, &p)
		if p["code"] != "unavailable" || res.Header.Get("Content-Type") != httpserver.ProblemContentType {
			t.Fatalf("readyz problem = %v (%s)", p, res.Header.Get("Content-Type"))
		}
		if res := get(t, base+"/healthz"); res.StatusCode != http.StatusOK {
			t.Fatalf("healthz while not ready: %d", res.StatusCode)
		}

		dir, _ := migrate.Dir(dia)
		if _, err := migrate.Up(context.Background(), db.SQL, dia, dir); err != nil {
			t.Fatal(err)
		}
		res = get(t, base+"/readyz")
		var body map[string]string
		decode(t, res, &body)
		if res.StatusCode != http.StatusOK || body["status"] != "ready" {
			t.Fatalf("readyz after migrate: %d %v", res.StatusCode, body)
		}

		db.SQL.Close()
		if res := get(t, base+"/readyz"); res.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("readyz with the database closed: %d, want 503", res.StatusCode)
		}
	})
}

func TestServe_GracefulShutdown(t *testing.T) {
	srv := withOps(httpserver.New(httpserver.Options{Logger: quiet(), ShutdownTimeout: 5 * time.Second}))
	started := make(chan struct{})
	srv.Echo.GET("/slow", func(c echo.Context) error {
		close(started)
		time.Sleep(500 * time.Millisecond)
		return c.String(http.StatusOK, "finished")
	})
	base, cancel, done := start(t, srv)

	type result struct {
		status int
		body   string
		err    error
	}
	resc := make(chan result, 1)
	go func() {
		res, err := http.Get(base + "/slow")
		if err != nil {
			resc <- result{err: err}
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		resc <- result{status: res.StatusCode, body: string(b)}
	}()
	<-started
	cancel() // SIGTERM arrives while /slow is in flight

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
	r := <-resc
	if r.err != nil || r.status != http.StatusOK || r.body != "finished" {
		t.Fatalf("in-flight request: %+v, want 200 finished", r)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}

func TestErrors_ProblemDocuments(t *testing.T) {
	srv := withOps(httpserver.New(httpserver.Options{Logger: quiet()}))
	srv.Echo.GET("/boom", func(c echo.Context) error { return errors.New("secret EOF internals") })
	srv.Echo.GET("/panic", func(c echo.Context) error { panic("secret internals") })
	srv.Echo.POST("/echo", func(c echo.Context) error {
		_, err := io.ReadAll(c.Request().Body)
		return err
	})
	base, _, _ := start(t, srv)

	for _, path := range []string{"/boom", "/panic"} {
		res := get(t, base+path)
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 500 || strings.Contains(string(raw), "EOF") || strings.Contains(string(raw), "secret") {
			t.Fatalf("%s: %d %s", path, res.StatusCode, raw)
		}
		var p map[string]any
		_ = json.Unmarshal(raw, &p)
		if p["request_id"] == "" || p["request_id"] != res.Header.Get("X-Request-Id") {
			t.Fatalf("%s: request_id %v, header %q", path, p["request_id"], res.Header.Get("X-Request-Id"))
		}
	}

	req, _ := http.NewRequest(http.MethodGet, base+"/healthz", nil)
	req.Header.Set("X-Request-Id", "client-id-123")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("X-Request-Id"); got != "client-id-123" {
		t.Fatalf("X-Request-Id = %q, want the client's", got)
	}

	// Exactly 1 MiB is accepted; one byte more is not.
	res, err = http.Post(base+"/echo", "application/json", strings.NewReader(strings.Repeat("x", httpserver.MaxBodyBytes)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("a body of exactly 1 MiB: %d", res.StatusCode)
	}
	res, err = http.Post(base+"/echo", "application/json", strings.NewReader(strings.Repeat("x", httpserver.MaxBodyBytes+1)))
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	decode(t, res, &p)
	if res.StatusCode != 400 || p["code"] != "malformed_request" {
		t.Fatalf("oversized body: %d %v", res.StatusCode, p)
	}

	res = get(t, base+"/nowhere")
	decode(t, res, &p)
	if res.StatusCode != 404 || p["code"] != "not_found" {
		t.Fatalf("unknown route: %d %v", res.StatusCode, p)
	}
}

func get(t *testing.T, url string) *http.Response {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func decode(t *testing.T, res *http.Response, v any) {
	t.Helper()
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("decode: %v", err)
	}
}

func TestRequestTimeout(t *testing.T) {
	srv := httpserver.New(httpserver.Options{Logger: quiet(), RequestTimeout: 50 * time.Millisecond})
	srv.Echo.GET("/stuck", func(c echo.Context) error {
		<-c.Request().Context().Done() // like a query waiting on a lock
		return c.Request().Context().Err()
	})
	base, _, _ := start(t, srv)
	res := get(t, base+"/stuck")
	var p map[string]any
	decode(t, res, &p)
	if res.StatusCode != http.StatusServiceUnavailable || p["code"] != "unavailable" {
		t.Fatalf("stuck request: %d %v", res.StatusCode, p)
	}
}

func TestServe_ShutdownDeadline(t *testing.T) {
	srv := httpserver.New(httpserver.Options{Logger: quiet(), ShutdownTimeout: 100 * time.Millisecond})
	started := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	srv.Echo.GET("/forever", func(c echo.Context) error {
		close(started)
		<-release
		return nil
	})
	base, cancel, done := start(t, srv)
	go func() { _, _ = http.Get(base + "/forever") }()
	<-started
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve returned %v after cutting off a stuck request, want nil (exit 0)", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a stuck request kept the server from stopping")
	}
}

// TestErrors_ClientWentAway: a request cut short because its client went
// away fails with context.Canceled and, often, a connection the cut closed
// (which alone reads as an unreachable database). That is logged as the
// client's doing, at INFO, never as a database outage.
func TestErrors_ClientWentAway(t *testing.T) {
	var logged strings.Builder
	srv := httpserver.New(httpserver.Options{Logger: slog.New(slog.NewJSONHandler(&logged, nil))})
	srv.Echo.POST("/checkout", func(c echo.Context) error {
		<-c.Request().Context().Done()
		return errors.Join(fmt.Errorf("move stock: %w", c.Request().Context().Err()), fmt.Errorf("rollback: %w", pgconn.ErrConnClosed))
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/checkout", nil)
	srv.Echo.ServeHTTP(httptest.NewRecorder(), req)
	out := logged.String()
	if !strings.Contains(out, `"msg":"client went away"`) || !strings.Contains(out, `"level":"INFO"`) {
		t.Errorf("log %q, want the client's going away at INFO", out)
	}
	if strings.Contains(out, "service unavailable") || strings.Contains(out, `"level":"ERROR"`) {
		t.Errorf("a client going away was logged as an outage: %q", out)
	}
}
