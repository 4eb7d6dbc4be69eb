package e2e

import (
	"context"
	"shop/ent/variant"
	"testing"

	"shop/internal/invariants"
	"shop/modules/identity"
	"shop/modules/inventory/stock"
	"shop/schema"
)

func identityInput(email string) identity.CreateUserInput {
	return identity.CreateUserInput{Email: email, Password: "admin-password", Name: "Admin", Role: identity.RoleAdmin}
}

// product is a created product's id and price.
type product struct {
	ID    int
	Price int64
}

// category creates a category through the admin API.
func (s *shop) category(t testing.TB, admin user, slug string, parent *int) int {
	t.Helper()
	body := map[string]any{"name": slug, "slug": slug}
	if parent != nil {
		body["parent_id"] = *parent
	}
	var c struct{ ID int }
	s.do(t, req{method: "POST", path: "/api/v1/admin/categories", token: admin.Token, body: body}).wantStatus(201).JSON(&c)
	return c.ID
}

// product creates a product through the admin API.
func (s *shop) product(t testing.TB, admin user, categoryID int, name string, price int64, stock int) product {
	t.Helper()
	var p struct {
		ID    int
		Price int64
	}
	s.do(t, req{method: "POST", path: "/api/v1/admin/products", token: admin.Token, body: map[string]any{
		"category_id": categoryID, "name": name, "description": "about " + name, "price": price, "stock": stock,
	}}).wantStatus(201).JSON(&p)
	return product{ID: p.ID, Price: p.Price}
}

// variantOf is the id of a one-variant product's variant, from the
// database.
func variantOf(t testing.TB, s *shop, productID int) int {
	t.Helper()
	return s.ent.Variant.Query().Where(variant.ProductID(productID)).OnlyIDX(schema.SkipSoftDelete(context.Background()))
}

// stock reads a product's stock from the database.
func (s *shop) stock(t testing.TB, id int) int {
	t.Helper()
	return s.ent.Product.GetX(schema.SkipSoftDelete(context.Background()), id).Stock
}

// checkLedger fails unless every product's stock equals the sum of its
// movements (the reconciliation) and none is below zero.
func (s *shop) checkLedger(t testing.TB) {
	t.Helper()
	ctx := schema.SkipSoftDelete(context.Background())
	rec, err := stock.Reconcile(ctx, s.ent)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range rec.Discrepancies {
		t.Errorf("product %d variant %v: stock %d, ledger sum %d", d.ProductID, d.VariantID, d.Stock, d.LedgerSum)
	}
	for _, p := range s.ent.Product.Query().AllX(ctx) {
		if p.Stock < 0 {
			t.Errorf("product %d: stock %d below zero", p.ID, p.Stock)
		}
	}
}

// checkInvariants fails on any violated invariant of DESIGN.md, and checks
// the reconciliation report agrees.
func (s *shop) checkInvariants(t testing.TB) {
	t.Helper()
	bad, err := invariants.Check(context.Background(), s.ent)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error(b)
	}
}

// addToCart puts a product in u's cart through the API.
func (s *shop) addToCart(t testing.TB, u user, productID, qty int) {
	t.Helper()
	s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: u.Token, body: map[string]int{"product_id": productID, "quantity": qty}}).wantStatus(201)
}
