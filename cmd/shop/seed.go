package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"shop/ent"
	"shop/internal/app"
	"shop/internal/config"
)

func seedFlags(*flag.FlagSet) func(context.Context, deps) error {
	return func(ctx context.Context, e deps) error { return seedCmd(ctx, e.cfg, e.stdout) }
}

func seedCmd(ctx context.Context, cfg config.Config, stdout io.Writer) error {
	db, err := openDB(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := app.NewServices(cfg, db.Dialect)
	var created int
	err = app.NewRunner(cfg, db).Exec(ctx, func(ctx context.Context, db *ent.Client) (err error) {
		created, err = svc.Catalog.Seed(ctx, db)
		return err
	})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(stdout, "seed: %d rows created\n", created)
	return nil
}
