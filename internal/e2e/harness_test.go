// Package e2e drives the real shop over HTTP, on PostgreSQL and SQLite, and
// validates every request and response against docs/openapi.yaml.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"shop/docs"
	"shop/ent"
	"shop/internal/app"
	"shop/internal/config"
	"shop/internal/database"
	"shop/internal/httpserver"
	"shop/internal/testdb"
)

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

func openAPIRouter(t testing.TB) routers.Router {
	specOnce.Do(func() {
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("application/openmetrics-text", openapi3filter.PlainBodyDecoder)
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(docs.OpenAPI)
		if err != nil {
			specErr = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			specErr = fmt.Errorf("openapi.yaml is invalid: %w", err)
			return
		}
		doc.Servers = nil // match paths on any host (the test server's port varies)
		specRouter, specErr = legacy.NewRouter(doc)
	})
	if specErr != nil {
		t.Fatal(specErr)
	}
	return specRouter
}

// shop is one running shop server on a fresh database.
type shop struct {
	t    testing.TB
	base string
	db   *database.DB
	ent  *ent.Client
	cfg  config.Config
	http *http.Client
	srv  *httpserver.Server
	log  *syncBuffer // what the server logged (warnings and errors)
}

// option changes the configuration of a test shop.
type option func(map[string]string)

func withEnv(k, v string) option { return func(m map[string]string) { m[k] = v } }

// newShop starts the real server (app.NewServer) on a fresh, migrated
// database of the dialect.
func newShop(t testing.TB, dia string, opts ...option) *shop {
	t.Helper()
	return newShopOn(t, testdb.New(t, dia), nil, opts...)
}

// startShop starts the real server on db (e.g. one whose client counts
// statements).
func startShop(t testing.TB, db *database.DB, opts ...option) *shop {
	t.Helper()
	return newShopOn(t, db, nil, opts...)
}

// newShopOn starts the real server on a migrated database; its log (warnings
// and errors) goes to logOut, or nowhere when nil (stderr with SHOP_TEST_LOG).
func newShopOn(t testing.TB, db *database.DB, logOut io.Writer, opts ...option) *shop {
	t.Helper()
	vars := map[string]string{
		"DATABASE_URL":         "unused",
		"SHOP_JWT_SECRET":      "test-secret-test-secret-test-secret",
		"SHOP_BCRYPT_COST":     "4",
		"SHOP_AUTH_RATE_LIMIT": "0",
	}
	for _, o := range opts {
		o(vars)
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	if logOut == nil {
		logOut = io.Discard
		if os.Getenv("SHOP_TEST_LOG") != "" {
			logOut = os.Stderr
		}
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(io.MultiWriter(logOut, logs), &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := app.NewServer(cfg, db, logger)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("server did not stop")
		}
	})
	return &shop{
		t: t, base: "http://" + ln.Addr().String(), db: db, ent: db.Client, cfg: cfg,
		http: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 100}},
		srv:  srv, log: logs,
	}
}

// syncBuffer keeps what a server (in process or a subprocess) logs, safe
// for concurrent writers, for tests that assert on it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// req describes one request.
type req struct {
	method, path, token string
	body                any // marshalled to JSON; a string or []byte is sent as is
	header              map[string]string
	// invalid marks a request that deliberately breaks the contract (unknown
	// fields, bad types): it is not validated, its response still is.
	invalid bool
	// want5xx marks a request whose test expects a 5xx (a 503 from /readyz);
	// any other 5xx fails the test.
	want5xx bool
}

// resp is a response, already validated against the OpenAPI document.
type resp struct {
	t      testing.TB
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r *resp) JSON(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Problem decodes a problem document.
func (r *resp) Problem() map[string]any {
	r.t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		r.t.Fatalf("status %d with Content-Type %q, want a problem document: %s", r.Status, ct, r.Body)
	}
	var p map[string]any
	r.JSON(&p)
	return p
}

