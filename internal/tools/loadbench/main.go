// Command loadbench runs the checkout workloads W1 and W2 of
// ../shared/bench/WORKLOAD.md against the real HTTP server on PostgreSQL
// and, in the same sitting, the raw-SQL reference checkout-full adapted to
// the shop's schema (pgbench), and prints iterations/s, p50/p99 and the
// ratios. `make bench` runs it. Nothing here is asserted: it measures.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"shop/ent"
	"shop/internal/config"
	"shop/internal/database"
	"shop/internal/testdb"
	"shop/modules/identity"

	_ "shop/ent/runtime"
)

//go:embed checkout-full.shop.pgbench.sql
var pgbenchScript []byte

// pgbenchVariantsScript is the same reference on the schema since variants.
//
//go:embed checkout-full.variants.pgbench.sql
var pgbenchVariantsScript []byte

const usersPerWorker = 1000

type options struct {
	duration, warmup time.Duration
	conc             []int
	w2Workers        int
	reps             int
	servers          string
	pgbouncer        bool
	polls            []time.Duration // SHOP_WORKER_POLL_INTERVAL values of the webhooks run
	pg               string          // private (a cluster of our own) or shared
	top              int             // statements printed from pg_stat_statements
}

func main() {
	var (
		o    options
		conc string
	)
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "measurement window of W1 and pgbench")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "W1 warm-up before the window")
	flag.StringVar(&conc, "c", "8,32", "W1 concurrencies")
	flag.IntVar(&o.w2Workers, "w2", 64, "W2 workers")
	flag.IntVar(&o.reps, "reps", 1, "repetitions, interleaved")
	flag.StringVar(&o.servers, "shop", "", "shop binaries to compare in one sitting, label=path,… (each runs as its own process); empty: build ./cmd/shop")
	flag.StringVar(&o.pg, "pg", "private", "PostgreSQL: private (a cluster started by loadbench with WORKLOAD.md's settings and pg_stat_statements; its processes' CPU is measured from /proc) or shared (the server of SHOP_TEST_POSTGRES_URL, whose CPU includes others' load)")
	flag.IntVar(&o.top, "top", 15, "statements of pg_stat_statements printed per captured run (W1 at the first -c of the first repetition, checkout-full and each shop; W2 of the first repetition)")
	flag.BoolVar(&o.pgbouncer, "pgbouncer", true, "also run W1 through a private pgbouncer (transaction mode, SHOP_DB_POOLER=transaction) in front of the bench database; skipped with a message when pgbouncer is not installed")
	var (
		co    catalogOptions
		parts string
	)
	flag.StringVar(&parts, "run", "w,catalog", "what to run: w (W1, W2, round trips), catalog (catalog at scale), webhooks (W1 with no webhook endpoint and with one on order.created, a loopback receiver here, commit→delivery latency; not in the default)")
	polls := flag.String("poll", "1s,100ms", "webhooks: SHOP_WORKER_POLL_INTERVAL values, one shop serve (workers on) each")
	flag.IntVar(&co.products, "catalog-products", 1_000_000, "products seeded for the catalog run")
	flag.IntVar(&co.reqs, "catalog-reqs", 200, "requests per catalog figure (p50/p99)")
	flag.IntVar(&co.deepPage, "catalog-page", 500, "the deep page compared with page 1 (reached by walking the cursor)")
	flag.StringVar(&co.dbName, "catalog-db", "", "reuse and keep this database for the catalog run (seeded once); empty: a throwaway one")
	flag.BoolVar(&co.explain, "explain", false, "print EXPLAIN (ANALYZE, BUFFERS) of every catalog query")
	flag.Parse()
	for _, c := range strings.Split(conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadbench: -c:", err)
			os.Exit(2)
		}
		o.conc = append(o.conc, n)
	}
	for _, p := range strings.Split(*polls, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(p))
		if err != nil || d <= 0 {
			fmt.Fprintln(os.Stderr, "loadbench: -poll: want positive durations, got", p)
			os.Exit(2)
		}
		o.polls = append(o.polls, d)
	}
	for _, part := range strings.Split(parts, ",") {
		var err error
		switch part {
		case "w":
			err = run(context.Background(), o)
		case "catalog":
			err = runCatalog(context.Background(), co)
		case "webhooks":
			err = runWebhooks(context.Background(), o)
		default:
			err = fmt.Errorf("-run: unknown part %q", part)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadbench:", err)
			os.Exit(1)
		}
	}
}

type bench struct {
	opt    options
	url    string
	db     *database.DB
	srv    *server // the one being measured
	tokens []string
	http   *http.Client
	cfg    config.Config
	pg     *pgServer
}

