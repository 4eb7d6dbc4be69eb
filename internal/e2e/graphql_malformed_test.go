package e2e

import (
	"strings"
	"testing"

	"shop/internal/testdb"
)

// TestGraphQL_MalformedBodies: a body that is not one GraphQL request object
// is a 400 malformed_request problem document, decided before GraphQL runs,
// without a panic (issue 10 item 4: these went through a recovered panic
// and answered "code": "internal").
func TestGraphQL_MalformedBodies(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		for name, body := range map[string]string{
			"Batch":              `[{"query":"{__typename}"}]`,
			"Truncated":          `{"query":`,
			"NotJSON":            `not json`,
			"QueryNotString":     `{"query":123}`,
			"Empty":              ``,
			"NoQuery":            `{}`,
			"NullQuery":          `{"query":null}`,
			"VariablesNotObject": `{"query":"{__typename}","variables":[1]}`,
			"ExtensionsNotObj":   `{"query":"{__typename}","extensions":"x"}`,
			"UnknownMember":      `{"query":"{__typename}","querry":"x"}`,
			"TrailingData":       `{"query":"{__typename}"} {}`,
			"JSONString":         `"{__typename}"`,
		} {
			t.Run(name, func(t *testing.T) {
				p := s.do(t, req{method: "POST", path: "/admin/graphql", token: a.Token, body: body, invalid: true}).wantProblem(400, "malformed_request")
				if d, _ := p["detail"].(string); d == "" {
					t.Fatalf("no detail: %v", p)
				}
			})
		}
		// The well-formed request still works, with and without variables.
		var g gqlResponse
		s.do(t, req{method: "POST", path: "/admin/graphql", token: a.Token, body: `{"query":"{__typename}","variables":null,"operationName":null}`}).wantStatus(200).JSON(&g)
		if len(g.Errors) > 0 || string(g.Data["__typename"]) != `"Query"` {
			t.Fatalf("__typename: %+v", g)
		}
		var c struct{ TotalCount int }
		s.gql(t, a.Token, `query($n: Int) { users(first: $n) { totalCount } }`, map[string]any{"n": 5}).ok(t, "users", &c)
		if c.TotalCount != 1 {
			t.Fatalf("users = %d", c.TotalCount)
		}
		// A query that does not parse is a GraphQL error (it is one request
		// object), refused before it runs: 422 with a code.
		r := s.do(t, req{method: "POST", path: "/admin/graphql", token: a.Token, body: map[string]any{"query": "{ users { "}}).wantStatus(422)
		r.JSON(&g)
		if len(g.Errors) == 0 || g.Errors[0].Extensions["code"] != "GRAPHQL_PARSE_FAILED" || g.Data != nil {
			t.Fatalf("parse error: %s", r.Body)
		}

		logs := s.log.String()
		if strings.Contains(logs, "graphql panic") || strings.Contains(logs, `"level":"ERROR"`) {
			t.Fatalf("the server logged a panic or an error:\n%s", logs)
		}
	})
}
