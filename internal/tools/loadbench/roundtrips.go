package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"

	entsql "entgo.io/ent/dialect/sql"

	"shop/ent"
	"shop/internal/app"
	"shop/internal/database"
)

// roundTrips serves one W1 iteration from an in-process server whose Ent
// client counts statements, and prints the statements per request (BEGIN
// and COMMIT included) of this checkout of the code.
func (b *bench) roundTrips(ctx context.Context) error {
	if err := b.resetW1(ctx); err != nil {
		return err
	}
	drv := &database.CountingDriver{Driver: entsql.OpenDB(b.db.Dialect, b.db.SQL)}
	counted := *b.db
	counted.Client = ent.NewClient(ent.Driver(drv))
	srv := app.NewServer(b.cfg, &counted, slog.New(slog.NewJSONHandler(io.Discard, nil)))
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
	total := 0
	var adds []int
	for _, p := range []int{7, 42, 99} {
		n, err := count("/api/v1/cart/items", map[string]int{"product_id": p, "quantity": 2})
		if err != nil {
			return err
		}
		adds = append(adds, n)
		total += n
	}
	co, err := count("/api/v1/checkout", nil)
	if err != nil {
		return err
	}
	total += co
	fmt.Printf("Round trips (statements incl. BEGIN/COMMIT, counting driver): POST /cart/items %v, POST /checkout %d, one W1 iteration %d (checkout-full.pgbench.sql: 3 + 10 = 13)\n\n", adds, co, total)
	return nil
}
