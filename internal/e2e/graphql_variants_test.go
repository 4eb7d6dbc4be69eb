package e2e

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"shop/ent/auditlog"
	"shop/ent/inventorymovement"
	"shop/internal/testdb"
	"shop/schema"
)

// TestGraphQL_Variants: the admin GraphQL's variants (issue 19 item 4): the
// variants connection with where/orderBy, Product.variants as a connection,
// and the variant mutations through the same services as REST, so the
// rules (options, last variant, compare-and-set stock), the ledger and the
// audit log are the same.
func TestGraphQL_Variants(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		ctx := schema.SkipSoftDelete(context.Background())
		cat := s.category(t, a, "shirts", nil)
		tee := s.tshirt(t, a, cat, "Tee", 3, "S", "M")
		s.tshirt(t, a, cat, "Polo", 7, "S") // not matched by the filter
		plain := s.product(t, a, cat, "Mug", 900, 2)
		teeID := strconv.Itoa(tee.ID)

		type node struct {
			ID        string
			ProductID string
			Sku       *string
			Price     *int64
			Stock     int
			IsActive  bool
			Options   map[string]string
			Currency  string
		}
		type conn struct {
			TotalCount int
			Edges      []struct{ Node node }
		}
		skus := func(c conn) string {
			var out []string
			for _, e := range c.Edges {
				out = append(out, fmt.Sprintf("%s:%d", *e.Node.Sku, e.Node.Stock))
			}
			return strings.Join(out, " ")
		}
		listVariants := func(t *testing.T) conn {
			t.Helper()
			var c conn
			s.gql(t, a.Token, `query($p: ID!) { variants(first: 10, where: {productID: $p}, orderBy: {field: CREATED_AT, direction: DESC}) {
				totalCount edges { node { id productID sku price stock isActive options currency } } } }`,
				map[string]any{"p": teeID}).ok(t, "variants", &c)
			return c
		}
		productVariants := func(t *testing.T) (int, conn) {
			t.Helper()
			var c struct {
				Edges []struct {
					Node struct {
						Stock    int
						Variants conn
					}
				}
			}
			s.gql(t, a.Token, `query($p: ID!) { products(where: {id: $p}) { edges { node { stock variants(first: 10) { totalCount edges { node { sku stock } } } } } } }`,
				map[string]any{"p": teeID}).ok(t, "products", &c)
			if len(c.Edges) != 1 {
				t.Fatalf("products(where: {id}) = %d edges", len(c.Edges))
			}
			return c.Edges[0].Node.Stock, c.Edges[0].Node.Variants
		}

		c := listVariants(t)
		if c.TotalCount != 2 || skus(c) != "Tee-M:3 Tee-S:3" || c.Edges[1].Node.Options["Size"] != "S" ||
			c.Edges[0].Node.ProductID != teeID || c.Edges[0].Node.Price != nil || c.Edges[0].Node.Currency == "" {
			t.Fatalf("variants(where: {productID}) = %+v", c)
		}
		var byStock conn
		s.gql(t, a.Token, `{ variants(first: 10, where: {stockGTE: 7}, orderBy: {field: STOCK, direction: ASC}) { totalCount edges { node { sku stock } } } }`, nil).
			ok(t, "variants", &byStock)
		if skus(byStock) != "Polo-S:7" {
			t.Fatalf("variants(where: {stockGTE: 7}) = %s", skus(byStock))
		}
		if stock, pv := productVariants(t); stock != 6 || pv.TotalCount != 2 || skus(pv) != "Tee-S:3 Tee-M:3" {
			t.Fatalf("product { stock variants } = %d %+v", stock, pv)
		}

		// createProduct with options and variants: the same ProductInput as
		// REST's POST /admin/products; the product's stock is its variants'.
		var sized struct {
			ID       string
			Stock    int
			Options  []string
			Variants conn
		}
		s.gql(t, a.Token, `mutation($c: ID!) { createProduct(input: {categoryID: $c, name: "Hoodie", price: 4000, options: ["Size", "Colour"],
			variants: [{options: {Size: "S", Colour: "grey"}, sku: "Hood-S", initialStock: 2}, {options: {Size: "M", Colour: "grey"}, sku: "Hood-M", price: 4200, initialStock: 5}]}) {
			id stock options variants(first: 10) { totalCount edges { node { sku stock price options } } } } }`,
			map[string]any{"c": cat}).ok(t, "createProduct", &sized)
		if sized.Stock != 7 || fmt.Sprint(sized.Options) != "[Size Colour]" || sized.Variants.TotalCount != 2 || skus(sized.Variants) != "Hood-S:2 Hood-M:5" ||
			*sized.Variants.Edges[1].Node.Price != 4200 || sized.Variants.Edges[0].Node.Options["Colour"] != "grey" {
			t.Fatalf("createProduct with variants = %+v", sized)
		}
		hoodie, _ := strconv.Atoi(sized.ID)
		if n := s.ent.InventoryMovement.Query().Where(inventorymovement.ProductID(hoodie), inventorymovement.ReasonEQ(inventorymovement.ReasonInitial)).CountX(ctx); n != 2 {
			t.Fatalf("initial movements of the hoodie: %d, want one per variant", n)
		}
		// Options need variants; the same SKU twice is the unique index's conflict.
		g := s.gql(t, a.Token, `mutation($c: ID!) { createProduct(input: {categoryID: $c, name: "Bad", price: 1, options: ["Size"]}) { id } }`, map[string]any{"c": cat})
		if len(g.Errors) == 0 || g.Errors[0].Extensions["code"] != "validation_failed" {
			t.Fatalf("options without variants: %+v", g.Errors)
		}
		g = s.gql(t, a.Token, `mutation($c: ID!) { createProduct(input: {categoryID: $c, name: "Dup", price: 1, options: ["Size"],
			variants: [{options: {Size: "S"}, sku: "Hood-S"}]}) { id } }`, map[string]any{"c": cat})
		if len(g.Errors) == 0 || g.Errors[0].Extensions["code"] != "conflict" {
			t.Fatalf("a taken SKU: %+v", g.Errors)
		}

		// createVariant: the catalog's CreateVariant and its rules.
		var large node
		s.gql(t, a.Token, `mutation($p: ID!) { createVariant(productID: $p, input: {options: {Size: "L"}, sku: "Tee-L", price: 1700, initialStock: 4}) {
			id productID sku price stock isActive options } }`, map[string]any{"p": teeID}).ok(t, "createVariant", &large)
		lid, _ := strconv.Atoi(large.ID)
		if large.Options["Size"] != "L" || *large.Sku != "Tee-L" || *large.Price != 1700 || large.Stock != 4 || !large.IsActive {
			t.Fatalf("createVariant = %+v", large)
		}
		if v := s.ent.Variant.GetX(ctx, lid); v.Stock != 4 || v.ProductID != tee.ID || v.Options["Size"] != "L" ||
			s.ent.InventoryMovement.Query().Where(inventorymovement.VariantID(lid), inventorymovement.ReasonEQ(inventorymovement.ReasonInitial),
				inventorymovement.QuantityChange(4)).CountX(ctx) != 1 || s.stock(t, tee.ID) != 10 {
			t.Fatalf("stored variant %+v, product stock %d: want stock 4 with its initial movement, product 10", v, s.stock(t, tee.ID))
		}
		for _, bad := range []struct{ input, code string }{
			{`{options: {Size: "L"}}`, "conflict"},                     // the options taken (the unique index)
			{`{options: {Size: "XL"}, sku: "Tee-S"}`, "conflict"},      // the SKU taken
			{`{options: {Colour: "red"}}`, "validation_failed"},        // not the product's option names
			{`{options: {Size: 5}}`, "validation_failed"},              // not a string
			{`{options: {Size: "XL"}, price: 0}`, "validation_failed"}, // VariantInput.Validate
			{`{options: {Size: "XL"}, initialStock: -1}`, "validation_failed"},
		} {
			code, _ := s.gql(t, a.Token, `mutation($p: ID!) { createVariant(productID: $p, input: `+bad.input+`) { id } }`, map[string]any{"p": teeID}).code(t)
			if code != bad.code {
				t.Errorf("createVariant %s = %s, want %s", bad.input, code, bad.code)
			}
		}
		code, _ := s.gql(t, a.Token, `mutation($p: ID!) { createVariant(productID: $p, input: {options: {Size: "L"}}) { id } }`,
			map[string]any{"p": strconv.Itoa(plain.ID)}).code(t)
		if code != "validation_failed" {
			t.Fatalf("createVariant on a product without options = %s", code)
		}
		if n := s.ent.Variant.Query().CountX(ctx); n != 7 { // Tee S M L, Polo S, Mug, Hoodie S M
			t.Fatalf("%d variants stored after the refused creates", n)
		}

		// updateVariant: price, active flag, back to the product's price.
		var upd node
		s.gql(t, a.Token, `mutation($id: ID!) { updateVariant(id: $id, input: {price: 1800, isActive: false}) { price isActive } }`,
			map[string]any{"id": large.ID}).ok(t, "updateVariant", &upd)
		if v := s.ent.Variant.GetX(ctx, lid); upd.Price == nil || *upd.Price != 1800 || upd.IsActive || *v.Price != 1800 || v.IsActive {
			t.Fatalf("updateVariant = %+v, stored %+v", upd, v)
		}
		s.gql(t, a.Token, `mutation($id: ID!) { updateVariant(id: $id, input: {clearPrice: true}) { price } }`,
			map[string]any{"id": large.ID}).ok(t, "updateVariant", &upd)
		if v := s.ent.Variant.GetX(ctx, lid); upd.Price != nil || v.Price != nil {
			t.Fatalf("clearPrice: answered %v, stored %v", upd.Price, v.Price)
		}
		if code, _ := s.gql(t, a.Token, `mutation($id: ID!) { updateVariant(id: $id, input: {sku: "no spaces"}) { id } }`,
			map[string]any{"id": large.ID}).code(t); code != "validation_failed" {
			t.Fatalf("updateVariant with a bad SKU = %s", code)
		}

		// adjustVariantStock: compare-and-set with expectedStock.
		var adj node
		s.gql(t, a.Token, `mutation($id: ID!) { adjustVariantStock(id: $id, quantityChange: 6, reason: RESTOCK, expectedStock: 4) { stock } }`,
			map[string]any{"id": large.ID}).ok(t, "adjustVariantStock", &adj)
		if adj.Stock != 10 || s.ent.Variant.GetX(ctx, lid).Stock != 10 || s.stock(t, tee.ID) != 16 {
			t.Fatalf("adjusted stock = %d, stored %d, product %d", adj.Stock, s.ent.Variant.GetX(ctx, lid).Stock, s.stock(t, tee.ID))
		}
		moves := s.ent.InventoryMovement.Query().Where(inventorymovement.VariantID(lid)).CountX(ctx)
		code, ext := s.gql(t, a.Token, `mutation($id: ID!) { adjustVariantStock(id: $id, quantityChange: -1, reason: ADJUSTMENT, expectedStock: 4) { stock } }`,
			map[string]any{"id": large.ID}).code(t)
		if code != "stock_changed" {
			t.Fatalf("expectedStock mismatch = %s %v, want stock_changed", code, ext)
		}
		code, _ = s.gql(t, a.Token, `mutation($id: ID!) { adjustVariantStock(id: $id, quantityChange: -11, reason: DAMAGE) { stock } }`,
			map[string]any{"id": large.ID}).code(t)
		if code != "insufficient_stock" {
			t.Fatalf("below zero = %s", code)
		}
		code, _ = s.gql(t, a.Token, `mutation($id: ID!) { adjustVariantStock(id: $id, quantityChange: 1, reason: RESTOCK, expectedStock: -1) { stock } }`,
			map[string]any{"id": large.ID}).code(t)
		if code != "validation_failed" {
			t.Fatalf("expectedStock -1 = %s", code)
		}
		if v := s.ent.Variant.GetX(ctx, lid); v.Stock != 10 || s.ent.InventoryMovement.Query().Where(inventorymovement.VariantID(lid)).CountX(ctx) != moves {
			t.Fatalf("a refused adjustment wrote: stock %d", v.Stock)
		}

		// deleteVariant: soft delete, gone from both connections; the last
		// live variant stays.
		var ok bool
		s.gql(t, a.Token, `mutation($id: ID!) { deleteVariant(id: $id) }`, map[string]any{"id": large.ID}).ok(t, "deleteVariant", &ok)
		if v := s.ent.Variant.GetX(ctx, lid); !ok || v.DeletedAt == nil {
			t.Fatalf("deleteVariant = %v, stored deleted_at %v", ok, v.DeletedAt)
		}
		if c := listVariants(t); c.TotalCount != 2 || skus(c) != "Tee-M:3 Tee-S:3" {
			t.Fatalf("variants after the delete = %+v", c)
		}
		if _, pv := productVariants(t); pv.TotalCount != 2 || skus(pv) != "Tee-S:3 Tee-M:3" {
			t.Fatalf("product variants after the delete = %+v", pv)
		}
		if code, _ := s.gql(t, a.Token, `mutation($id: ID!) { deleteVariant(id: $id) }`, map[string]any{"id": large.ID}).code(t); code != "not_found" {
			t.Fatalf("second delete = %s", code)
		}
		s.gql(t, a.Token, `mutation($id: ID!) { deleteVariant(id: $id) }`, map[string]any{"id": strconv.Itoa(tee.Variants[1].ID)}).ok(t, "deleteVariant", &ok)
		if code, _ := s.gql(t, a.Token, `mutation($id: ID!) { deleteVariant(id: $id) }`, map[string]any{"id": strconv.Itoa(tee.Variants[0].ID)}).code(t); code != "conflict" {
			t.Fatalf("deleting the last variant = %s", code)
		}
		if n := s.ent.Variant.Query().CountX(context.Background()); n != 5 { // Tee S, Polo S, Mug, Hoodie S M
			t.Fatalf("%d live variants, want 5", n)
		}

		// The audit log has the GraphQL writes of the variant, by the admin,
		// and nothing of the refused ones.
		var summary []string
		for _, e := range s.ent.AuditLog.Query().Where(auditlog.Entity("variant"), auditlog.EntityID(lid)).Order(auditlog.ByID()).AllX(ctx) {
			keys := make([]string, 0, len(e.Changes))
			for k := range e.Changes {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			summary = append(summary, string(e.Action)+":"+strings.Join(keys, ","))
			if e.ActorID == nil || *e.ActorID != a.ID {
				t.Errorf("audit entry %+v: want the admin as actor", e)
			}
		}
		want := []string{"create:created_at,is_active,options,options_key,price,product_id,sku,stock",
			"update:is_active,price", "update:price", "update:stock", "delete:deleted_at"}
		if strings.Join(summary, " ") != strings.Join(want, " ") {
			t.Fatalf("variant audit = %v\nwant %v", summary, want)
		}
		s.checkLedger(t)
		s.checkInvariants(t)
	})
}
