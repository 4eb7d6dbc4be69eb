package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/labstack/echo/v4"

	"shop/internal/app"
	"shop/internal/config"
	"shop/internal/testdb"
)

// TestRoutesFile keeps routes.go the one place that shows the HTTP surface:
// the routes the server serves are exactly the routes.go lines of the form
// e.METHOD("/full/path", ...), each written once, so no route can be added
// elsewhere (a module, httpserver) or hidden behind a prefix.
func TestRoutesFile(t *testing.T) {
	t.Parallel()
	listed := routesListed(t)
	db := testdb.New(t, "sqlite3")
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"DATABASE_URL": "unused", "SHOP_JWT_SECRET": "test-secret-test-secret-test-secret"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := app.NewServer(cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var served []string
	for _, r := range srv.Echo.Routes() {
		served = append(served, r.Method+" "+r.Path)
	}
	slices.Sort(served)
	for _, r := range served {
		if _, ok := slices.BinarySearch(listed, r); !ok {
			t.Errorf("%s is served but not listed in routes.go", r)
		}
	}
	for i, r := range listed {
		if i > 0 && listed[i-1] == r {
			t.Errorf("%s is listed twice in routes.go", r)
		}
		if _, ok := slices.BinarySearch(served, r); !ok {
			t.Errorf("%s is listed in routes.go but not served", r)
		}
	}
	if len(served) < 44 {
		t.Errorf("%d routes served, want at least the 44 of docs/openapi.yaml", len(served))
	}
}

// routesListed returns "METHOD /path" of every e.METHOD("/path", ...) call in
// routes.go, sorted; e.RouteNotFound is Echo's "echo_route_not_found".
func routesListed(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "routes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	methods := map[string]string{"RouteNotFound": echo.RouteNotFound}
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		methods[m] = m
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		method, isRoute := methods[sel.Sel.Name]
		if recv, ok := sel.X.(*ast.Ident); !ok || recv.Name != "e" || !isRoute {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			t.Errorf("routes.go: a route whose path is not a string literal: %s", sel.Sel.Name)
			return true
		}
		path, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, method+" "+path)
		return true
	})
	slices.Sort(out)
	return out
}
