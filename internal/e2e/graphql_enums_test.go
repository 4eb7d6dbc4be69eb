package e2e

import (
	"net/http"
	"strings"
	"testing"

	"shop/ent/order"
	"shop/internal/testdb"
)

// TestGraphQL_EnumsUpperCase: every enum value of the introspected schema
// is UPPER_CASE (API.md); orders filter by statusIn: [PENDING] and move with
// setOrderStatus(status: PROCESSING), while REST and the database keep
// "processing"; a lowercase value is refused, as a literal and as a
// variable (gqlparser alone accepts variables case-blind).
func TestGraphQL_EnumsUpperCase(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)

		var schema struct {
			Types []struct {
				Name       string
				Kind       string
				EnumValues []struct{ Name string } `json:"enumValues"`
			}
		}
		s.gql(t, a.Token, `{ __schema { types { name kind enumValues(includeDeprecated: true) { name } } } }`, nil).ok(t, "__schema", &schema)
		enums := 0
		for _, ty := range schema.Types {
			if ty.Kind != "ENUM" || strings.HasPrefix(ty.Name, "__") {
				continue
			}
			enums++
			for _, v := range ty.EnumValues {
				if v.Name != strings.ToUpper(v.Name) {
					t.Errorf("enum %s has the value %s, not UPPER_CASE", ty.Name, v.Name)
				}
			}
		}
		if enums < 6 {
			t.Fatalf("introspection shows %d enums", enums)
		}

		cat := s.category(t, a, "enums", nil)
		p := s.product(t, a, cat, "Enum", 1000, 5)
		u := s.register(t, "Enum")
		s.addToCart(t, u, p.ID, 1)
		var o struct{ ID int }
		s.checkout(t, u, nil, nil).wantStatus(201).JSON(&o)

		type conn struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID, Status string } }
		}
		var c conn
		s.gql(t, a.Token, `{ orders(first: 5, where: {statusIn: [PENDING]}) { totalCount edges { node { id status } } } }`, nil).ok(t, "orders", &c)
		if c.TotalCount != 1 || c.Edges[0].Node.ID != itoa(o.ID) || c.Edges[0].Node.Status != "PENDING" {
			t.Fatalf("pending orders = %+v", c)
		}
		var moved struct{ Status string }
		s.gql(t, a.Token, `mutation($id: ID!, $s: OrderStatus!) { setOrderStatus(id: $id, status: $s) { status } }`,
			map[string]any{"id": o.ID, "s": "PROCESSING"}).ok(t, "setOrderStatus", &moved)
		if moved.Status != "PROCESSING" {
			t.Fatalf("moved = %+v", moved)
		}
		if got := s.ent.Order.GetX(t.Context(), o.ID).Status; got != order.StatusProcessing {
			t.Fatalf("database status %q", got)
		}
		var rest struct{ Status string }
		s.do(t, req{method: "GET", path: path("/api/v1/orders/%d", o.ID), token: u.Token}).wantStatus(200).JSON(&rest)
		if rest.Status != "processing" {
			t.Fatalf("REST status %q, want processing", rest.Status)
		}
		s.gql(t, a.Token, `{ orders(first: 5, where: {statusIn: [PENDING]}) { totalCount } }`, nil).ok(t, "orders", &c)
		if c.TotalCount != 0 {
			t.Fatalf("pending after the move: %d", c.TotalCount)
		}

		// Lowercase: refused as a literal and as a variable, nothing moves.
		for _, body := range []map[string]any{
			{"query": `mutation($id: ID!) { setOrderStatus(id: $id, status: shipped) { status } }`, "variables": map[string]any{"id": o.ID}},
			{"query": `mutation($id: ID!, $s: OrderStatus!) { setOrderStatus(id: $id, status: $s) { status } }`, "variables": map[string]any{"id": o.ID, "s": "shipped"}},
			{"query": `query($s: [OrderStatus!]) { orders(where: {statusIn: $s}) { totalCount } }`, "variables": map[string]any{"s": []string{"processing"}}},
		} {
			r := s.do(t, req{method: "POST", path: "/admin/graphql", token: a.Token, body: body})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "OrderStatus") {
				t.Errorf("%v: %d %s, want 422 naming OrderStatus", body["variables"], r.Status, r.Body)
			}
		}
		if got := s.ent.Order.GetX(t.Context(), o.ID).Status; got != order.StatusProcessing {
			t.Fatalf("database status %q after refused moves", got)
		}
	})
}