func run(ctx context.Context, o options) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	servers, err := parseServers(o.servers)
	if err != nil {
		return err
	}
	pg, err := startPostgres(ctx, o.pg)
	if err != nil {
		return err
	}
	defer pg.stop()
	b := &bench{opt: o, cfg: cfg, pg: pg}
	maxC := o.w2Workers
	for _, c := range o.conc {
		maxC = max(maxC, c)
	}
	// Each binary gets its own database, migrated by that binary (an older
	// binary refuses a database with migrations it does not know), with
	// the same users, so the same tokens work on all.
	for _, s := range servers {
		drop, err := benchDB(ctx, pg.adminURL, s, cfg)
		if err != nil {
			return err
		}
		defer drop()
		b.use(s)
		if err := b.setup(ctx, maxC); err != nil {
			return err
		}
		defer s.stop()
		if err := s.start(ctx, s.url, cfg.JWTSecret); err != nil {
			return err
		}
	}
	via, stopVia, err := startViaPgBouncer(ctx, o, servers[len(servers)-1], cfg)
	if err != nil {
		return err
	}
	defer stopVia()
	b.http = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: maxC + 8, MaxConnsPerHost: maxC + 8}}

	host, _ := os.Hostname()
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("# loadbench %s on %s: %d cores, load %s, server pool SHOP_DB_MAX_OPEN_CONNS=%d, locking %s\n\n",
		time.Now().UTC().Format(time.RFC3339), host, runtime.NumCPU(), strings.Join(strings.Fields(string(load))[:3], " "), cfg.DBMaxOpenConns, cfg.CheckoutLocking)
	fmt.Printf("# %s\n\n", pg.describe())
	b.use(servers[len(servers)-1])
	if err := b.roundTrips(ctx); err != nil {
		return err
	}
	type viaRow struct {
		rep, c         int
		direct, bounce w1Result
	}
	type cpuRow struct {
		rep, c int
		label  string
		rate   float64
		cpu    cpuPerIter
		ref    cpuPerIter // checkout-full's, same repetition and C
		isRef  bool
	}
	var (
		viaRows []viaRow
		cpuRows []cpuRow
		details []*detail
	)
	fmt.Println("| rep | C | server | W1 iter/s | checkout p50 / p99 ms | errors | server CPU ms / iter | pgbench full tps | ratio server/pgbench |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for rep := 1; rep <= o.reps; rep++ {
		for i, c := range o.conc {
			capture := rep == 1 && i == 0 && o.top > 0
			b.use(servers[len(servers)-1])
			if err := b.resetW1(ctx); err != nil {
				return err
			}
			full, err := b.pgbench(ctx, c, capture)
			if err != nil {
				return err
			}
			tps := full.tps
			cpuRows = append(cpuRows, cpuRow{rep: rep, c: c, label: "checkout-full (pgbench)", rate: tps, cpu: full.cpu, ref: full.cpu, isRef: true})
			if full.detail != nil {
				full.detail.title = fmt.Sprintf("W1 C=%d, checkout-full (pgbench)", c)
				details = append(details, full.detail)
			}
			measured := servers
			if via != nil {
				measured = append(measured[:len(measured):len(measured)], via)
			}
			var direct w1Result
			for _, s := range measured {
				b.use(s)
				if err := b.resetW1(ctx); err != nil {
					return err
				}
				w1, err := b.runW1(ctx, c, capture)
				if err != nil {
					return err
				}
				if err := b.sanity(ctx, w1.ok); err != nil {
					return fmt.Errorf("W1 C=%d %s: %w", c, s.label, err)
				}
				fmt.Printf("| %d | %d | %s | %.0f | %.1f / %.1f | %s | %.2f | %.0f | %.2f |\n", rep, c, s.label, w1.rate, w1.p50, w1.p99, w1.errors, w1.cpu.shop, tps, w1.rate/tps)
				cpuRows = append(cpuRows, cpuRow{rep: rep, c: c, label: s.label, rate: w1.rate, cpu: w1.cpu, ref: full.cpu})
				if w1.detail != nil {
					w1.detail.title = fmt.Sprintf("W1 C=%d, %s", c, s.label)
					details = append(details, w1.detail)
				}
				switch s {
				case servers[len(servers)-1]:
					direct = w1
				case via:
					viaRows = append(viaRows, viaRow{rep, c, direct, w1})
				}
			}
		}
	}
	if len(viaRows) > 0 {
		fmt.Println()
		fmt.Println("| rep | C | W1 direct iter/s | W1 via PgBouncer iter/s | ratio PgBouncer/direct | p50 / p99 ms direct | p50 / p99 ms via PgBouncer |")
		fmt.Println("|---|---|---|---|---|---|---|")
		for _, r := range viaRows {
			ratio := 0.0
			if r.direct.rate > 0 {
				ratio = r.bounce.rate / r.direct.rate
			}
			fmt.Printf("| %d | %d | %.0f | %.0f | %.2f | %.1f / %.1f | %.1f / %.1f |\n", r.rep, r.c, r.direct.rate, r.bounce.rate, ratio, r.direct.p50, r.direct.p99, r.bounce.p50, r.bounce.p99)
		}
	}
	fmt.Println()
	fmt.Println("CPU per W1 iteration, ms (PostgreSQL: the postmaster and all its children, live and reaped, from /proc; shop: the `shop serve` process;")
	fmt.Println("load generator: loadbench itself for the shop, the pgbench process for checkout-full; the shop over the measurement window,")
	fmt.Println("checkout-full over its whole run) and the ratios to checkout-full of the same repetition and C:")
	fmt.Println()
	fmt.Println("| rep | C | run | iter/s | PostgreSQL | shop | load generator | all | PostgreSQL ÷ checkout-full's | PostgreSQL + shop ÷ checkout-full's PostgreSQL | iter/s ÷ checkout-full's |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	refRate := 0.0
	for _, r := range cpuRows {
		if r.isRef {
			refRate = r.rate
			fmt.Printf("| %d | %d | %s | %.0f | %.2f | – | %.2f | %.2f | 1 | 1 | 1 |\n", r.rep, r.c, r.label, r.rate, r.cpu.pg, r.cpu.gen, r.cpu.pg+r.cpu.gen)
			continue
		}
		ratio := func(a, b float64) string {
			if b <= 0 {
				return "–"
			}
			return fmt.Sprintf("%.2f", a/b)
		}
		fmt.Printf("| %d | %d | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %s | %s | %s |\n", r.rep, r.c, r.label, r.rate, r.cpu.pg, r.cpu.shop, r.cpu.gen,
			r.cpu.pg+r.cpu.shop+r.cpu.gen, ratio(r.cpu.pg, r.ref.pg), ratio(r.cpu.pg+r.cpu.shop, r.ref.pg), ratio(r.rate, refRate))
	}
	fmt.Println()
	for _, d := range details {
		d.print(o.top)
	}
	details = details[:0]
	fmt.Println("| rep | server | W2 orders | final stock | oversold | sell-out s | orders/s | stops (409) | other errors | CPU ms / order: PostgreSQL, shop, load generator |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for rep := 1; rep <= o.reps; rep++ {
		for _, s := range servers {
			b.use(s)
			if err := b.resetW2(ctx); err != nil {
				return err
			}
			w2, err := b.runW2(ctx, rep == 1 && o.top > 0)
			if err != nil {
				return err
			}
			fmt.Printf("| %d | %s | %d (db %d) | %d | %v | %.2f | %.0f | %d | %s | %.2f, %.2f, %.2f |\n", rep, s.label, w2.orders, w2.dbOrders, w2.stock, w2.oversold, w2.sellOut.Seconds(), float64(w2.orders)/w2.sellOut.Seconds(), w2.stops, w2.errors, w2.cpu.pg, w2.cpu.shop, w2.cpu.gen)
			if err := b.sanity(ctx, w2.orders); err != nil {
				return fmt.Errorf("W2 %s: %w", s.label, err)
			}
			if w2.detail != nil {
				w2.detail.title = fmt.Sprintf("W2, %s (per order)", s.label)
				details = append(details, w2.detail)
			}
		}
	}
	fmt.Println()
	for _, d := range details {
		d.print(o.top)
	}
	return nil
}

