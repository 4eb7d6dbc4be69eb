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
	cpu            cpuPerIter
	ok             int
	errors         string
	detail         *detail // with capture: what PostgreSQL did
}

// runW1 runs W1 at concurrency c; with capture it also reads
// pg_stat_statements over the window and the table and WAL counters over
// the run.
func (b *bench) runW1(ctx context.Context, c int, capture bool) (w1Result, error) {
	if capture {
		b.resetCounters(ctx)
	}
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
	var (
		cpuStart, cpuEnd cpuSample
		d                detail
	)
	cpuDone := make(chan struct{})
	go func() {
		defer close(cpuDone)
		time.Sleep(time.Until(windowStart))
		if capture {
			b.resetStatements(ctx)
		}
		cpuStart = b.sampleCPU()
		time.Sleep(time.Until(windowEnd))
		cpuEnd = b.sampleCPU()
		if capture {
			d.st, d.stErr = b.statements(ctx)
		}
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
	r.cpu = perIter(cpuStart, cpuEnd, len(latencies))
	if capture {
		time.Sleep(1200 * time.Millisecond) // backends report their counters at most once a second
		d.cnt, d.cntErr = b.counters(ctx)
		d.stIters, d.cntIters = len(latencies), r.ok
		r.detail = &d
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
	cpu                            cpuPerIter // per order, over the whole run
	detail                         *detail
}

// runW2 runs W2; with capture it also reads pg_stat_statements and the
// table and WAL counters over the run.
func (b *bench) runW2(ctx context.Context, capture bool) (w2Result, error) {
	if capture {
		b.resetCounters(ctx)
		b.resetStatements(ctx)
	}
	cpuStart := b.sampleCPU()
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
	cpuEnd := b.sampleCPU()
	r.orders, r.stops = int(orders.Load()), int(stops.Load())
	r.cpu = perIter(cpuStart, cpuEnd, r.orders)
	if capture {
		r.detail = b.capture(ctx, r.orders)
	}
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

var processedLine = regexp.MustCompile(`number of transactions actually processed: ([0-9]+)`)

// pgbenchResult is a run of checkout-full: its tps, its transactions (W1
// iterations) and their CPU (PostgreSQL's over the run, pgbench's own as
// the load generator).
type pgbenchResult struct {
	tps    float64
	iters  int
	cpu    cpuPerIter
	detail *detail
}

// pgbench runs checkout-full at concurrency c for the W1 duration (no
// warm-up, as pgbench has none); with capture it also reads
// pg_stat_statements and the counters over the run.
func (b *bench) pgbench(ctx context.Context, c int, capture bool) (pgbenchResult, error) {
	var r pgbenchResult
	u, err := url.Parse(b.url)
	if err != nil {
		return r, err
	}
	var variants bool
	if err := b.db.SQL.QueryRowContext(ctx, `SELECT to_regclass('variants') IS NOT NULL`).Scan(&variants); err != nil {
		return r, err
	}
	text := pgbenchScript
	if variants {
		text = pgbenchVariantsScript
	}
	script := filepath.Join(os.TempDir(), "shop-checkout-full.pgbench.sql")
	if err := os.WriteFile(script, text, 0o644); err != nil {
		return r, err
	}
	args := []string{"-h", u.Hostname(), "-p", orDefault(u.Port(), "5432"), "-U", u.User.Username(), "-n", "-M", "prepared",
		"-c", strconv.Itoa(c), "-j", "2", "-T", strconv.Itoa(int(b.opt.duration.Seconds())), "-D", "cnt=0", "-f", script,
		strings.TrimPrefix(u.Path, "/")}
	if capture {
		b.resetCounters(ctx)
		b.resetStatements(ctx)
	}
	cpuStart := cpuSample{pg: pgCPU(b.pg.pm)}
	cmd := exec.CommandContext(ctx, "pgbench", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return r, fmt.Errorf("pgbench: %v\n%s", err, out)
	}
	// Its backends exit as it disconnects; the postmaster reaps them.
	time.Sleep(200 * time.Millisecond)
	cpuEnd := cpuSample{pg: pgCPU(b.pg.pm), gen: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	m, n := tpsLine.FindSubmatch(out), processedLine.FindSubmatch(out)
	if m == nil || n == nil {
		return r, fmt.Errorf("pgbench: no tps in\n%s", out)
	}
	if r.tps, err = strconv.ParseFloat(string(m[1]), 64); err != nil {
		return r, err
	}
	if r.iters, err = strconv.Atoi(string(n[1])); err != nil {
		return r, err
	}
	r.cpu = perIter(cpuStart, cpuEnd, r.iters)
	if capture {
		r.detail = b.capture(ctx, r.iters)
	}
	return r, nil
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
