package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"shop/ent"
	"shop/modules/identity"
)

// runWebhooks measures what a webhook costs the checkout: W1 twice in one
// sitting against the same binary, on the same database — with no webhook
// endpoint, then with one endpoint subscribed to order.created pointing at
// a loopback receiver run here — next to pgbench's raw-SQL limit, for each
// worker poll interval of o.polls (one `shop serve` with workers per
// interval, SHOP_WEBHOOK_ALLOW_PRIVATE=true). The receiver verifies every
// delivery's Standard Webhooks signature with the reference library and
// measures commit→delivery latency as its arrival time minus the event's
// created_at (taken when the order is written, inside the checkout's
// transaction, a few ms before COMMIT).
func runWebhooks(ctx context.Context, o options) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	servers, err := parseServers(o.servers)
	if err != nil {
		return err
	}
	bin := servers[len(servers)-1] // the binary measured
	b := &bench{opt: o, cfg: cfg}
	maxC := 0
	for _, c := range o.conc {
		maxC = max(maxC, c)
	}
	pg, err := startPostgres(ctx, o.pg)
	if err != nil {
		return err
	}
	defer pg.stop()
	b.pg = pg
	drop, err := benchDB(ctx, pg.adminURL, bin, cfg)
	if err != nil {
		return err
	}
	defer drop()
	b.use(bin)
	if err := b.setup(ctx, maxC); err != nil {
		return err
	}
	adminToken, err := b.admin(ctx)
	if err != nil {
		return err
	}
	rcv := &receiver{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: rcv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	hookURL := "http://" + ln.Addr().String() + "/shop-events"
	b.http = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: maxC + 8, MaxConnsPerHost: maxC + 8}}

	host, _ := os.Hostname()
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("# loadbench webhooks %s on %s: %d cores, load %s, server pool SHOP_DB_MAX_OPEN_CONNS=%d, W1 %s + %s warm-up per run, receiver %s\n\n",
		time.Now().UTC().Format(time.RFC3339), host, runtime.NumCPU(), strings.Join(strings.Fields(string(load))[:3], " "), cfg.DBMaxOpenConns, o.duration, o.warmup, hookURL)

	type row struct {
		poll          time.Duration
		rep, c        int
		tps           float64
		none, hooked  w1Result
		orders        int
		d             deliveryStats
		loadBefore    string
		loadAfter     string
		drainDeadline bool
	}
	var rows []row
	for _, poll := range o.polls {
		srv := &server{label: bin.label, bin: bin.bin, db: bin.db, url: bin.url, env: []string{
			"SHOP_WORKERS=true", "SHOP_WEBHOOK_ALLOW_PRIVATE=true", "SHOP_WORKER_POLL_INTERVAL=" + poll.String(),
		}}
		if err := srv.start(ctx, bin.url, cfg.JWTSecret); err != nil {
			return err
		}
		b.use(srv)
		if poll == o.polls[0] {
			if err := b.webhookRoundTrips(ctx, adminToken, hookURL); err != nil {
				srv.stop()
				return err
			}
		}
		for rep := 1; rep <= o.reps; rep++ {
			for _, c := range o.conc {
				r := row{poll: poll, rep: rep, c: c, loadBefore: loadavg()}
				if err := b.resetWebhooks(ctx); err != nil {
					srv.stop()
					return err
				}
				full, err := b.pgbench(ctx, c, false)
				if err != nil {
					srv.stop()
					return err
				}
				r.tps = full.tps
				if err := b.resetWebhooks(ctx); err != nil {
					srv.stop()
					return err
				}
				if r.none, err = b.runW1(ctx, c, false); err != nil {
					srv.stop()
					return err
				}
				if err := b.sanity(ctx, r.none.ok); err != nil {
					srv.stop()
					return fmt.Errorf("W1 C=%d no endpoint: %w", c, err)
				}
				if err := b.resetWebhooks(ctx); err != nil {
					srv.stop()
					return err
				}
				hookID, secret, err := b.subscribe(ctx, adminToken, hookURL)
				if err != nil {
					srv.stop()
					return err
				}
				if err := rcv.reset(secret); err != nil {
					srv.stop()
					return err
				}
				if r.hooked, err = b.runW1(ctx, c, false); err != nil {
					srv.stop()
					return err
				}
				if err := b.sanity(ctx, r.hooked.ok); err != nil {
					srv.stop()
					return fmt.Errorf("W1 C=%d one endpoint: %w", c, err)
				}
				r.orders = r.hooked.ok
				// Every order's event is delivered once (at-least-once:
				// duplicates would share a webhook-id and are counted).
				deadline := time.Now().Add(max(2*time.Minute, 4*(o.duration+o.warmup)))
				for rcv.unique() < r.orders && time.Now().Before(deadline) {
					time.Sleep(100 * time.Millisecond)
				}
				r.drainDeadline = rcv.unique() < r.orders
				r.d = rcv.stats(r.hooked)
				r.loadAfter = loadavg()
				if _, _, err := b.do(ctx, http.MethodDelete, adminToken, fmt.Sprintf("/api/v1/admin/webhooks/%d", hookID), nil); err != nil {
					srv.stop()
					return err
				}
				rows = append(rows, r)
				fmt.Fprintf(os.Stderr, "loadbench webhooks: poll %s C=%d done (load %s → %s)\n", poll, c, r.loadBefore, r.loadAfter)
			}
		}
		srv.stop()
	}

	fmt.Println("| poll | rep | C | pgbench full tps | W1 no endpoint iter/s (÷ pgbench) | W1 one endpoint iter/s (÷ pgbench) | endpoint ÷ none | checkout p50 / p99 ms none / endpoint | server CPU ms/iter none / endpoint | load 1 min before → after |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		ratio := 0.0
		if r.none.rate > 0 {
			ratio = r.hooked.rate / r.none.rate
		}
		fmt.Printf("| %s | %d | %d | %.0f | %.0f (%.2f) | %.0f (%.2f) | %.2f | %.1f / %.1f — %.1f / %.1f | %.2f / %.2f | %s → %s |\n",
			r.poll, r.rep, r.c, r.tps, r.none.rate, r.none.rate/r.tps, r.hooked.rate, r.hooked.rate/r.tps, ratio,
			r.none.p50, r.none.p99, r.hooked.p50, r.hooked.p99, r.none.cpu.shop, r.hooked.cpu.shop, r.loadBefore, r.loadAfter)
	}
	fmt.Println()
	fmt.Println("| poll | rep | C | orders | deliveries (duplicates) | signatures verified | commit→delivery p50 / p99 s, orders of the window (under W1 load) | p50 / p99 / max s, all orders | last delivery after W1 ended s | deliveries/s (orders/s) |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		note := ""
		if r.drainDeadline {
			note = " (gave up waiting)"
		}
		fmt.Printf("| %s | %d | %d | %d | %d%s (%d) | %d / %d | %.2f / %.2f (%d) | %.2f / %.2f / %.2f | %.1f | %.0f (%.0f) |\n",
			r.poll, r.rep, r.c, r.orders, r.d.unique, note, r.d.dups, r.d.verified, r.d.received,
			r.d.windowP50, r.d.windowP99, r.d.windowN, r.d.allP50, r.d.allP99, r.d.allMax, r.d.drain.Seconds(),
			r.d.rate, float64(r.orders)/(o.warmup+o.duration).Seconds())
	}
	return nil
}

