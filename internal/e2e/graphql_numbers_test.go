package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"shop/internal/testdb"
	"shop/schema"
)

// introType is a __Type reference, unwrapped by named.
type introType struct {
	Kind   string
	Name   *string
	OfType *introType `json:"ofType"`
}

func (t introType) named() string {
	for ; t.OfType != nil; t = *t.OfType {
	}
	if t.Name == nil {
		return ""
	}
	return *t.Name
}

type introField struct {
	Name string
	Type introType
	Args []struct {
		Name string
		Type introType
	}
}

type introSchema struct {
	Types []struct {
		Name           string
		Kind           string
		SpecifiedByURL *string      `json:"specifiedByURL"`
		Fields         []introField `json:"fields"`
		InputFields    []introField `json:"inputFields"`
		Interfaces     []struct{ Name string }
	}
	QueryType struct {
		Fields []introField
	}
}

const introQuery = `{ __schema {
  types { name kind specifiedByURL interfaces { name }
    fields { name type { ...T } args { name type { ...T } } }
    inputFields { name type { ...T } } }
} }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`

// int32Fields are the schema's Int fields (objects' fields, input fields
// and arguments, where predicates by their field) with the largest value
// each can carry by API.md's ranges: all within GraphQL's 32-bit Int.
// Anything larger is Int64. A new Int field fails
// TestGraphQL_IntFieldsAre32Bit until it is listed here with its bound.
var int32Fields = map[string]int64{
	"stock":            schema.MaxStock,
	"initialStock":     schema.MaxStock,
	"expectedStock":    schema.MaxStock,
	"quantityChange":   2 * schema.MaxStock, // from -stock to MaxStock
	"quantity":         schema.MaxLineQuantity,
	"usageLimit":       schema.MaxUsageLimit,
	"perCustomerLimit": schema.MaxPerCustomerLimit,
	"timesUsed":        schema.MaxUsageLimit, // counted against usageLimit; uncapped codes are documented (docs/admin.md)
	"version":          math.MaxInt32,        // one per update of a row (docs/admin.md)
	"totalCount":       math.MaxInt32,        // rows of one table
	"first":            100,
	"last":             100,
	"attempts":         25, // River's max attempts of a delivery
	"lastStatusCode":   599,
}

// whereSuffixes are entgql's predicate suffixes (priceGTE is price's).
var whereSuffixes = []string{"NEQ", "NotIn", "In", "GTE", "GT", "LTE", "LT"}

// TestGraphQL_IntFieldsAre32Bit: clients read GraphQL's Int as 32 bits
// (graphql-js refuses more). Every Int of the introspected schema is
// bounded below 2^31 by the API's ranges; money is the Int64 scalar; Int64,
// Time, Map and Cursor have @specifiedBy; node/nodes and the Node
// interface are gone (ids are per entity, docs/api-decisions.md).
func TestGraphQL_IntFieldsAre32Bit(t *testing.T) {
	t.Parallel()
	s := newShop(t, testdb.Dialects[0])
	a := s.admin(t)
	var sc introSchema
	s.gql(t, a.Token, introQuery, nil).ok(t, "__schema", &sc)

	check := func(where, name string, typ introType) {
		if typ.named() != "Int" {
			return
		}
		base := name
		for _, suf := range whereSuffixes {
			if strings.HasSuffix(where, "WhereInput") && strings.HasSuffix(name, suf) {
				base = strings.TrimSuffix(name, suf)
				break
			}
		}
		bound, ok := int32Fields[base]
		if !ok {
			t.Errorf("%s.%s is Int with no known bound: make it Int64 or list its range in int32Fields", where, name)
		} else if bound > math.MaxInt32 {
			t.Errorf("%s.%s is Int but can carry %d", where, name, bound)
		}
	}
	money := map[string]bool{}
	specified := map[string]string{}
	for _, ty := range sc.Types {
		if strings.HasPrefix(ty.Name, "__") {
			continue
		}
		if ty.Kind == "SCALAR" && ty.SpecifiedByURL != nil {
			specified[ty.Name] = *ty.SpecifiedByURL
		}
		if ty.Name == "Node" || slices.ContainsFunc(ty.Interfaces, func(i struct{ Name string }) bool { return i.Name == "Node" }) {
			t.Errorf("%s: the Node interface is still in the schema", ty.Name)
		}
		for _, f := range append(ty.Fields, ty.InputFields...) {
			check(ty.Name, f.Name, f.Type)
			for _, arg := range f.Args {
				check(ty.Name+"."+f.Name, arg.Name, arg.Type)
			}
			if f.Type.named() == "Int64" {
				money[ty.Name+"."+f.Name] = true
			}
		}
	}
	for _, f := range []string{"Product.price", "Variant.price", "Order.totalAmount", "Order.subtotalAmount", "Order.discountAmount",
		"OrderItem.unitPrice", "OrderItem.discountAmount", "Discount.value", "Discount.minSubtotal",
		"NewProductInput.price", "ProductPatch.price", "NewVariantInput.price", "VariantPatch.price",
		"NewDiscountInput.value", "NewDiscountInput.minSubtotal", "DiscountPatch.minSubtotal", "ProductWhereInput.priceGTE"} {
		if !money[f] {
			t.Errorf("%s is not Int64", f)
		}
	}
	for _, name := range []string{"Int64", "Time", "Map", "Cursor"} {
		if specified[name] == "" {
			t.Errorf("scalar %s has no @specifiedBy", name)
		}
	}
	for _, f := range sc.QueryType.Fields {
		if f.Name == "node" || f.Name == "nodes" {
			t.Errorf("Query.%s is offered, but ids are not global", f.Name)
		}
	}
	if g := s.gql(t, a.Token, `{ node(id: 1) { id } }`, nil); len(g.Errors) == 0 {
		t.Errorf("node(id:) answered %s", g.Data)
	}
}

