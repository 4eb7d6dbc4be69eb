package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"shop/internal/app"
	"shop/internal/config"
	"shop/internal/database"
)

// startWorkers starts the River workers (webhook deliveries) and returns
// the function that stops them: running deliveries get the shutdown
// timeout to finish, and whatever is cut short is retried by River later.
func startWorkers(ctx context.Context, cfg config.Config, db *database.DB, logger *slog.Logger, reg prometheus.Registerer) (func(), error) {
	runner, err := app.NewWorkers(cfg, db, logger, reg)
	if err != nil {
		return nil, err
	}
	// The workers outlive ctx (cancelled on SIGTERM) until stop is called,
	// so in-flight deliveries finish while HTTP drains.
	if err := runner.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("start workers: %w", err)
	}
	logger.Info("workers started")
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		if err := runner.Stop(sctx); err != nil {
			logger.Warn("workers stopped before their jobs finished", slog.String("err", err.Error()))
		}
	}, nil
}

func workerFlags(*flag.FlagSet) func(context.Context, deps) error {
	return func(ctx context.Context, e deps) error { return workerCmd(ctx, e.cfg, e.logger) }
}

// workerCmd is `shop worker`: only the workers, no HTTP, until SIGTERM or
// SIGINT. It refuses to start with pending migrations, like serve.
func workerCmd(ctx context.Context, cfg config.Config, logger *slog.Logger) error {
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
		return fmt.Errorf("%d migrations are pending: run `shop migrate up`", n)
	}
	stop, err := startWorkers(ctx, cfg, db, logger, prometheus.NewRegistry())
	if err != nil {
		return err
	}
	<-ctx.Done()
	logger.Info("stopping workers")
	stop()
	return nil
}
