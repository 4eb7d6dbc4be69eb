package e2e

import (
	"fmt"
	"testing"

	"shop/internal/testdb"
)

// TestGraphQL_OrderHistory: order lines and inventory movements keep
// resolving their product after it is soft-deleted (issue 12 item 4: they
// became null with a not_found error), while the catalog's connections and
// edges still hide it. Product.currency is the store currency.
func TestGraphQL_OrderHistory(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia, withEnv("SHOP_CURRENCY", "EUR"))
		a := s.admin(t)
		cat := s.category(t, a, "tools", nil)
		gone := s.product(t, a, cat, "Old Saw", 2500, 10)
		kept := s.product(t, a, cat, "Hammer", 1500, 10)
		u := s.register(t, "Buyer")
		s.addToCart(t, u, gone.ID, 2)
		s.addToCart(t, u, kept.ID, 1)
		s.checkout(t, u, nil, nil).wantStatus(201)
		s.do(t, req{method: "DELETE", path: path("/api/v1/admin/products/%d", gone.ID), token: a.Token}).wantStatus(204)

		type product struct {
			ID        string
			Name      string
			Currency  string
			DeletedAt *string
		}
		var orders struct {
			Edges []struct {
				Node struct {
					Items struct {
						Edges []struct {
							Node struct {
								ProductName string
								Product     *product
							}
						}
					}
				}
			}
		}
		s.gql(t, a.Token, `{ orders(first: 5) { edges { node { items(first: 50) { edges { node { productName product { id name currency deletedAt } } } } } } } }`, nil).ok(t, "orders", &orders)
		if len(orders.Edges) != 1 || len(orders.Edges[0].Node.Items.Edges) != 2 {
			t.Fatalf("orders = %+v", orders)
		}
		seen := map[string]product{}
		for _, e := range orders.Edges[0].Node.Items.Edges {
			it := e.Node
			if it.Product == nil || it.Product.Name != it.ProductName {
				t.Fatalf("line %q: product %+v", it.ProductName, it.Product)
			}
			seen[it.Product.ID] = *it.Product
		}
		if p := seen[fmt.Sprint(gone.ID)]; p.DeletedAt == nil || p.Currency != "EUR" {
			t.Fatalf("deleted product on its order line: %+v", p)
		}
		if p := seen[fmt.Sprint(kept.ID)]; p.DeletedAt != nil || p.Currency != "EUR" {
			t.Fatalf("live product on its order line: %+v", p)
		}

		var movements struct {
			TotalCount int
			Edges      []struct {
				Node *struct {
					Reason  string
					Product *product
				}
			}
		}
		s.gql(t, a.Token, `query($p: ID!) { inventoryMovements(where: {productID: $p}, orderBy: {field: CREATED_AT, direction: ASC}) {
			totalCount edges { node { reason product { id deletedAt } } } } }`, map[string]any{"p": gone.ID}).ok(t, "inventoryMovements", &movements)
		if movements.TotalCount != 2 || len(movements.Edges) != 2 {
			t.Fatalf("movements = %+v", movements)
		}
		for _, e := range movements.Edges {
			if e.Node == nil || e.Node.Product == nil || e.Node.Product.ID != fmt.Sprint(gone.ID) || e.Node.Product.DeletedAt == nil {
				t.Fatalf("movement of the deleted product: %+v", e.Node)
			}
		}
		// Reached through a fragment and an alias, the same.
		g := s.gql(t, a.Token, `{ m: inventoryMovements(first: 100) { edges { node { ...M } } } } fragment M on InventoryMovement { p: product { id } }`, nil)
		if len(g.Errors) > 0 {
			t.Fatalf("movements through a fragment: %+v", g.Errors)
		}

		// The catalog is not widened: deleted products stay hidden there.
		var products struct {
			TotalCount int
			Edges      []struct{ Node product }
		}
		s.gql(t, a.Token, `{ products { totalCount edges { node { id currency } } } }`, nil).ok(t, "products", &products)
		if products.TotalCount != 1 || products.Edges[0].Node.ID != fmt.Sprint(kept.ID) || products.Edges[0].Node.Currency != "EUR" {
			t.Fatalf("products = %+v", products)
		}
		var cats struct {
			Edges []struct {
				Node struct {
					Products struct{ Edges []struct{ Node product } }
				}
			}
		}
		s.gql(t, a.Token, `{ categories { edges { node { products(first: 100) { edges { node { id } } } } } } }`, nil).ok(t, "categories", &cats)
		if len(cats.Edges) != 1 || len(cats.Edges[0].Node.Products.Edges) != 1 || cats.Edges[0].Node.Products.Edges[0].Node.ID != fmt.Sprint(kept.ID) {
			t.Fatalf("category products = %+v", cats)
		}
		// The store's state is what REST says too.
		s.do(t, req{method: "GET", path: path("/api/v1/products/%d", gone.ID)}).wantProblem(404, "not_found")
		s.checkInvariants(t)
	})
}
