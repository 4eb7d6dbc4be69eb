package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"shop/internal/testdb"
	"shop/modules/admin"
	"shop/modules/admin/attacks"
)

// refusalBound is the generous bound on a refusal: the contract is "under
// 100 ms", the machine running the tests is shared and noisy.
const refusalBound = time.Second

// TestGraphQL_Limits sends each attack of issue 10 item 1 and asserts the
// refusal: HTTP 422, a GraphQL error naming the limit with extensions.code
// limit_exceeded, no data (nothing ran), quickly. Operations just under
// the limits, and the standard introspection query, still work.
func TestGraphQL_Limits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		cat := s.category(t, a, "tools", nil)
		p := s.product(t, a, cat, "Hammer", 1500, 50)
		u := s.register(t, "Buyer")
		s.addToCart(t, u, p.ID, 1)
		s.checkout(t, u, nil, nil).wantStatus(201)

		refusedVars := func(t *testing.T, query string, vars map[string]any, limit string) {
			t.Helper()
			body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
			hr, _ := http.NewRequest("POST", s.base+"/admin/graphql", bytes.NewReader(body))
			hr.Header.Set("Content-Type", "application/json")
			hr.Header.Set("Authorization", "Bearer "+a.Token)
			start := time.Now() // the round trip only: no client-side checks
			res, err := s.http.Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := io.ReadAll(res.Body)
			res.Body.Close()
			elapsed := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			var g gqlResponse
			if res.StatusCode != 422 || res.Header.Get("Content-Type") != "application/json" || json.Unmarshal(raw, &g) != nil {
				t.Fatalf("want 422 application/json, got %d %s: %.300s", res.StatusCode, res.Header.Get("Content-Type"), raw)
			}
			if len(g.Errors) != 1 || g.Data != nil {
				t.Fatalf("want one error and no data: %.300s", raw)
			}
			e := g.Errors[0]
			if e.Extensions["code"] != admin.CodeLimitExceeded || e.Extensions["limit"] != limit ||
				!strings.Contains(e.Message, strings.TrimSuffix(limit, "s")+" limit is") {
				t.Fatalf("want the %s limit named: %+v", limit, e)
			}
			if elapsed > refusalBound {
				t.Fatalf("refused after %s (bound %s)", elapsed, refusalBound)
			}
			t.Logf("%d-byte query refused (%s limit) in %s: %s", len(query), limit, elapsed, e.Message)
		}
		refused := func(t *testing.T, query, limit string) { t.Helper(); refusedVars(t, query, nil, limit) }

		t.Run("FragmentFanout23", func(t *testing.T) { refused(t, attacks.Fanout(23), "selections") })
		t.Run("FragmentFanout30", func(t *testing.T) { refused(t, attacks.Fanout(30), "selections") })
		t.Run("FragmentFanout64", func(t *testing.T) { refused(t, attacks.Fanout(64), "selections") })
		t.Run("RepeatedTotalCount5000", func(t *testing.T) {
			refused(t, attacks.Repeated("products(first:1){totalCount}", 5000, false), "size")
		})
		t.Run("AliasedTotalCount9000", func(t *testing.T) {
			refused(t, attacks.Repeated("orders(first:1){totalCount}", 9000, true), "size")
		})
		t.Run("ManyFieldsUnderTheSizeLimit", func(t *testing.T) {
			refused(t, attacks.Repeated("__typename", admin.MaxSelections+1, false), "selections")
		})
		t.Run("FieldsInAnUnusedFragment", func(t *testing.T) {
			refused(t, "{ __typename } fragment U on Query "+attacks.Repeated("__typename", admin.MaxSelections, false), "selections")
		})
		t.Run("TooDeep", func(t *testing.T) {
			refused(t, `{ categories { edges { node { products { category { products { category { products { id } } } } } } } } }`, "depth")
		})
		t.Run("TotalCounts", func(t *testing.T) {
			// Each costs 1 + CountCost: 99 fit under MaxCost, 100 don't.
			n := admin.MaxCost / (1 + admin.CountCost)
			refused(t, attacks.Repeated("orders(first:1){totalCount}", n+1, true), "cost")
			start := time.Now()
			g := s.gql(t, a.Token, attacks.Repeated("orders(first:1){totalCount}", n, true), nil)
			if len(g.Errors) > 0 || len(g.Data) != n || string(g.Data["a0"]) != `{"totalCount":1}` {
				t.Fatalf("%d totalCounts: %+v", n, g.Errors)
			}
			t.Logf("%d totalCounts answered in %s", n, time.Since(start))
		})
		t.Run("WidePages", func(t *testing.T) {
			refused(t, `{ categories(first: 100) { edges { node { products { inventoryMovements { id quantityChange reason createdAt } } } } } }`, "cost")
			// The page size comes from the variables.
			q := `query($n: Int) { orders(first: $n) { edges { node { items { product { category { products { id } } } } } } } }`
			refusedVars(t, q, map[string]any{"n": 100}, "cost")
			s.gql(t, a.Token, q, map[string]any{"n": 1}).ok(t, "orders", new(any))
		})

		t.Run("UnderTheLimits", func(t *testing.T) {
			// Shared fragments are fine: each is counted once per use, not
			// re-walked per level.
			q := `query { products(first: 100, orderBy: {field: PRICE, direction: DESC}) { totalCount pageInfo { hasNextPage endCursor }
				edges { cursor node { ...P category { slug } } } } orders(first: 20) { edges { node { id status totalAmount items { ...L } } } } }
				fragment P on Product { id name price stock isActive createdAt }
				fragment L on OrderItem { productName quantity unitPrice product { ...P } }`
			var c struct{ TotalCount int }
			s.gql(t, a.Token, q, nil).ok(t, "products", &c)
			if c.TotalCount != 1 {
				t.Fatalf("products = %d", c.TotalCount)
			}
			// Eight levels of data fields are allowed.
			s.gql(t, a.Token, `{ categories { edges { node { products { category { products { category { id } } } } } } } }`, nil).ok(t, "categories", new(any))
		})

		for name, file := range map[string]string{
			// graphql-js 16.11.0 getIntrospectionQuery(), byte for byte.
			"Introspection": "testdata/introspection.graphql",
			// The same with every option on (descriptions, specifiedByUrl,
			// directiveIsRepeatable, schemaDescription, inputValueDeprecation),
			// as schema tools send it.
			"IntrospectionAllOptions": "testdata/introspection-all-options.graphql",
		} {
			t.Run(name, func(t *testing.T) {
				q, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				var schema struct {
					QueryType struct{ Name string }
					Types     []struct {
						Name   string
						Fields []struct{ Name string }
					}
				}
				s.gql(t, a.Token, string(q), nil).ok(t, "__schema", &schema)
				fields := map[string]bool{}
				for _, ty := range schema.Types {
					for _, f := range ty.Fields {
						fields[ty.Name+"."+f.Name] = true
					}
				}
				for _, want := range []string{"Query.products", "Query.orders", "Product.currency", "OrderItem.product", "Mutation.adjustStock"} {
					if !fields[want] {
						t.Errorf("introspection lacks %s", want)
					}
				}
				if schema.QueryType.Name != "Query" || len(schema.Types) < 30 {
					t.Fatalf("schema: query type %q, %d types", schema.QueryType.Name, len(schema.Types))
				}
			})
		}

		// After all that the server answers at once.
		r := s.do(t, req{method: "POST", path: "/admin/graphql", token: a.Token, body: map[string]any{"query": "{__typename}"}}).wantStatus(200)
		var g struct {
			Data struct {
				Typename string `json:"__typename"`
			}
		}
		if json.Unmarshal(r.Body, &g); g.Data.Typename != "Query" {
			t.Fatalf("__typename: %s", r.Body)
		}
	})
}