// webhookRoundTrips prints the statements of one W1 iteration with no
// endpoint and with one subscribed to order.created (roundTrips: an
// in-process server on a counting pool, no workers).
func (b *bench) webhookRoundTrips(ctx context.Context, adminToken, hookURL string) error {
	if err := b.exec(ctx, `DELETE FROM webhooks`); err != nil {
		return err
	}
	fmt.Print("No endpoint. ")
	if err := b.roundTrips(ctx); err != nil {
		return err
	}
	id, _, err := b.subscribe(ctx, adminToken, hookURL)
	if err != nil {
		return err
	}
	fmt.Print("One endpoint on order.created. ")
	if err := b.roundTrips(ctx); err != nil {
		return err
	}
	_, _, err = b.do(ctx, http.MethodDelete, adminToken, fmt.Sprintf("/api/v1/admin/webhooks/%d", id), nil)
	return err
}

func loadavg() string {
	raw, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// resetWebhooks is resetW1 with River's jobs (events, deliveries) gone too
// and no webhook left.
func (b *bench) resetWebhooks(ctx context.Context) error {
	if err := b.exec(ctx, `DELETE FROM webhooks`, `TRUNCATE river_job`); err != nil {
		return err
	}
	return b.resetW1(ctx)
}

// admin adds an administrator to the bench users and returns its token.
func (b *bench) admin(ctx context.Context) (string, error) {
	var id int
	if err := b.db.SQL.QueryRowContext(ctx, `INSERT INTO users (email, password_hash, name, role, created_at, updated_at)
		VALUES ('admin@bench.example', '-', 'Admin', 'admin', now(), now()) RETURNING id`).Scan(&id); err != nil {
		return "", fmt.Errorf("admin: %w", err)
	}
	tokens := &identity.Tokens{Secret: []byte(b.cfg.JWTSecret), TTL: 24 * time.Hour}
	return tokens.Issue(&ent.User{ID: id, Role: "admin"})
}

// subscribe creates the webhook endpoint on order.created through the API
// and returns its id and signing secret.
func (b *bench) subscribe(ctx context.Context, token, url string) (int, string, error) {
	st, out, err := b.do(ctx, http.MethodPost, token, "/api/v1/admin/webhooks", map[string]any{
		"url": url, "events": []string{"order.created"}, "description": "loadbench receiver",
	})
	if err != nil {
		return 0, "", err
	}
	if st != http.StatusCreated {
		return 0, "", fmt.Errorf("create webhook: status %d: %s", st, out)
	}
	var w struct {
		ID     int    `json:"id"`
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(out, &w); err != nil {
		return 0, "", err
	}
	return w.ID, w.Secret, nil
}

// receiver is the webhook endpoint: it verifies each delivery's signature
// (Standard Webhooks reference library) and keeps, per webhook-id, the
// event's created_at and the first arrival.
type receiver struct {
	mu       sync.Mutex
	wh       *standardwebhooks.Webhook
	first    map[string]arrival
	received int // every POST, duplicates included
	verified int
	dups     int
}

type arrival struct{ created, at time.Time }

func (r *receiver) reset(secret string) error {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.wh, r.first, r.received, r.verified, r.dups = wh, map[string]arrival{}, 0, 0, 0
	return nil
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var ev struct {
		ID        string    `json:"id"`
		Type      string    `json:"type"`
		CreatedAt time.Time `json:"created_at"`
	}
	_ = json.Unmarshal(body, &ev)
	id := req.Header.Get("webhook-id")
	r.mu.Lock()
	defer r.mu.Unlock()
	r.received++
	if r.wh == nil {
		w.WriteHeader(http.StatusGone)
		return
	}
	if err := r.wh.Verify(body, req.Header); err != nil || id == "" || id != ev.ID || ev.Type != "order.created" {
		// Counted as received, not verified; answered 400 so the shop
		// retries (and the run shows the mismatch).
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.verified++
	if _, dup := r.first[id]; dup {
		r.dups++
	} else {
		r.first[id] = arrival{created: ev.CreatedAt, at: at}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) unique() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.first)
}

type deliveryStats struct {
	unique, dups, received, verified, windowN    int
	windowP50, windowP99, allP50, allP99, allMax float64 // seconds
	drain                                        time.Duration
	rate                                         float64 // deliveries/s, first to last arrival
}

// stats summarises the deliveries of a W1 run: latency of the events of
// orders committed in w's window (the load was on), of all, and how long
// after the run the last one arrived.
func (r *receiver) stats(w w1Result) deliveryStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := deliveryStats{unique: len(r.first), dups: r.dups, received: r.received, verified: r.verified}
	var window, all []float64
	var first, last time.Time
	for _, a := range r.first {
		if first.IsZero() || a.at.Before(first) {
			first = a.at
		}
		s := a.at.Sub(a.created).Seconds()
		all = append(all, s)
		if !a.created.Before(w.start) && a.created.Before(w.end) {
			window = append(window, s)
		}
		if a.at.After(last) {
			last = a.at
		}
	}
	d.windowN = len(window)
	d.windowP50, d.windowP99 = percentile(window, 0.50), percentile(window, 0.99)
	d.allP50, d.allP99, d.allMax = percentile(all, 0.50), percentile(all, 0.99), percentile(all, 1)
	if !last.IsZero() {
		d.drain = last.Sub(w.end)
	}
	if span := last.Sub(first).Seconds(); span > 0 {
		d.rate = float64(d.unique-1) / span
	}
	return d
}
