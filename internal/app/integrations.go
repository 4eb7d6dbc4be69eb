package app

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"shop/internal/config"
	"shop/internal/database"
	"shop/internal/events"
	"shop/modules/integrations"
)

// configureEvents gives the event hooks the store currency and the
// low-stock threshold of cfg.
func configureEvents(cfg config.Config) {
	events.Configure(events.Settings{Currency: cfg.Currency, LowStockThreshold: cfg.LowStockThreshold})
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
	configureEvents(cfg)
	return integrations.NewRunner(integrationOptions(cfg, db, logger, reg), true)
}