// loadConfig is the shop's configuration from the environment, with the
// bench's JWT secret (loadbench mints the users' tokens).
func loadConfig() (config.Config, error) {
	return config.Load(func(k string) string {
		if k == "SHOP_JWT_SECRET" {
			return "loadbench-secret-loadbench-secret"
		}
		return os.Getenv(k)
	})
}

// benchDB creates s's bench database on the server of adminURL, migrated by s's own binary (an older
// binary refuses a database with migrations it does not know), and opens
// it as s.db; drop closes and drops it.
func benchDB(ctx context.Context, adminURL string, s *server, cfg config.Config) (drop func(), err error) {
	dbURL, dropDB, err := testdb.CreatePostgresOn(ctx, adminURL, "shop_bench")
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, s.bin, "migrate", "up")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	if out, err := cmd.CombinedOutput(); err != nil {
		dropDB()
		return nil, fmt.Errorf("%s migrate up: %v\n%s", s.label, err, out)
	}
	db, err := database.Open(dbURL, database.Options{MaxOpenConns: cfg.DBMaxOpenConns, MaxIdleConns: cfg.DBMaxIdleConns})
	if err != nil {
		dropDB()
		return nil, err
	}
	s.db, s.url = db, dbURL
	return func() { db.Close(); dropDB() }, nil
}

