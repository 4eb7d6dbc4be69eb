package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"shop/internal/config"
	"shop/internal/database"
	"shop/internal/migrate"
)

func migrateCmd(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		return errors.New("usage: shop migrate up|status")
	}
	db, err := openDB(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "up" {
		applied, err := migrateUp(ctx, db)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(stdout, "migrations: nothing to apply, the database is up to date")
		}
		for _, v := range applied {
			fmt.Fprintf(stdout, "applied %s\n", v)
		}
		return nil
	}
	dir, err := migrate.Dir(db.Dialect)
	if err != nil {
		return err
	}
	st, err := migrate.GetStatus(ctx, db.SQL, db.Dialect, dir)
	if err != nil {
		return err
	}
	for _, a := range st.Applied {
		fmt.Fprintf(stdout, "applied  %s %s (%s)\n", a.Version, a.Description, a.ExecutedAt.UTC().Format(time.RFC3339))
	}
	for _, p := range st.Pending {
		fmt.Fprintf(stdout, "pending  %s\n", p)
	}
	fmt.Fprintf(stdout, "%d applied, %d pending\n", len(st.Applied), len(st.Pending))
	return nil
}

func migrateUp(ctx context.Context, db *database.DB) ([]string, error) {
	dir, err := migrate.Dir(db.Dialect)
	if err != nil {
		return nil, err
	}
	return migrate.Up(ctx, db.SQL, db.Dialect, dir)
}

// pendingMigrations counts the embedded migrations not applied to db.
func pendingMigrations(db *database.DB) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) { return migrate.PendingCount(ctx, db.SQL, db.Dialect) }
}
