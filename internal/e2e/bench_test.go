package e2e

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"shop/internal/app"
)

// BenchmarkW1 measures what the shop process spends on the four requests
// of a W1 iteration (../shared/bench/WORKLOAD.md: three POST /cart/items
// of distinct products, qty 1..3, then POST /checkout), called on the
// server's http.Handler in process: the middleware, authentication,
// binding, the services, the database driver and the JSON encoding, with
// the access log at the production level (info, JSON, to io.Discard). The
// client's side and the TCP server loop are not in it. Run with -benchmem:
// allocs/op of "add" and "checkout" are per request, of "iteration" per W1
// iteration. cpu-ns/op is this process's CPU time (user + system, from
// getrusage) over the timed requests: the server's CPU per request, which
// ns/op (wall time, mostly waiting for the database) is not.
// SHOP_TEST_DIALECT picks the database (default postgres).
//
//	go test -run '^$' -bench W1 -benchmem -count 5 ./internal/e2e/
func BenchmarkW1(b *testing.B) {
	dia := os.Getenv("SHOP_TEST_DIALECT")
	if dia == "" {
		dia = dialect.Postgres
	}
	s := newShop(b, dia)
	admin := s.admin(b)
	cat := s.category(b, admin, "bench", nil)
	ids := make([]int, 100)
	for i := range ids {
		ids[i] = s.product(b, admin, cat, fmt.Sprintf("Product %d", i+1), int64(i+1)*100+99, 10_000_000).ID
	}
	// The server under measurement: the same configuration and database as
	// s, with the access log of `shop serve` (one info line per request).
	logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h := app.NewServer(s.cfg, s.db, logger).Handler()

	// One customer loops: checkout empties the cart, so every iteration
	// starts with an empty one, as in W1.
	u := s.register(b, "bench")
	auth := "Bearer " + u.Token
	rng := rand.New(rand.NewPCG(1, 2))
	serve := func(path, body string, want int) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		r := httptest.NewRequest(http.MethodPost, path, rd)
		r.Header.Set("Authorization", auth)
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			b.Fatalf("POST %s: %d, want %d: %s", path, w.Code, want, w.Body)
		}
	}
	var base int
	add := func(i int) { // i = 0, 1, 2: three distinct products
		if i == 0 {
			base = rng.IntN(len(ids))
		}
		p := ids[(base+i*33)%len(ids)]
		serve("/api/v1/cart/items", fmt.Sprintf(`{"product_id":%d,"quantity":%d}`, p, 1+rng.IntN(3)), http.StatusCreated)
	}
	checkout := func() { serve("/api/v1/checkout", "", http.StatusCreated) }

	b.Run("add", func(b *testing.B) {
		b.ReportAllocs()
		var (
			cpu time.Duration
			i   int
		)
		for ; b.Loop(); i++ {
			t0 := processCPU()
			add(i % 3)
			cpu += processCPU() - t0
			if i%3 == 2 {
				b.StopTimer()
				checkout()
				b.StartTimer()
			}
		}
		reportCPU(b, cpu)
		if i%3 != 0 {
			checkout() // leave the cart empty
		}
	})
	b.Run("checkout", func(b *testing.B) {
		b.ReportAllocs()
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			add(0)
			add(1)
			add(2)
			b.StartTimer()
			t0 := processCPU()
			checkout()
			cpu += processCPU() - t0
		}
		reportCPU(b, cpu)
	})
	b.Run("iteration", func(b *testing.B) {
		b.ReportAllocs()
		t0 := processCPU()
		for b.Loop() {
			add(0)
			add(1)
			add(2)
			checkout()
		}
		reportCPU(b, processCPU()-t0)
	})
}

// processCPU is the CPU time this process has used (user + system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}
