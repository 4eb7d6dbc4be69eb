package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"

	"shop/ent/order"
	"shop/internal/testdb"
	"shop/modules/ordering"
)

var strategies = []string{ordering.Optimistic, ordering.Pessimistic}

// TestCheckout_HotProduct: N buyers of q units of a product with stock S,
// N·q > S, all at once: exactly ⌊S/q⌋ orders, stock 0, never below.
func TestCheckout_HotProduct(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a concurrency stress run (TestRunner_GraphQLRacesCheckouts stays); make test runs it")
	}
	t.Parallel()
	cases := []struct{ stock, buyers, qty int }{{50, 40, 2}, {1, 64, 1}}
	testdb.Each(t, func(t *testing.T, dia string) {
		for _, strategy := range strategies {
			for _, c := range cases {
				t.Run(fmt.Sprintf("%s/S=%d,N=%d,q=%d", strategy, c.stock, c.buyers, c.qty), func(t *testing.T) {
					s := newShop(t, dia, withEnv("SHOP_CHECKOUT_LOCKING", strategy))
					admin := s.admin(t)
					cat := s.category(t, admin, "hot", nil)
					p := s.product(t, admin, cat, "Hot", 1999, c.stock)
					buyers := make([]user, c.buyers)
					for i := range buyers {
						buyers[i] = s.register(t, fmt.Sprintf("B%d", i))
						s.addToCart(t, buyers[i], p.ID, c.qty)
					}
					statuses := make([]int, c.buyers)
					codes := make([]string, c.buyers)
					var wg sync.WaitGroup
					start := make(chan struct{})
					for i, b := range buyers {
						wg.Add(1)
						go func() {
							defer wg.Done()
							<-start
							r := s.checkout(t, b, nil, nil)
							statuses[i] = r.Status
							if r.Status >= 400 {
								codes[i], _ = r.Problem()["code"].(string)
							}
						}()
					}
					close(start)
					wg.Wait()
					ok := 0
					for i := range statuses {
						switch {
						case statuses[i] == http.StatusCreated:
							ok++
						case statuses[i] == http.StatusConflict && codes[i] == "insufficient_stock":
						default:
							t.Errorf("buyer %d: %d %s", i, statuses[i], codes[i])
						}
					}
					want := c.stock / c.qty
					if ok != want {
						t.Fatalf("%d checkouts succeeded, want %d", ok, want)
					}
					if n := s.ent.Order.Query().CountX(t.Context()); n != want {
						t.Fatalf("%d orders in the database, want %d", n, want)
					}
					if st := s.stock(t, p.ID); st != c.stock-want*c.qty {
						t.Fatalf("stock %d, want %d", st, c.stock-want*c.qty)
					}
					s.checkInvariants(t)
				})
			}
		}
	})
}

// TestCheckout_MixedLoad: many users check out random overlapping
// multi-line carts at once; no lock wait, deadlock or serialization failure
// reaches a client, and every invariant holds afterwards.
func TestCheckout_MixedLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a concurrency stress run (TestRunner_GraphQLRacesCheckouts stays); make test runs it")
	}
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		for _, strategy := range strategies {
			t.Run(strategy, func(t *testing.T) {
				s := newShop(t, dia, withEnv("SHOP_CHECKOUT_LOCKING", strategy))
				admin := s.admin(t)
				cat := s.category(t, admin, "mixed", nil)
				products := make([]product, 8)
				for i := range products {
					products[i] = s.product(t, admin, cat, fmt.Sprintf("P%d", i), int64(100+i), 40)
				}
				const users, rounds = 16, 5
				var (
					mu       sync.Mutex
					outcomes = map[string]int{}
					wg       sync.WaitGroup
				)
				for u := range users {
					buyer := s.register(t, fmt.Sprintf("M%d", u))
					wg.Add(1)
					go func() {
						defer wg.Done()
						rng := rand.New(rand.NewPCG(uint64(u), 7))
						for range rounds {
							for _, i := range rng.Perm(len(products))[:1+rng.IntN(4)] {
								r := s.do(t, req{method: "POST", path: "/api/v1/cart/items", token: buyer.Token,
									body: map[string]int{"product_id": products[i].ID, "quantity": 1 + rng.IntN(3)}})
								if r.Status != 201 && r.Status != 409 {
									t.Errorf("add to cart: %d %s", r.Status, r.Body)
								}
							}
							r := s.checkout(t, buyer, nil, nil)
							outcome := fmt.Sprint(r.Status)
							if r.Status >= 400 {
								outcome += " " + fmt.Sprint(r.Problem()["code"])
							}
							mu.Lock()
							outcomes[outcome]++
							mu.Unlock()
							switch outcome {
							case "201":
							case "409 insufficient_stock":
								s.do(t, req{method: "DELETE", path: "/api/v1/cart", token: buyer.Token}).wantStatus(204)
							case "422 empty_cart":
							default:
								t.Errorf("checkout: %s %s", outcome, r.Body)
							}
						}
					}()
				}
				wg.Wait()
				t.Logf("%s/%s outcomes: %v, retries: %v", dia, strategy, outcomes, s.metric(t, "shop_checkout_retries_total"))
				if outcomes["201"] == 0 {
					t.Fatal("no checkout succeeded")
				}
				if n := s.ent.Order.Query().Where(order.StatusEQ(order.StatusPending)).CountX(t.Context()); n != outcomes["201"] {
					t.Fatalf("%d orders, %d successful checkouts", n, outcomes["201"])
				}
				s.checkInvariants(t)
			})
		}
	})
}

// metric reads a counter's value from the server's registry.
func (s *shop) metric(t testing.TB, name string) float64 {
	t.Helper()
	families, err := s.srv.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}
