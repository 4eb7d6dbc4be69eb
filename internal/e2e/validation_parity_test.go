package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"shop/internal/apperr"
	"shop/internal/testdb"
	"shop/modules/admin/graph"
	"shop/modules/ordering"
	"shop/schema"
)

// TestValidationParity sends the same invalid inputs through REST and
// through the admin GraphQL mutations and asserts both refuse them with
// validation_failed and the same errors[] (field and message): each input
// validates itself once, in the service both call, and GraphQL names each
// field as the client sent it (initialStock for REST's stock,
// quantityChange for quantity_change). Nothing is written.
//
// Two refusals happen earlier in GraphQL, by its types: a stock-adjustment
// reason outside StockAdjustmentReason and an order status outside
// OrderStatus can't be sent at all (the operation is refused before any
// resolver runs, HTTP 422 with a GraphQL validation error). For those the
// REST answer is checked on its own, and the rest of the input is compared.
func TestValidationParity(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		cat := s.category(t, a, "tools", nil)
		p := s.product(t, a, cat, "Hammer", 2500, 5)
		buyer := s.register(t, "Buyer")
		s.addToCart(t, buyer, p.ID, 1)
		var o ordering.OrderJSON
		s.checkout(t, buyer, nil, nil).wantStatus(http.StatusCreated).JSON(&o)
		catID, pID, oID := strconv.Itoa(cat), strconv.Itoa(p.ID), strconv.Itoa(o.ID)
		tee := s.tshirt(t, a, cat, "Tee", 3, "S")
		teeID, vID := strconv.Itoa(tee.ID), strconv.Itoa(tee.Variants[0].ID)

		const (
			createCategory = `mutation($in: NewCategoryInput!) { createCategory(input: $in) { id } }`
			updateCategory = `mutation($id: ID!, $in: CategoryPatch!) { updateCategory(id: $id, input: $in) { id } }`
			createProduct  = `mutation($in: NewProductInput!) { createProduct(input: $in) { id } }`
			updateProduct  = `mutation($id: ID!, $in: ProductPatch!) { updateProduct(id: $id, input: $in) { id } }`
			adjustStock    = `mutation($id: ID!, $q: Int!, $r: StockAdjustmentReason!) { adjustStock(productID: $id, quantityChange: $q, reason: $r) { id } }`
			createVariant  = `mutation($id: ID!, $in: NewVariantInput!) { createVariant(productID: $id, input: $in) { id } }`
			updateVariant  = `mutation($id: ID!, $in: VariantPatch!) { updateVariant(id: $id, input: $in) { id } }`
			adjustVariant  = `mutation($id: ID!, $q: Int!, $r: StockAdjustmentReason!, $e: Int) { adjustVariantStock(id: $id, quantityChange: $q, reason: $r, expectedStock: $e) { id } }`
		)
		name101, name201 := strings.Repeat("n", schema.MaxCategoryName+1), strings.Repeat("n", schema.MaxProductName+1)
		categoryPath := path("/api/v1/admin/categories/%d", cat)
		productPath := path("/api/v1/admin/products/%d", p.ID)
		adjustPath := path("/api/v1/admin/products/%d/stock-adjustments", p.ID)
		variantsPath := path("/api/v1/admin/products/%d/variants", tee.ID)
		variantPath := path("/api/v1/admin/variants/%d", tee.Variants[0].ID)
		adjustVariantPath := variantPath + "/stock-adjustments"
		colour := map[string]any{"Colour": "red"}
		newProduct := func(gql bool, set map[string]any) map[string]any {
			in := map[string]any{"category_id": cat, "name": "Saw", "price": 1000, "stock": 1}
			if gql {
				in = map[string]any{"categoryID": catID, "name": "Saw", "price": 1000, "initialStock": 1}
			}
			for k, v := range set {
				in[k] = v
			}
			return in
		}
		for _, c := range []struct {
			name       string
			method     string
			path       string
			body       map[string]any
			query      string
			vars       map[string]any
			wantFields []string
		}{
			{"CreateCategory/EmptyName", "POST", "/api/v1/admin/categories", map[string]any{"name": "", "slug": "x"},
				createCategory, map[string]any{"in": map[string]any{"name": "", "slug": "x"}}, []string{"name"}},
			{"CreateCategory/Name101", "POST", "/api/v1/admin/categories", map[string]any{"name": name101, "slug": "x"},
				createCategory, map[string]any{"in": map[string]any{"name": name101, "slug": "x"}}, []string{"name"}},
			{"CreateCategory/BadSlug", "POST", "/api/v1/admin/categories", map[string]any{"name": "X", "slug": "Not A Slug"},
				createCategory, map[string]any{"in": map[string]any{"name": "X", "slug": "Not A Slug"}}, []string{"slug"}},
			{"CreateCategory/EmptySlugAndName", "POST", "/api/v1/admin/categories", map[string]any{"name": "", "slug": ""},
				createCategory, map[string]any{"in": map[string]any{"name": "", "slug": ""}}, []string{"name", "slug"}},
			{"UpdateCategory/EmptyName", "PATCH", categoryPath, map[string]any{"name": ""},
				updateCategory, map[string]any{"id": catID, "in": map[string]any{"name": ""}}, []string{"name"}},
			{"UpdateCategory/Name101AndBadSlug", "PATCH", categoryPath, map[string]any{"name": name101, "slug": "-lead"},
				updateCategory, map[string]any{"id": catID, "in": map[string]any{"name": name101, "slug": "-lead"}}, []string{"name", "slug"}},
			{"CreateProduct/EmptyName", "POST", "/api/v1/admin/products", newProduct(false, map[string]any{"name": ""}),
				createProduct, map[string]any{"in": newProduct(true, map[string]any{"name": ""})}, []string{"name"}},
			{"CreateProduct/Name201", "POST", "/api/v1/admin/products", newProduct(false, map[string]any{"name": name201}),
				createProduct, map[string]any{"in": newProduct(true, map[string]any{"name": name201})}, []string{"name"}},
			{"CreateProduct/Price0", "POST", "/api/v1/admin/products", newProduct(false, map[string]any{"price": 0}),
				createProduct, map[string]any{"in": newProduct(true, map[string]any{"price": 0})}, []string{"price"}},
			{"CreateProduct/PriceAboveMax", "POST", "/api/v1/admin/products", newProduct(false, map[string]any{"price": schema.MaxPrice + 1}),
				createProduct, map[string]any{"in": newProduct(true, map[string]any{"price": schema.MaxPrice + 1})}, []string{"price"}},
			{"CreateProduct/StockNegative", "POST", "/api/v1/admin/products", newProduct(false, map[string]any{"stock": -1}),
				createProduct, map[string]any{"in": newProduct(true, map[string]any{"initialStock": -1})}, []string{"stock"}},
			{"CreateProduct/StockAboveMax", "POST", "/api/v1/admin/products", newProduct(false, map[string]any{"stock": schema.MaxStock + 1}),
				createProduct, map[string]any{"in": newProduct(true, map[string]any{"initialStock": schema.MaxStock + 1})}, []string{"stock"}},
			{"CreateProduct/Everything", "POST", "/api/v1/admin/products",
				newProduct(false, map[string]any{"name": "", "description": strings.Repeat("d", schema.MaxDescription+1), "price": 0, "stock": -1}),
				createProduct, map[string]any{"in": newProduct(true, map[string]any{"name": "", "description": strings.Repeat("d", schema.MaxDescription+1), "price": 0, "initialStock": -1})},
				[]string{"name", "description", "price", "stock"}},
			{"UpdateProduct/EmptyName", "PATCH", productPath, map[string]any{"name": ""},
				updateProduct, map[string]any{"id": pID, "in": map[string]any{"name": ""}}, []string{"name"}},
			{"UpdateProduct/Price0AndName201", "PATCH", productPath, map[string]any{"price": 0, "name": name201},
				updateProduct, map[string]any{"id": pID, "in": map[string]any{"price": 0, "name": name201}}, []string{"name", "price"}},
			{"UpdateProduct/PriceAboveMax", "PATCH", productPath, map[string]any{"price": schema.MaxPrice + 1},
				updateProduct, map[string]any{"id": pID, "in": map[string]any{"price": schema.MaxPrice + 1}}, []string{"price"}},
			{"AdjustStock/QuantityChange0", "POST", adjustPath, map[string]any{"quantity_change": 0, "reason": "restock"},
				adjustStock, map[string]any{"id": pID, "q": 0, "r": "RESTOCK"}, []string{"quantity_change"}},
			{"AdjustStock/QuantityChangeAboveMax", "POST", adjustPath, map[string]any{"quantity_change": schema.MaxStock + 1, "reason": "damage"},
				adjustStock, map[string]any{"id": pID, "q": schema.MaxStock + 1, "r": "DAMAGE"}, []string{"quantity_change"}},
			{"AdjustStock/QuantityChangeBelowMin", "POST", adjustPath, map[string]any{"quantity_change": -schema.MaxStock - 1, "reason": "return"},
				adjustStock, map[string]any{"id": pID, "q": -schema.MaxStock - 1, "r": "RETURN"}, []string{"quantity_change"}},
			{"CreateVariant/OptionsNotTheProducts", "POST", variantsPath, map[string]any{"options": colour},
				createVariant, map[string]any{"id": teeID, "in": map[string]any{"options": colour}}, []string{"options"}},
			{"CreateVariant/Price0", "POST", variantsPath, map[string]any{"options": map[string]any{"Size": "L"}, "price": 0},
				createVariant, map[string]any{"id": teeID, "in": map[string]any{"options": map[string]any{"Size": "L"}, "price": 0}}, []string{"price"}},
			{"CreateVariant/StockNegativeAndBadSKU", "POST", variantsPath, map[string]any{"options": map[string]any{"Size": "L"}, "stock": -1, "sku": "a b"},
				createVariant, map[string]any{"id": teeID, "in": map[string]any{"options": map[string]any{"Size": "L"}, "initialStock": -1, "sku": "a b"}},
				[]string{"sku", "stock"}},
			{"UpdateVariant/BadSKUAndPrice0", "PATCH", variantPath, map[string]any{"sku": "a b", "price": 0},
				updateVariant, map[string]any{"id": vID, "in": map[string]any{"sku": "a b", "price": 0}}, []string{"sku", "price"}},
			{"AdjustVariantStock/QuantityChange0", "POST", adjustVariantPath, map[string]any{"quantity_change": 0, "reason": "restock"},
				adjustVariant, map[string]any{"id": vID, "q": 0, "r": "RESTOCK"}, []string{"quantity_change"}},
			{"AdjustVariantStock/ExpectedStockNegative", "POST", adjustVariantPath, map[string]any{"quantity_change": 1, "reason": "restock", "expected_stock": -1},
				adjustVariant, map[string]any{"id": vID, "q": 1, "r": "RESTOCK", "e": -1}, []string{"expected_stock"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				rest := s.do(t, req{method: c.method, path: c.path, token: a.Token, body: c.body, invalid: true}).
					wantProblem(http.StatusUnprocessableEntity, "validation_failed")
				g := s.gql(t, a.Token, c.query, c.vars)
				code, ext := g.code(t)
				if code != "validation_failed" {
					t.Fatalf("GraphQL: code %q, want validation_failed: %+v", code, g.Errors)
				}
				if len(g.Errors) != 1 {
					t.Fatalf("GraphQL: %d errors, want 1: %+v", len(g.Errors), g.Errors)
				}
				// The same errors, each named as its API names it: REST's
				// JSON name, GraphQL's argument or input field.
				restFields, gqlFields := fieldErrors(t, rest["errors"]), fieldErrors(t, ext["errors"])
				want := slices.Clone(restFields)
				for i := range want {
					if g, ok := graphQLNames[want[i].Field]; ok {
						want[i].Field = g
					}
				}
				if !slices.Equal(want, gqlFields) {
					t.Fatalf("REST errors %v\nGraphQL errors %v, want %v", restFields, gqlFields, want)
				}
				var names []string
				for _, f := range restFields {
					names = append(names, f.Field)
				}
				if !slices.Equal(names, c.wantFields) {
					t.Fatalf("fields %v, want %v", names, c.wantFields)
				}
			})
		}

		t.Run("AdjustStock/ReasonNotInList", func(t *testing.T) {
			rest := s.do(t, req{method: "POST", path: adjustPath, token: a.Token, invalid: true,
				body: map[string]any{"quantity_change": 1, "reason": "sale"}}).wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			want := []apperr.FieldError{apperr.Field("reason", "must be one of: restock, adjustment, return, damage")}
			if got := fieldErrors(t, rest["errors"]); !slices.Equal(got, want) {
				t.Fatalf("REST errors %v, want %v", got, want)
			}
			// GraphQL's enum refuses it before the resolver runs.
			r := s.do(t, req{method: "POST", path: "/admin/graphql", token: a.Token,
				body: map[string]any{"query": adjustStock, "variables": map[string]any{"id": pID, "q": 1, "r": "sale"}}})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "StockAdjustmentReason") {
				t.Fatalf("GraphQL: %d %s", r.Status, r.Body)
			}
		})
		t.Run("SetOrderStatus/Invalid", func(t *testing.T) {
			rest := s.do(t, req{method: "POST", path: path("/api/v1/admin/orders/%d/status", o.ID), token: a.Token, invalid: true,
				body: map[string]any{"status": "bogus"}}).wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			want := []apperr.FieldError{apperr.Field("status", "must be one of: pending, processing, shipped, delivered, cancelled")}
			if got := fieldErrors(t, rest["errors"]); !slices.Equal(got, want) {
				t.Fatalf("REST errors %v, want %v", got, want)
			}
			// GraphQL's OrderStatus enum (the schema's) refuses it first.
			r := s.do(t, req{method: "POST", path: "/admin/graphql", token: a.Token, body: map[string]any{
				"query":     `mutation($id: ID!, $s: OrderStatus!) { setOrderStatus(id: $id, status: $s) { id } }`,
				"variables": map[string]any{"id": oID, "s": "bogus"}}})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "OrderStatus") {
				t.Fatalf("GraphQL: %d %s", r.Status, r.Body)
			}
		})

		if n := s.ent.Category.Query().CountX(t.Context()); n != 1 {
			t.Fatalf("%d categories after refused inputs, want 1", n)
		}
		if n := s.ent.Product.Query().CountX(t.Context()); n != 2 { // the hammer and the tee
			t.Fatalf("%d products after refused inputs, want 2", n)
		}
		if n := s.ent.Variant.Query().CountX(t.Context()); n != 2 {
			t.Fatalf("%d variants after refused inputs, want 2", n)
		}
		if v := s.ent.Variant.GetX(t.Context(), tee.Variants[0].ID); v.Stock != 3 || v.Price != nil || *v.Sku != "Tee-S" {
			t.Fatalf("variant changed by refused inputs: %+v", v)
		}
		stored := s.ent.Product.GetX(t.Context(), p.ID)
		if stored.Name != "Hammer" || stored.Price != 2500 || stored.Stock != 4 {
			t.Fatalf("product changed by refused inputs: %+v", stored)
		}
		if st := s.ent.Order.GetX(t.Context(), o.ID).Status; st != "pending" {
			t.Fatalf("order status %s after refused inputs", st)
		}
		s.checkLedger(t)
	})
}

