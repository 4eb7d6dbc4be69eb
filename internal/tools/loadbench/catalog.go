package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"shop/ent"
	"shop/internal/app"
	"shop/internal/config"
	"shop/internal/database"
	"shop/internal/migrate"
	"shop/internal/page"
	"shop/internal/testdb"
	"shop/modules/catalog"
)

// catalogOptions size the catalog-at-scale run.
type catalogOptions struct {
	products int    // rows seeded
	reqs     int    // requests per figure (p50/p99)
	deepPage int    // the page compared with page 1
	dbName   string // reuse (and keep) this database; empty: a throwaway one
	explain  bool   // print EXPLAIN (ANALYZE, BUFFERS) of every query
}

// seedCatalog fills products with n rows in one INSERT … SELECT
// generate_series (indexes dropped first and rebuilt after, as a bulk load
// should): 20 categories (5 roots with 3 sub-categories each), 95 % active,
// names "<adjective> <noun> <i>" (noun "Phone" in 1 row of 10), the word
// "sturdy" in 1 description of 1000, and nothing that contains "zzzz".
func seedCatalog(ctx context.Context, db *sql.DB, n int) error {
	var have int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM products`).Scan(&have); err != nil {
		return err
	}
	if have == n {
		return nil
	}
	rows, err := db.QueryContext(ctx, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'products' AND indexname <> 'products_pkey'`)
	if err != nil {
		return err
	}
	var drops, creates []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return err
		}
		drops = append(drops, `DROP INDEX "`+name+`"`)
		creates = append(creates, def)
	}
	rows.Close()
	stmts := []string{`TRUNCATE cart_items, order_items, inventory_movements, idempotency_keys, audit_logs, orders, products, categories RESTART IDENTITY CASCADE`}
	for r := 1; r <= 5; r++ {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO categories (name, slug, created_at, updated_at) VALUES ('Root %d', 'root-%d', now(), now())`, r, r))
	}
	for r := 1; r <= 5; r++ {
		for c := 1; c <= 3; c++ {
			stmts = append(stmts, fmt.Sprintf(`INSERT INTO categories (name, slug, parent_id, created_at, updated_at) VALUES ('Sub %d.%d', 'sub-%d-%d', %d, now(), now())`, r, c, r, c, r))
		}
	}
	stmts = append(stmts, drops...)
	stmts = append(stmts, fmt.Sprintf(`INSERT INTO products (category_id, name, description, price, stock, is_active, version, created_at, updated_at)
		SELECT 1 + i %% 20,
		       (ARRAY['Red','Blue','Green','Small','Large','Classic','Modern','Smart','Quiet','Light'])[1 + i %% 10] || ' ' ||
		       (ARRAY['Phone','Lamp','Chair','Table','Kettle','Drill','Backpack','Watch','Speaker','Camera'])[1 + (i / 10) %% 10] || ' ' || i,
		       'Item ' || i || CASE WHEN i %% 1000 = 7 THEN ', sturdy and well made' ELSE ', made to last' END,
		       100 + (i::bigint * 7919) %% 100000, 1000, i %% 20 <> 0, 1,
		       timestamptz '2026-01-01' + i * interval '1 second', timestamptz '2026-01-01' + i * interval '1 second'
		FROM generate_series(1, %d) AS i`, n))
	stmts = append(stmts, stockOnVariants(false)...)
	stmts = append(stmts, creates...)
	// One transaction: a failed load leaves the indexes as they were.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("seed catalog: %.80s: %w", s, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `VACUUM ANALYZE products, variants, categories`)
	return err
}

// openCatalogDB returns the catalog database: the named one (created if
// missing, kept afterwards) or a throwaway one.
func openCatalogDB(ctx context.Context, name string) (string, func(), error) {
	if name == "" {
		return testdb.CreatePostgres(ctx, "shop_bench_catalog")
	}
	admin, err := sql.Open("pgx", testdb.PostgresAdminURL())
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	var exists bool
	if err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", nil, err
	}
	if !exists {
		if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
			return "", nil, err
		}
	}
	u, err := url.Parse(testdb.PostgresAdminURL())
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {}, nil
}

// capture records the SQL and arguments of every query (to EXPLAIN them).
type capture struct {
	entsqlDriver
	query string
	args  []any
}

type entsqlDriver = *entsql.Driver

func (c *capture) Query(ctx context.Context, query string, args, v any) error {
	c.query, c.args = query, args.([]any)
	return c.entsqlDriver.Query(ctx, query, args, v)
}

type figure struct {
	name   string
	params url.Values
}

// runCatalog seeds the catalog and measures the product list over HTTP.
func runCatalog(ctx context.Context, o catalogOptions) error {
	dbURL, drop, err := openCatalogDB(ctx, o.dbName)
	if err != nil {
		return err
	}
	defer drop()
	db, err := database.Open(dbURL, database.Options{MaxOpenConns: 20})
	if err != nil {
		return err
	}
	defer db.Close()
	dir, _ := migrate.Dir(db.Dialect)
	if _, err := migrate.Up(ctx, db.SQL, db.Dialect, dir); err != nil {
		return err
	}
	t0 := time.Now()
	if err := seedCatalog(ctx, db.SQL, o.products); err != nil {
		return err
	}
	fmt.Printf("\n## Catalog at scale: %d products (seeded/checked in %.1f s), PostgreSQL, over HTTP, %d requests per figure\n\n",
		o.products, time.Since(t0).Seconds(), o.reqs)
	cfg, err := config.Load(func(k string) string {
		if k == "SHOP_JWT_SECRET" {
			return "loadbench-secret-loadbench-secret"
		}
		return os.Getenv(k)
	})
	if err != nil {
		return err
	}
	srv := app.NewServer(cfg, db, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = srv.Serve(sctx, ln) }()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 60 * time.Second}

	var figs []figure
	for _, s := range []string{"-created_at", "created_at", "price", "-price", "name"} {
		figs = append(figs, figure{name: "sort=" + s, params: url.Values{"sort": {s}}})
	}
	figs = append(figs,
		figure{name: "category=root-1 (+3 sub-categories)", params: url.Values{"category": {"root-1"}}},
		figure{name: "category=sub-2-1 (leaf)", params: url.Values{"category": {"sub-2-1"}}},
		figure{name: "q=sturdy (selective)", params: url.Values{"q": {"sturdy"}}},
		figure{name: "q=Phone (common)", params: url.Values{"q": {"Phone"}}},
		figure{name: "q=zzzz (no match)", params: url.Values{"q": {"zzzz"}}},
	)
	fmt.Printf("| query | page 1 p50 / p99 ms | page %d p50 / p99 ms | ratio p50 page %d / page 1 |\n|---|---|---|---|\n", o.deepPage, o.deepPage)
	type plan struct{ name, sql string }
	var plans []plan
	for _, f := range figs {
		f.params.Set("limit", "20")
		deep, cursor, ratio := "–", "", "–"
		var qs []url.Values
		qs = append(qs, f.params)
		if !strings.HasPrefix(f.name, "q=") {
			cursor, err = walk(client, base, f.params, o.deepPage-1)
			if err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
			if cursor != "" {
				q := url.Values{}
				for k, v := range f.params {
					q[k] = v
				}
				q.Set("cursor", cursor)
				qs = append(qs, q)
			}
		}
		// Page 1 and the deep page alternate, so the machine's noise falls
		// on both alike.
		lat, err := timeRequests(client, base, qs, o.reqs)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		p1 := lat[0]
		if len(lat) > 1 {
			deep = fmt.Sprintf("%.1f / %.1f", lat[1].p50, lat[1].p99)
			ratio = fmt.Sprintf("%.2f", lat[1].p50/p1.p50)
		}
		fmt.Printf("| %s | %.1f / %.1f | %s | %s |\n", f.name, p1.p50, p1.p99, deep, ratio)
		if o.explain {
			for i, c := range []string{"", cursor} {
				if i == 1 && c == "" {
					continue
				}
				text, err := explain(ctx, db, f.params, c)
				if err != nil {
					return fmt.Errorf("explain %s: %w", f.name, err)
				}
				name := f.name + ", page 1"
				if i == 1 {
					name = fmt.Sprintf("%s, page %d", f.name, o.deepPage)
				}
				plans = append(plans, plan{name, text})
			}
		}
	}
	for _, p := range plans {
		fmt.Printf("\n### %s\n\n```\n%s```\n", p.name, p.sql)
	}
	return nil
}

type latency struct{ p50, p99 float64 }

func timeRequests(client *http.Client, base string, qs []url.Values, n int) ([]latency, error) {
	ms := make([][]float64, len(qs))
	for i := 0; i < n; i++ {
		for j, q := range qs {
			t0 := time.Now()
			if _, err := getPage(client, base, q); err != nil {
				return nil, err
			}
			ms[j] = append(ms[j], float64(time.Since(t0).Microseconds())/1000)
		}
	}
	out := make([]latency, len(qs))
	for j := range qs {
		out[j] = latency{percentile(ms[j], 0.50), percentile(ms[j], 0.99)}
	}
	return out, nil
}

func getPage(client *http.Client, base string, q url.Values) (string, error) {
	res, err := client.Get(base + "/api/v1/products?" + q.Encode())
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var body struct {
		NextCursor *string `json:"next_cursor"`
	}
	if res.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(res.Body)
		return "", fmt.Errorf("status %d: %s", res.StatusCode, raw)
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		return "", err
	}
	if body.NextCursor == nil {
		return "", nil
	}
	return *body.NextCursor, nil
}

// walk follows next_cursor pages times and returns the cursor reached.
func walk(client *http.Client, base string, q url.Values, pages int) (string, error) {
	cur := url.Values{}
	for k, v := range q {
		cur[k] = v
	}
	c := ""
	for i := 0; i < pages; i++ {
		next, err := getPage(client, base, cur)
		if err != nil || next == "" {
			return "", err
		}
		c = next
		cur.Set("cursor", c)
	}
	return c, nil
}

// explain runs the product list's query for the parameters through the
// catalog service on a capturing driver, then EXPLAIN (ANALYZE, BUFFERS)
// of exactly that SQL.
func explain(ctx context.Context, db *database.DB, q url.Values, cursor string) (string, error) {
	sortName := q.Get("sort")
	if sortName == "" {
		sortName = "-created_at"
	}
	s := catalog.ProductSorts[sortName]
	p, errs := page.Parse(q.Get("limit"), cursor, s)
	if len(errs) > 0 {
		return "", fmt.Errorf("%v", errs)
	}
	svc := &catalog.Service{Dialect: db.Dialect}
	f := catalog.ProductFilter{Query: q.Get("q")}
	if slug := q.Get("category"); slug != "" {
		ids, err := svc.Descendants(ctx, db.Client, slug)
		if err != nil {
			return "", err
		}
		f.CategoryIDs = ids
	}
	cap := &capture{entsqlDriver: entsql.OpenDB(db.Dialect, db.SQL)}
	if _, err := svc.ListProducts(ctx, ent.NewClient(ent.Driver(cap)), f, s, p); err != nil {
		return "", err
	}
	rows, err := db.SQL.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+cap.query, cap.args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	b.WriteString(cap.query + "\n\n")
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		b.WriteString(line + "\n")
	}
	return b.String(), rows.Err()
}
