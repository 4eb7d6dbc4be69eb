package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"shop/internal/invariants"
)

// The workloads W1 and W2, their sanity check, and the pgbench reference.

type w1Result struct {
	rate, p50, p99 float64
	start, end     time.Time // the measurement window (after warm-up)
	cpuPerIter     float64   // server CPU ms per iteration in the window
	ok             int
	errors         string
}

func (b *bench) runW1(ctx context.Context, c int) (w1Result, error) {
	start := time.Now()
	windowStart := start.Add(b.opt.warmup)
	windowEnd := windowStart.Add(b.opt.duration)
	var (
		mu        sync.Mutex
		latencies []float64
		errs      = map[int]int{}
		committed atomic.Int64
		wg        sync.WaitGroup
	)
	var cpuStart, cpuEnd time.Duration
	cpuDone := make(chan struct{})
	go func() {
		defer close(cpuDone)
		time.Sleep(time.Until(windowStart))
		cpuStart = b.srv.cpu()
		time.Sleep(time.Until(windowEnd))
		cpuEnd = b.srv.cpu()
	}()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for i := 0; time.Now().Before(windowEnd); i++ {
				uid := w*usersPerWorker + i%usersPerWorker + 1
				tok := b.tokens[uid]
				failed := false
				for _, p := range rng.Perm(100)[:3] {
					st, _, err := b.post(ctx, tok, "/api/v1/cart/items", map[string]int{"product_id": p + 1, "quantity": 1 + rng.IntN(3)})
					if err != nil || st != http.StatusCreated {
						mu.Lock()
						errs[st]++
						mu.Unlock()
						failed = true
						break
					}
				}
				if failed {
					continue
				}
				t0 := time.Now()
				st, _, err := b.post(ctx, tok, "/api/v1/checkout", nil)
				t1 := time.Now()
				if err != nil || st != http.StatusCreated {
					mu.Lock()
					errs[st]++
					mu.Unlock()
					continue
				}
				committed.Add(1)
				if t1.After(windowStart) && !t1.After(windowEnd) {
					mu.Lock()
					latencies = append(latencies, float64(t1.Sub(t0).Microseconds())/1000)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	<-cpuDone
	r := w1Result{ok: int(committed.Load()), errors: fmt.Sprint(errs), start: windowStart, end: windowEnd}
	if len(latencies) > 0 {
		r.cpuPerIter = float64((cpuEnd - cpuStart).Microseconds()) / 1000 / float64(len(latencies))
	}
	if len(errs) == 0 {
		r.errors = "0"
	}
	r.rate = float64(len(latencies)) / b.opt.duration.Seconds()
	r.p50, r.p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
	return r, nil
}

type w2Result struct {
	orders, dbOrders, stock, stops int
	oversold                       bool
	sellOut                        time.Duration
	errors                         string
}

func (b *bench) runW2(ctx context.Context) (w2Result, error) {
	var (
		mu     sync.Mutex
		r      w2Result
		errs   = map[int]int{}
		last   time.Time
		orders atomic.Int64
		stops  atomic.Int64
		wg     sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < b.opt.w2Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				tok := b.tokens[w*usersPerWorker+i%usersPerWorker+1]
				st, body, err := b.post(ctx, tok, "/api/v1/cart/items", map[string]int{"product_id": 1, "quantity": 1})
				if err == nil && st == http.StatusCreated {
					st, body, err = b.post(ctx, tok, "/api/v1/checkout", nil)
				}
				switch {
				case err == nil && st == http.StatusCreated:
					orders.Add(1)
					mu.Lock()
					if now := time.Now(); now.After(last) {
						last = now
					}
					mu.Unlock()
				case err == nil && st == http.StatusConflict && bytes.Contains(body, []byte(`"insufficient_stock"`)):
					stops.Add(1)
					return
				default:
					mu.Lock()
					errs[st]++
					mu.Unlock()
					if i > 100000 {
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	r.orders, r.stops = int(orders.Load()), int(stops.Load())
	r.sellOut = last.Sub(start)
	r.errors = fmt.Sprint(errs)
	if err := b.db.SQL.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM orders), (SELECT stock FROM products WHERE id = 1)`).Scan(&r.dbOrders, &r.stock); err != nil {
		return r, err
	}
	r.oversold = r.dbOrders > 1000 || r.stock < 0 || r.dbOrders+r.stock != 1000
	return r, nil
}

// sanity checks the run left a consistent shop: orders = successful
// checkouts, every invariant of DESIGN.md (lines, sale movements, ledger).
func (b *bench) sanity(ctx context.Context, successes int) error {
	var n int
	if err := b.db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&n); err != nil {
		return err
	}
	if n != successes {
		return fmt.Errorf("%d orders, %d successful checkouts", n, successes)
	}
	bad, err := invariants.Check(ctx, b.db.Client)
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("invariants: %v", bad[:min(5, len(bad))])
	}
	return nil
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

func (b *bench) pgbench(ctx context.Context, c int) (float64, error) {
	u, err := url.Parse(b.url)
	if err != nil {
		return 0, err
	}
	var variants bool
	if err := b.db.SQL.QueryRowContext(ctx, `SELECT to_regclass('variants') IS NOT NULL`).Scan(&variants); err != nil {
		return 0, err
	}
	text := pgbenchScript
	if variants {
		text = pgbenchVariantsScript
	}
	script := filepath.Join(os.TempDir(), "shop-checkout-full.pgbench.sql")
	if err := os.WriteFile(script, text, 0o644); err != nil {
		return 0, err
	}
	args := []string{"-h", u.Hostname(), "-p", orDefault(u.Port(), "5432"), "-U", u.User.Username(), "-n", "-M", "prepared",
		"-c", strconv.Itoa(c), "-j", "2", "-T", strconv.Itoa(int(b.opt.duration.Seconds())), "-D", "cnt=0", "-f", script,
		strings.TrimPrefix(u.Path, "/")}
	out, err := exec.CommandContext(ctx, "pgbench", args...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %v\n%s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench: no tps in\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	i := int(float64(len(xs))*p+0.999999) - 1 // nearest rank
	return xs[max(0, min(i, len(xs)-1))]
}