// TestGraphQL_Int64RoundTrip: a product at 5,000,000,000 minor units,
// made over REST, reads back through GraphQL as the exact JSON number, in
// an Int64 field; GraphQL writes prices past 2^31 too, and an order's
// amounts past 2^31 read back whole.
func TestGraphQL_Int64RoundTrip(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		cat := s.category(t, a, "big", nil)
		const big = 5_000_000_000
		p := s.product(t, a, cat, "Yacht", big, 3)

		g := s.gql(t, a.Token, `query($id: ID!) { products(where: {id: $id}) { edges { node { price } } } }`, map[string]any{"id": p.ID})
		var conn struct {
			Edges []struct {
				Node struct{ Price json.RawMessage }
			}
		}
		g.ok(t, "products", &conn)
		if len(conn.Edges) != 1 || string(conn.Edges[0].Node.Price) != "5000000000" {
			t.Fatalf("price through GraphQL = %+v, want the JSON number 5000000000", conn)
		}

		var made struct {
			ID    string
			Price json.RawMessage
		}
		s.gql(t, a.Token, `mutation($c: ID!, $p: Int64!) { createProduct(input: {categoryID: $c, name: "Jet", price: $p, initialStock: 1}) { id price } }`,
			map[string]any{"c": cat, "p": int64(9_000_000_000)}).ok(t, "createProduct", &made)
		id, _ := strconv.Atoi(made.ID)
		if string(made.Price) != "9000000000" || s.ent.Product.GetX(t.Context(), id).Price != 9_000_000_000 {
			t.Fatalf("createProduct at 9e9 = %+v", made)
		}

		u := s.register(t, "Rich")
		s.addToCart(t, u, p.ID, 2)
		var o struct{ ID int }
		s.checkout(t, u, nil, nil).wantStatus(201).JSON(&o)
		var orders struct {
			Edges []struct {
				Node struct {
					TotalAmount json.RawMessage `json:"totalAmount"`
					Items       struct {
						Edges []struct {
							Node struct{ UnitPrice json.RawMessage }
						}
					}
				}
			}
		}
		s.gql(t, a.Token, `query($id: ID!) { orders(where: {id: $id}) { edges { node { totalAmount items(first: 5) { edges { node { unitPrice } } } } } } }`,
			map[string]any{"id": o.ID}).ok(t, "orders", &orders)
		if len(orders.Edges) != 1 || string(orders.Edges[0].Node.TotalAmount) != "10000000000" ||
			string(orders.Edges[0].Node.Items.Edges[0].Node.UnitPrice) != "5000000000" {
			t.Fatalf("order through GraphQL = %+v", orders)
		}
	})
}

// gqlFields are the field names of a validation_failed GraphQL error.
func gqlFields(t testing.TB, g gqlResponse) []string {
	t.Helper()
	code, ext := g.code(t)
	if code != "validation_failed" {
		t.Fatalf("code %q (%v), want validation_failed", code, ext)
	}
	list, _ := ext["errors"].([]any)
	var names []string
	for _, e := range list {
		m, _ := e.(map[string]any)
		names = append(names, fmt.Sprint(m["field"]))
	}
	sort.Strings(names)
	return names
}

