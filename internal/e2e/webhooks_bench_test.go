package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
)

// BenchmarkWebhooks_Checkout measures a checkout (add to cart + checkout,
// over HTTP) with no endpoint and no workers, and with one endpoint
// subscribed to order.created and the workers running in the same process;
// with workers it reports commit→delivery latency p50/p99.
//
//	go test -run '^$' -bench BenchmarkWebhooks_Checkout -benchtime 300x ./internal/e2e
func BenchmarkWebhooks_Checkout(b *testing.B) {
	for _, dia := range []string{dialect.Postgres, dialect.SQLite} {
		for _, workers := range []bool{false, true} {
			name := dia + "/no-webhook"
			if workers {
				name = dia + "/webhook+workers"
			}
			b.Run(name, func(b *testing.B) {
				s := newShop(b, dia, withEnv("SHOP_WEBHOOK_ALLOW_PRIVATE", "true"))
				admin := s.admin(b)
				var (
					mu  sync.Mutex
					lat []time.Duration
				)
				if workers {
					s.startWorkers(b)
					srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						var ev struct {
							CreatedAt time.Time `json:"created_at"`
						}
						_ = decodeJSON(r, &ev)
						mu.Lock()
						lat = append(lat, time.Since(ev.CreatedAt))
						mu.Unlock()
					}))
					b.Cleanup(srv.Close)
					s.subscribe(b, admin, srv.URL, "order.created")
				}
				cat := s.category(b, admin, "bench", nil)
				p := s.product(b, admin, cat, "Bench", 100, 1_000_000)
				u := s.register(b, "Bench")
				b.ResetTimer()
				for range b.N {
					s.addToCart(b, u, p.ID, 1)
					s.checkout(b, u, nil, nil).wantStatus(201)
				}
				b.StopTimer()
				if !workers {
					return
				}
				deadline := time.Now().Add(60 * time.Second)
				for time.Now().Before(deadline) {
					mu.Lock()
					n := len(lat)
					mu.Unlock()
					if n >= b.N {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
				mu.Lock()
				defer mu.Unlock()
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				if len(lat) > 0 {
					b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-delivery-ms")
					b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-delivery-ms")
				}
			})
		}
	}
}

func decodeJSON(r *http.Request, v any) error {
	return json.NewDecoder(r.Body).Decode(v)
}
