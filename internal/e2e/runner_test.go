package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"shop/internal/testdb"
)

// TestRunner_GraphQLRacesCheckouts: 16 concurrent GraphQL adjustStock
// mutations on one product race 16 REST checkouts of it. GraphQL mutations
// run on the same transaction runner as REST, with the same retries, so no
// request fails with a 5xx or an internal error (a deadlock, serialization
// failure or SQLite busy used to be one on GraphQL), and afterwards the
// stock is what the successful requests add up to and equals the ledger.
func TestRunner_GraphQLRacesCheckouts(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "race", nil)
		const initial, n = 20, 16
		p := s.product(t, admin, cat, "Raced", 500, initial)
		buyers := make([]user, n)
		for i := range buyers {
			buyers[i] = s.register(t, fmt.Sprintf("R%d", i))
			s.addToCart(t, buyers[i], p.ID, 2)
		}
		const mutation = `mutation($id: ID!, $q: Int!, $r: StockAdjustmentReason!) { adjustStock(productID: $id, quantityChange: $q, reason: $r) { stock } }`
		var (
			adjusted, sold atomic.Int64
			wg             sync.WaitGroup
			start          = make(chan struct{})
		)
		for i := range n {
			wg.Add(2)
			go func() { // an admin's stock adjustment: +3 or -1
				defer wg.Done()
				<-start
				change, reason := 3, "RESTOCK"
				if i%2 == 1 {
					change, reason = -1, "DAMAGE"
				}
				r := s.do(t, req{method: "POST", path: "/admin/graphql", token: admin.Token,
					body: map[string]any{"query": mutation, "variables": map[string]any{"id": p.ID, "q": change, "r": reason}}})
				if r.Status != http.StatusOK {
					t.Errorf("adjustStock %+d: %d %s", change, r.Status, r.Body)
					return
				}
				var out gqlResponse
				if err := json.Unmarshal(r.Body, &out); err != nil {
					t.Errorf("adjustStock: %v", err)
					return
				}
				if len(out.Errors) > 0 {
					if code := out.Errors[0].Extensions["code"]; code != "insufficient_stock" {
						t.Errorf("adjustStock %+d: %v", change, out.Errors)
					}
					return
				}
				adjusted.Add(int64(change))
			}()
			go func() { // a buyer's checkout of 2 units
				defer wg.Done()
				<-start
				r := s.checkout(t, buyers[i], nil, nil)
				switch {
				case r.Status == http.StatusCreated:
					sold.Add(2)
				case r.Status == http.StatusConflict && r.Problem()["code"] == "insufficient_stock":
				default:
					t.Errorf("checkout: %d %s", r.Status, r.Body)
				}
			}()
		}
		close(start)
		wg.Wait()
		if sold.Load() == 0 {
			t.Fatal("no checkout succeeded")
		}
		want := initial + int(adjusted.Load()) - int(sold.Load())
		if got := s.stock(t, p.ID); got != want {
			t.Fatalf("stock %d, want %d = %d + %d adjusted - %d sold", got, want, initial, adjusted.Load(), sold.Load())
		}
		t.Logf("%s: adjusted %+d, sold %d, checkout retries %v", dia, adjusted.Load(), sold.Load(), s.metric(t, "shop_checkout_retries_total"))
		s.checkInvariants(t)
	})
}
