package app

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"shop/internal/config"
	"shop/internal/database"
	"shop/internal/events"
	"shop/modules/integrations"
)

// NewRunner returns the transaction runner every write of the shop goes
// through (REST, GraphQL, the command line), its events built with the
// store currency and low-stock threshold of cfg.
func NewRunner(cfg config.Config, db *database.DB) *database.Runner {
	run, err := database.NewRunner(db.Client, events.Settings{Currency: cfg.Currency, LowStockThreshold: cfg.LowStockThreshold})
	if err != nil {
		// Only an unknown dialect or River refusing its fixed
		// configuration fails here: a programming error, not an input.
		panic(err)
	}
	return run
}

func integrationOptions(cfg config.Config, db *database.DB, logger *slog.Logger, reg prometheus.Registerer) integrations.Options {
	return integrations.Options{
		DB: db.Client, SQL: db.SQL, Dialect: db.Dialect, Logger: logger, Registry: reg,
		Guard: integrations.Guard{AllowPrivate: cfg.WebhookAllowPrivate},
		Backoff: integrations.Backoff{
			Base: cfg.WebhookBackoffBase, Cap: cfg.WebhookBackoffCap, Window: cfg.WebhookRetryWindow,
		},
		PollInterval: cfg.WorkerPollInterval,
		MaxWorkers:   cfg.WorkerConcurrency,
	}
}

// NewWorkers returns the River runner that works the event and webhook
// delivery jobs (`shop serve` unless SHOP_WORKERS=false, and `shop
// worker`); reg, if set, gets its metrics. The caller starts and stops it.
func NewWorkers(cfg config.Config, db *database.DB, logger *slog.Logger, reg prometheus.Registerer) (*integrations.Runner, error) {
	return integrations.NewRunner(integrationOptions(cfg, db, logger, reg), true)
}