// use makes s the server measured, on its database.
func (b *bench) use(s *server) { b.srv, b.db, b.url = s, s.db, s.url }

// setup creates the category and a pool of users (usersPerWorker per
// worker), and mints their tokens: registration is not timed.
func (b *bench) setup(ctx context.Context, workers int) error {
	n := workers * usersPerWorker
	stmts := []string{
		`INSERT INTO categories (name, slug, created_at, updated_at) VALUES ('Bench', 'bench', now(), now())`,
		fmt.Sprintf(`INSERT INTO users (email, password_hash, name, role, created_at, updated_at)
			SELECT 'u' || i || '@bench.example', '-', 'U' || i, 'customer', now(), now() FROM generate_series(1, %d) i`, n),
	}
	for _, s := range stmts {
		if _, err := b.db.SQL.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	tokens := &identity.Tokens{Secret: []byte(b.cfg.JWTSecret), TTL: 24 * time.Hour}
	b.tokens = make([]string, n+1)
	for id := 1; id <= n; id++ {
		t, err := tokens.Issue(&ent.User{ID: id, Role: "customer"})
		if err != nil {
			return err
		}
		b.tokens[id] = t
	}
	return nil
}

func (b *bench) exec(ctx context.Context, stmts ...string) error {
	for _, s := range stmts {
		if _, err := b.db.SQL.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%.60s: %w", s, err)
		}
	}
	return nil
}

const truncate = `TRUNCATE cart_items, order_items, inventory_movements, idempotency_keys, audit_logs, orders, products RESTART IDENTITY CASCADE`

func (b *bench) resetW1(ctx context.Context) error {
	return b.seed(ctx,
		`INSERT INTO products (category_id, name, description, price, stock, is_active, version, created_at, updated_at)
		 SELECT 1, 'Product ' || i, 'Benchmark product number ' || i, i * 100 + 99, 10000000, true, 1, now(), now() FROM generate_series(1, 100) i`)
}

func (b *bench) resetW2(ctx context.Context) error {
	return b.seed(ctx,
		`INSERT INTO products (category_id, name, description, price, stock, is_active, version, created_at, updated_at)
		 VALUES (1, 'Hot Product', 'W2', 1999, 1000, true, 1, now(), now())`)
}

// seed empties the shop's tables, inserts the products, and records their
// stock: on one variant each with its initial movement (round 3's schema,
// where stock lives on variants and a trigger keeps the product's sum), or
// on the product with its movement (a round-2 binary's database, for
// before/after sittings with -shop).
func (b *bench) seed(ctx context.Context, products string) error {
	var variants bool
	if err := b.db.SQL.QueryRowContext(ctx, `SELECT to_regclass('variants') IS NOT NULL`).Scan(&variants); err != nil {
		return err
	}
	stmts := []string{truncate, products}
	if variants {
		stmts = append(stmts, stockOnVariants(true)...)
	} else {
		stmts = append(stmts, `INSERT INTO inventory_movements (product_id, quantity_change, reason, created_at) SELECT id, stock, 'initial', now() FROM products`)
	}
	return b.exec(ctx, append(stmts, `VACUUM ANALYZE`, `CHECKPOINT`)...)
}

// stockOnVariants puts the products' seeded stock on one variant each; the
// trigger adds a new variant's stock to its product's, so the product's sum
// is set once more from its variant. With movements, an initial movement per
// variant.
func stockOnVariants(movements bool) []string {
	stmts := []string{
		`INSERT INTO variants (created_at, updated_at, options, options_key, stock, is_active, version, product_id)
		 SELECT now(), now(), '{}', '[]', stock, true, 1, id FROM products ORDER BY id`,
		`UPDATE products AS p SET stock = v.stock FROM variants AS v WHERE v.product_id = p.id`,
	}
	if movements {
		stmts = append(stmts, `INSERT INTO inventory_movements (product_id, variant_id, quantity_change, reason, created_at)
		 SELECT product_id, id, stock, 'initial', now() FROM variants`)
	}
	return stmts
}

func (b *bench) post(ctx context.Context, token, path string, body any) (int, []byte, error) {
	return b.do(ctx, http.MethodPost, token, path, body)
}

func (b *bench) do(ctx context.Context, method, token, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.srv.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := b.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return res.StatusCode, out, err
}
