package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"

	"shop/internal/app"
	"shop/internal/config"
)

func serveFlags(fs *flag.FlagSet) func(context.Context, deps) error {
	migrateFirst := fs.Bool("migrate", false, "apply pending migrations before serving")
	return func(ctx context.Context, e deps) error { return serve(ctx, e.cfg, e.logger, *migrateFirst) }
}

func serve(ctx context.Context, cfg config.Config, logger *slog.Logger, migrateFirst bool) error {
	if migrateFirst {
		// Migrations run on their own pool, without the serving pool's
		// statement_timeout.
		mdb, err := openDB(cfg)
		if err != nil {
			return err
		}
		applied, err := migrateUp(ctx, mdb)
		_ = mdb.Close()
		if err != nil {
			return err
		}
		for _, v := range applied {
			logger.Info("migration applied", slog.String("version", v))
		}
	}
	db, err := openServingDB(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := pendingMigrations(db)(ctx)
	if err != nil {
		return fmt.Errorf("read migration status: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("%d migrations are pending: run `shop migrate up` or `shop serve --migrate`", n)
	}
	if cfg.JWTSecret == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		cfg.JWTSecret = hex.EncodeToString(b)
		logger.Warn("SHOP_JWT_SECRET is not set: using a random secret; tokens will not survive a restart or work across replicas")
	}
	if cfg.DebugAddr != "" {
		if _, err := serveDebug(ctx, cfg.DebugAddr, logger); err != nil {
			return fmt.Errorf("SHOP_DEBUG_ADDR: %w", err)
		}
	}
	srv := app.NewServer(cfg, db, logger)
	if cfg.Workers {
		stop, err := startWorkers(ctx, cfg, db, logger, srv.Registry)
		if err != nil {
			return err
		}
		defer stop()
	}
	return srv.Run(ctx, cfg.Addr, slog.String("database", db.Dialect), slog.Bool("workers", cfg.Workers))
}
