package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"shop/internal/apperr"
	"shop/internal/database"
	"shop/modules/admin/attacks"
	"shop/modules/admin/graph"
)

func TestShapes(t *testing.T) {
	for _, tc := range []struct {
		name          string
		query         string
		fields, depth int
	}{
		{"Flat", "{ a b c }", 3, 1},
		{"Nested", "{ a { b { c } } d }", 4, 3},
		{"FragmentFanout10", attacks.Fanout(10), 512, 1},
		{"FragmentFanout62", attacks.Fanout(62), saturation, 1},
		{"InlineFragment", "{ a { ... on T { b { c } } } }", 3, 3},
		{"FragmentAtDepth", "{ a { ...F } b { c { ...F } } } fragment F on T { x { y } }", 7, 4},
		{"IntrospectionDepthNotCounted", "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } }", 10, 0},
		{"TypeIntrospection", `{ __type(name: "Product") { name } a }`, 3, 1},
		{"Cycle", "{ ...A } fragment A on Query { ...B x } fragment B on Query { ...A y }", 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := parser.ParseQuery(&ast.Source{Input: tc.query})
			if err != nil {
				t.Fatal(err)
			}
			c := shapes{frags: doc.Fragments, memo: map[shapeKey]shape{}}
			if got := c.set(doc.Operations[0].SelectionSet, false); got != (shape{tc.fields, tc.depth}) {
				t.Fatalf("shape = %+v, want fields %d depth %d", got, tc.fields, tc.depth)
			}
		})
	}
}

// newTestHandler serves the GraphQL handler as the shop mounts it, without
// a database: enough for refusals and introspection.
func newTestHandler() http.Handler {
	e := echo.New()
	e.POST("/admin/graphql", ServeGraphQL(NewGraphQL(&graph.Resolver{}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))))
	return e
}

func post(h http.Handler, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/admin/graphql", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func quote(q string) string { return fmt.Sprintf(`{"query":%q}`, q) }

// BenchmarkLimits measures what each refusal of issue 10 item 1 costs the
// server (decoding, limits, rendering the error), and the standard
// introspection query, which must pass.
func BenchmarkLimits(b *testing.B) {
	introspection, err := os.ReadFile("../../internal/e2e/testdata/introspection.graphql")
	if err != nil {
		b.Fatal(err)
	}
	h := newTestHandler()
	for _, bc := range []struct {
		name, body string
		status     int
	}{
		{"FragmentFanout23", quote(attacks.Fanout(23)), 422},
		{"FragmentFanout30", quote(attacks.Fanout(30)), 422},
		{"RepeatedTotalCount5000", quote(attacks.Repeated("products(first:1){totalCount}", 5000, false)), 422},
		{"AliasedTotalCount9000", quote(attacks.Repeated("orders(first:1){totalCount}", 9000, true)), 422},
		{"AliasedTotalCount101", quote(attacks.Repeated("orders(first:1){totalCount}", 101, true)), 422},
		{"Typename1001", quote(attacks.Repeated("__typename", MaxSelections+1, false)), 422},
		{"Typename1000Accepted", quote(attacks.Repeated("__typename", MaxSelections, false)), 200},
		{"ProductsTotalCount500Overlapping", quote(attacks.Repeated("products(first:1){totalCount}", MaxSelections/2, false)), 422},
		{"Introspection", quote(string(introspection)), 200},
		// Issue 18: the shapes that ran for minutes, and the string page size.
		{"Issue18NestedMovements", quote(`{ products(first:1, where:{id:1}) { edges { node { inventoryMovements { edges { node { product { inventoryMovements { edges { node { id quantityChange reason createdAt } } } } } } } } } } }`), 422},
		{"Issue18StringPageSize", `{"query":"query($n: Int) { products(first: $n) { edges { node { inventoryMovements(first: $n) { edges { node { id quantityChange reason createdAt } } } } } } }","variables":{"n":"100"}}`, 422},
		{"Issue18WebhookDeliveries", `{"query":"query($n: Int) { webhooks(first: $n) { edges { node { deliveries(first: $n) { edges { node { id status } } } } } } }","variables":{"n":"100"}}`, 422},
		{"Issue18Where213KB", `{"query":"query($w: ProductWhereInput) { products(first: 1, where: $w) { totalCount } }","variables":{"w":{"or":[` +
			strings.Repeat(`{"hasCategoryWith":[{"hasProductsWith":[{"hasInventoryMovementsWith":[{"quantityChangeGT":5}]}]}]},`, 1999) + `{"id":1}]}}}`, 422},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if w := post(h, bc.body); w.Code != bc.status {
				b.Fatalf("status %d, want %d: %.300s", w.Code, bc.status, w.Body)
			}
			for b.Loop() {
				post(h, bc.body)
			}
			b.ReportMetric(maxRSSMB(), "maxRSS-MB")
		})
	}
}

