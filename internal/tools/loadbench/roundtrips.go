package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"

	"shop/internal/app"
	"shop/internal/database"
)

// roundTrips serves one W1 iteration from an in-process server on a pool
// that counts every statement below database/sql (database.OpenCounting:
// Ent's and River's event INSERT alike), and prints the statements per
// request (BEGIN and COMMIT included) of this checkout of the code.
func (b *bench) roundTrips(ctx context.Context) error {
	if err := b.resetW1(ctx); err != nil {
		return err
	}
	counted, drv, err := database.OpenCounting(b.url, database.Options{MaxOpenConns: 4})
	if err != nil {
		return err
	}
	defer counted.Close()
	srv := app.NewServer(b.cfg, counted, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = srv.Serve(sctx, ln) }()
	prev := b.srv
	b.srv = &server{base: "http://" + ln.Addr().String()}
	defer func() { b.srv = prev }()

	tok := b.tokens[1]
	count := func(path string, body any) (int, error) {
		before := drv.N.Load()
		st, out, err := b.post(ctx, tok, path, body)
		if err != nil {
			return 0, err
		}
		if st != http.StatusCreated {
			return 0, fmt.Errorf("%s: status %d: %s", path, st, out)
		}
		return int(drv.N.Load() - before), nil
	}
	// Two iterations: River's first event INSERT in a process also reads
	// the server's version (once) and sends a pg_notify (at most once an
	// hour), so the first checkout may cost two more; the second is the
	// steady state.
	var (
		total, co, first int
		adds             []int
	)
	for i := range 2 {
		total, adds = 0, nil
		for _, p := range []int{7, 42, 99} {
			n, err := count("/api/v1/cart/items", map[string]int{"product_id": p, "quantity": 2})
			if err != nil {
				return err
			}
			adds = append(adds, n)
			total += n
		}
		n, err := count("/api/v1/checkout", nil)
		if err != nil {
			return err
		}
		co = n
		total += co
		if i == 0 {
			first = co
		}
	}
	fmt.Printf("Round trips (statements incl. BEGIN/COMMIT and the event INSERT, counted below database/sql): POST /cart/items %v, POST /checkout %d (the first of this run: %d), one W1 iteration %d (checkout-full.pgbench.sql: 3 + 10 = 13)\n\n", adds, co, first, total)
	return nil
}