// TestGraphQL_IntVariablesOutOfRange: an Int variable past 32 bits, or an
// Int64 past ±(2^53−1) or not whole, is the API's validation_failed naming
// the argument or input field, and nothing is written.
func TestGraphQL_IntVariablesOutOfRange(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		cat := s.category(t, a, "range", nil)
		p := s.product(t, a, cat, "Bolt", 100, 5)
		products := s.ent.Product.Query().CountX(t.Context())

		for _, tc := range []struct {
			name, query string
			vars        map[string]any
			field       string
		}{
			{"Int argument past 2^31", `mutation($id: ID!, $q: Int!) { adjustStock(productID: $id, quantityChange: $q, reason: RESTOCK) { stock } }`,
				map[string]any{"id": p.ID, "q": int64(1) << 31}, "quantityChange"},
			{"Int argument below -2^31", `mutation($id: ID!, $q: Int!) { adjustStock(productID: $id, quantityChange: $q, reason: DAMAGE) { stock } }`,
				map[string]any{"id": p.ID, "q": -(int64(1) << 31) - 1}, "quantityChange"},
			{"Int input field past 2^31", `mutation($in: NewProductInput!) { createProduct(input: $in) { id } }`,
				map[string]any{"in": map[string]any{"categoryID": cat, "name": "X", "price": 100, "initialStock": int64(1) << 32}}, "initialStock"},
			{"Int64 past 2^53", `mutation($in: NewProductInput!) { createProduct(input: $in) { id } }`,
				map[string]any{"in": map[string]any{"categoryID": cat, "name": "X", "price": json.Number("9007199254740992"), "initialStock": 1}}, "price"},
			{"Int64 past 2^63", `mutation($id: ID!, $p: Int64) { updateProduct(id: $id, input: {price: $p}) { id } }`,
				map[string]any{"id": p.ID, "p": json.Number("99999999999999999999")}, "price"},
			{"Int64 not whole", `mutation($id: ID!, $p: Int64) { updateProduct(id: $id, input: {price: $p}) { id } }`,
				map[string]any{"id": p.ID, "p": 12.5}, "price"},
			{"Int64 a string of no number", `mutation($id: ID!, $p: Int64) { updateProduct(id: $id, input: {price: $p}) { id } }`,
				map[string]any{"id": p.ID, "p": "1e3"}, "price"},
		} {
			g := s.gql(t, a.Token, tc.query, tc.vars)
			if got := gqlFields(t, g); fmt.Sprint(got) != "["+tc.field+"]" {
				t.Errorf("%s: fields %v, want [%s]", tc.name, got, tc.field)
			}
		}
		// A literal past 32 bits is refused before anything runs.
		if g := s.gql(t, a.Token, fmt.Sprintf(`mutation { adjustStock(productID: %d, quantityChange: 3000000000, reason: RESTOCK) { stock } }`, p.ID), nil); len(g.Errors) == 0 {
			t.Errorf("a 3e9 literal Int was accepted: %s", g.Data)
		}
		if st := s.stock(t, p.ID); st != 5 {
			t.Fatalf("stock %d after the refused adjustments, want 5", st)
		}
		if n := s.ent.Product.Query().CountX(t.Context()); n != products {
			t.Fatalf("%d products after the refused creates, want %d", n, products)
		}
		if got := s.ent.Product.GetX(t.Context(), p.ID).Price; got != 100 {
			t.Fatalf("price %d after the refused updates", got)
		}
	})
}