// maxRSSMB is the process's peak resident set so far, in MB (Linux
// reports ru_maxrss in KB): memory stays bounded whatever is refused.
func maxRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}

// TestServeGraphQL_ContextEnded: once the request's context has ended, the
// pipeline stops and there is no GraphQL answer; the handler returns the
// error the server renders as 503 unavailable.
func TestServeGraphQL_ContextEnded(t *testing.T) {
	gql := NewGraphQL(&graph.Resolver{}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for name, tc := range map[string]struct {
		ctx  func() (context.Context, context.CancelFunc)
		want func(error) bool
	}{
		"Deadline": {
			func() (context.Context, context.CancelFunc) {
				return context.WithDeadline(context.Background(), time.Now())
			},
			func(err error) bool { return errors.Is(err, context.DeadlineExceeded) },
		},
		"ClientGone": {
			func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, cancel
			},
			func(err error) bool { return database.Translate(err).Code == apperr.Unavailable },
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			r := httptest.NewRequestWithContext(ctx, "POST", "/admin/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			err := ServeGraphQL(gql)(echo.New().NewContext(r, w))
			if !tc.want(err) || w.Body.Len() != 0 {
				t.Fatalf("err = %v, body %q", err, w.Body)
			}
		})
	}
}

// TestSchema_EveryListIsBounded walks the generated schema (issue 18 item
// 1): every field that returns a list of objects must be a connection
// whose first and last the cost model reads, and every other list must be
// bounded (boundedLists), so a new entity or edge (variants, discounts)
// can't bring back a plain list the cost model would have to guess.
func TestSchema_EveryListIsBounded(t *testing.T) {
	t.Parallel()
	s := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	checked := 0
	for name, def := range s.Types {
		if strings.HasPrefix(name, "__") || (def.Kind != ast.Object && def.Kind != ast.Interface) {
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			where := name + "." + f.Name
			if isConnection(f.Type) {
				checked++
				if f.Arguments.ForName("first") == nil {
					t.Errorf("%s is a connection without first", where)
				}
				continue
			}
			if f.Type.Elem == nil {
				continue
			}
			if strings.HasSuffix(name, "Connection") && f.Name == "edges" {
				continue // one page of a connection
			}
			if name == "Query" && (f.Name == "nodes") {
				continue // refused by its resolver (errNodeLookup)
			}
			checked++
			if _, ok := boundedList(where); !ok {
				t.Errorf("%s is a list (%s) that is neither a connection nor bounded (boundedLists)", where, f.Type)
			}
		}
	}
	for where := range boundedLists() {
		typ, field, _ := strings.Cut(where, ".")
		if d := s.Types[typ]; d == nil || d.Fields.ForName(field) == nil {
			t.Errorf("boundedLists names %s, which the schema does not have", where)
		}
	}
	if checked < 10 {
		t.Fatalf("only %d list fields found: the walk is broken", checked)
	}
}

// TestInputLimits: issue 18 item 3's 213 KB where (2,000 nested or-terms)
// and a 100,000-element idIn are refused before gqlgen coerces the
// variables, naming the limit.
func TestInputLimits(t *testing.T) {
	t.Parallel()
	h := newTestHandler()
	term := `{"hasCategoryWith":[{"hasProductsWith":[{"hasInventoryMovementsWith":[{"quantityChangeGT":5}]}]}]}`
	or := strings.Repeat(term+",", 1999) + term
	ids := strings.Repeat("1,", 99_999) + "1"
	deep := strings.Repeat(`{"not":`, 12) + `{"nameContains":"x"}` + strings.Repeat("}", 12)
	for _, tc := range []struct{ name, body, limit string }{
		{"WhereOf2000Terms", `{"query":"query($w: ProductWhereInput) { products(first: 1, where: $w) { totalCount } }","variables":{"w":{"or":[` + or + `]}}}`, "input_list"},
		{"WhereOf200Terms", `{"query":"query($w: ProductWhereInput) { products(first: 1, where: $w) { totalCount } }","variables":{"w":{"or":[` + strings.Repeat(term+",", 199) + term + `]}}}`, "input"},
		{"IDInOf100000", `{"query":"query($ids: [ID!]) { products(first: 1, where: {idIn: $ids}) { totalCount } }","variables":{"ids":[` + ids + `]}}`, "input_list"},
		{"Nested13", `{"query":"query($w: ProductWhereInput) { products(first: 1, where: $w) { totalCount } }","variables":{"w":` + deep + `}}`, "input_depth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			w := post(h, tc.body)
			if w.Code != 422 || !strings.Contains(w.Body.String(), `"limit":"`+tc.limit+`"`) {
				t.Fatalf("%d-byte body: %d %.300s", len(tc.body), w.Code, w.Body.String())
			}
			t.Logf("%d-byte body refused in %s", len(tc.body), time.Since(start))
		})
	}
}