// wantStatus fails unless the status is want.
func (r *resp) wantStatus(want int) *resp {
	r.t.Helper()
	if r.Status != want {
		r.t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
	return r
}

// wantProblem fails unless the response is a problem with that status and code.
func (r *resp) wantProblem(status int, code string) map[string]any {
	r.t.Helper()
	r.wantStatus(status)
	p := r.Problem()
	if p["code"] != code {
		r.t.Fatalf("code %v, want %s: %s", p["code"], code, r.Body)
	}
	if p["status"] != float64(status) {
		r.t.Fatalf("problem status %v, want %d", p["status"], status)
	}
	return p
}

// do sends a request, validating it (unless invalid) and its response
// against the OpenAPI document. It is safe to call from many goroutines;
// failures are reported with t.Errorf there.
func (s *shop) do(t testing.TB, rq req) *resp {
	t.Helper()
	var raw []byte
	switch b := rq.body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	build := func() *http.Request {
		var body io.Reader
		if raw != nil {
			body = bytes.NewReader(raw)
		}
		r, err := http.NewRequest(rq.method, s.base+rq.path, body)
		if err != nil {
			t.Fatal(err)
		}
		if raw != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		if rq.token != "" {
			r.Header.Set("Authorization", "Bearer "+rq.token)
		}
		for k, v := range rq.header {
			r.Header.Set(k, v)
		}
		return r
	}

	httpReq := build()
	route, params, err := openAPIRouter(t).FindRoute(httpReq)
	if err != nil {
		t.Errorf("%s %s is not in docs/openapi.yaml: %v", rq.method, rq.path, err)
		return &resp{t: t}
	}
	input := &openapi3filter.RequestValidationInput{
		Request: build(), PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	if !rq.invalid {
		if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
			t.Errorf("%s %s: the request does not match openapi.yaml: %v", rq.method, rq.path, err)
		}
	}
	res, err := s.http.Do(httpReq)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := &resp{t: t, Status: res.StatusCode, Header: res.Header, Body: body}
	if res.Header.Get("X-Request-Id") == "" {
		t.Errorf("%s %s: no X-Request-Id", rq.method, rq.path)
	}
	if res.StatusCode >= 500 && !rq.want5xx {
		t.Errorf("%s %s: %d %s", rq.method, rq.path, res.StatusCode, body)
	}
	rv := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	rv.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), rv); err != nil {
		t.Errorf("%s %s → %d: the response does not match openapi.yaml: %v\n%s", rq.method, rq.path, res.StatusCode, err, body)
	}
	return out
}

// user is a signed-in account.
type user struct {
	ID    int
	Email string
	Token string
}

// register makes a customer through the API.
func (s *shop) register(t testing.TB, name string) user {
	t.Helper()
	email := fmt.Sprintf("%s-%d@example.com", strings.ToLower(name), time.Now().UnixNano())
	r := s.do(t, req{method: "POST", path: "/api/v1/auth/register", body: map[string]string{
		"email": email, "password": "password-" + name, "name": name,
	}}).wantStatus(http.StatusCreated)
	var out struct {
		User  struct{ ID int }
		Token string
	}
	r.JSON(&out)
	return user{ID: out.User.ID, Email: email, Token: out.Token}
}

// admin makes an admin the way operators do (the service the CLI uses) and
// signs in through the API.
func (s *shop) admin(t testing.TB) user {
	t.Helper()
	svc := app.NewServices(s.cfg, s.db.Dialect)
	email := fmt.Sprintf("admin-%d@example.com", time.Now().UnixNano())
	if _, err := svc.Identity.CreateUser(context.Background(), s.ent, identityInput(email)); err != nil {
		t.Fatal(err)
	}
	r := s.do(t, req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": email, "password": "admin-password"}}).wantStatus(200)
	var out struct {
		User  struct{ ID int }
		Token string
	}
	r.JSON(&out)
	return user{ID: out.User.ID, Email: email, Token: out.Token}
}

// path formats a path.
func path(format string, args ...any) string { return fmt.Sprintf(format, args...) }