// TestGraphQL_ErrorFieldNames walks every mutation of the schema: each
// one's validation errors name its GraphQL arguments and input fields
// (quantityChange, initialStock, minSubtotal, categoryID), as the client
// sent them, never REST's snake_case (quantity_change, stock); a mutation
// with no field to refuse is listed as such, so a new mutation fails this
// test until it is walked.
func TestGraphQL_ErrorFieldNames(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		cat := s.category(t, a, "names", nil)
		p := s.product(t, a, cat, "Plain", 100, 5)
		tee := s.tshirt(t, a, cat, "Tee", 3, "S", "M")
		d := s.createDiscount(t, a, map[string]any{"code": "NAMES10", "type": "percentage", "value": 10})

		type call struct {
			query string
			vars  map[string]any
			want  []string // sorted
		}
		walks := map[string][]call{
			"createCategory": {{`mutation { createCategory(input: {name: "", slug: "Not A Slug"}) { id } }`, nil, []string{"name", "slug"}}},
			"updateCategory": {{`mutation($id: ID!) { updateCategory(id: $id, input: {slug: "-"}) { id } }`, map[string]any{"id": cat}, []string{"slug"}}},
			"deleteCategory": nil, // an id only
			"createProduct": {
				{`mutation($c: ID!) { createProduct(input: {categoryID: $c, name: "X", price: 100, initialStock: -5}) { id } }`, map[string]any{"c": cat}, []string{"initialStock"}},
				{`mutation($c: ID!) { createProduct(input: {categoryID: $c, name: " ", price: 0, initialStock: 1}) { id } }`, map[string]any{"c": cat}, []string{"name", "price"}},
				{`mutation($c: ID!) { createProduct(input: {categoryID: $c, name: "Sized", price: 100, initialStock: 1, options: ["Size"]}) { id } }`, map[string]any{"c": cat}, []string{"variants"}},
				{`mutation($c: ID!) { createProduct(input: {categoryID: $c, name: "Sized", price: 100, options: ["Size"], variants: [{options: {Size: "S"}, initialStock: -1, price: 0}, {options: {Colour: "red"}}]}) { id } }`,
					map[string]any{"c": cat}, []string{"variants[0].initialStock", "variants[0].price", "variants[1].options"}},
				{`mutation($c: ID!) { createProduct(input: {categoryID: $c, name: "Sized", price: 100, options: ["Size"], variants: [{options: {Size: 1}}]}) { id } }`,
					map[string]any{"c": cat}, []string{"variants[0].options.Size"}},
			},
			"updateProduct": {{`mutation($id: ID!) { updateProduct(id: $id, input: {price: 0, name: ""}) { id } }`, map[string]any{"id": p.ID}, []string{"name", "price"}}},
			"deleteProduct": nil,
			"adjustStock":   {{`mutation($id: ID!) { adjustStock(productID: $id, quantityChange: 0, reason: RESTOCK) { id } }`, map[string]any{"id": p.ID}, []string{"quantityChange"}}},
			"createVariant": {
				{`mutation($id: ID!) { createVariant(productID: $id, input: {options: {Size: "XL"}, price: 0, initialStock: -1, sku: "no spaces"}) { id } }`,
					map[string]any{"id": tee.ID}, []string{"initialStock", "price", "sku"}},
				{`mutation($id: ID!) { createVariant(productID: $id, input: {options: {Size: 5}}) { id } }`, map[string]any{"id": tee.ID}, []string{"options.Size"}},
			},
			"updateVariant": {{`mutation($id: ID!) { updateVariant(id: $id, input: {price: 0}) { id } }`, map[string]any{"id": tee.Variants[0].ID}, []string{"price"}}},
			"deleteVariant": nil,
			"adjustVariantStock": {
				{`mutation($id: ID!) { adjustVariantStock(id: $id, quantityChange: 0, reason: RESTOCK) { id } }`, map[string]any{"id": tee.Variants[0].ID}, []string{"quantityChange"}},
				{`mutation($id: ID!) { adjustVariantStock(id: $id, quantityChange: 1, reason: RESTOCK, expectedStock: -1) { id } }`, map[string]any{"id": tee.Variants[0].ID}, []string{"expectedStock"}},
			},
			"setOrderStatus": nil, // an id and an enum
			"createDiscount": {
				{`mutation { createDiscount(input: {code: "x", type: PERCENTAGE, value: 0, minSubtotal: -1, usageLimit: 0, perCustomerLimit: 0}) { id } }`, nil,
					[]string{"code", "minSubtotal", "perCustomerLimit", "usageLimit", "value"}},
				{`mutation { createDiscount(input: {code: "WINDOW", type: FIXED, value: 5, startsAt: "2030-01-02T00:00:00Z", endsAt: "2030-01-01T00:00:00Z"}) { id } }`, nil,
					[]string{"endsAt"}},
			},
			"updateDiscount": {{`mutation($id: ID!) { updateDiscount(id: $id, input: {minSubtotal: -1, usageLimit: 0}) { id } }`, map[string]any{"id": d.ID}, []string{"minSubtotal", "usageLimit"}}},
			"deleteDiscount": nil,
		}

		var raw struct {
			MutationType struct{ Fields []introField } `json:"mutationType"`
			Types        []struct {
				Name        string
				InputFields []introField `json:"inputFields"`
			}
		}
		s.gql(t, a.Token, `{ __schema { mutationType { fields { name args { name type { ...T } } } } types { name inputFields { name type { ...T } } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name } } }`, nil).ok(t, "__schema", &raw)
		inputs := map[string][]introField{}
		for _, ty := range raw.Types {
			inputs[ty.Name] = ty.InputFields
		}
		for _, m := range raw.MutationType.Fields {
			calls, ok := walks[m.Name]
			if !ok {
				t.Errorf("mutation %s is not walked: add its validation errors to TestGraphQL_ErrorFieldNames", m.Name)
				continue
			}
			names := map[string]bool{}
			for _, arg := range m.Args {
				names[arg.Name] = true
				for _, f := range inputs[arg.Type.named()] {
					names[f.Name] = true
				}
			}
			for _, c := range calls {
				got := gqlFields(t, s.gql(t, a.Token, c.query, c.vars))
				if !slices.Equal(got, c.want) {
					t.Errorf("%s: fields %v, want %v", m.Name, got, c.want)
				}
				for _, f := range got {
					head, _, _ := strings.Cut(f, ".")
					if head, _, _ = strings.Cut(head, "["); !names[head] {
						t.Errorf("%s: field %q is none of its arguments or input fields", m.Name, f)
					}
				}
			}
			delete(walks, m.Name)
		}
		for name := range walks {
			t.Errorf("walked %s, which the schema does not have", name)
		}
	})
}