// graphQLNames are the GraphQL names of the REST fields the parity cases
// refuse, where they differ (the rest are the same word).
var graphQLNames = map[string]string{
	"stock":           "initialStock",
	"quantity_change": "quantityChange",
	"expected_stock":  "expectedStock",
	"category_id":     "categoryID",
	"parent_id":       "parentID",
}

// fieldErrors decodes a problem's or a GraphQL error's errors[].
func fieldErrors(t testing.TB, v any) []apperr.FieldError {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out []apperr.FieldError
	if err := json.Unmarshal(raw, &out); err != nil || len(out) == 0 {
		t.Fatalf("errors[] = %s (%v)", raw, err)
	}
	return out
}

// TestStockAdjustmentReasons: the GraphQL enum of adjustment reasons is
// written in admin.graphql, so it can't be derived from the one list; its
// values must be that list in UPPER_CASE.
func TestStockAdjustmentReasons(t *testing.T) {
	t.Parallel()
	var got []string
	for _, v := range graph.NewExecutableSchema(graph.Config{}).Schema().Types["StockAdjustmentReason"].EnumValues {
		got = append(got, strings.ToLower(v.Name))
	}
	if !slices.Equal(got, schema.AdjustReasons) {
		t.Fatalf("GraphQL StockAdjustmentReason = %v, schema.AdjustReasons = %v", got, schema.AdjustReasons)
	}
}
