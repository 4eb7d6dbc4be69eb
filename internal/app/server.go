package app

import (
	"context"
	"log/slog"

	"github.com/labstack/echo/v4"

	"shop/internal/config"
	"shop/internal/database"
	"shop/internal/httpserver"
	"shop/internal/migrate"
	"shop/internal/ratelimit"
	shopadmin "shop/modules/admin"
	"shop/modules/admin/graph"
	"shop/modules/cart"
	"shop/modules/catalog"
	"shop/modules/identity"
	"shop/modules/integrations"
	"shop/modules/inventory"
	"shop/modules/ordering"
	"shop/modules/pricing"
)

// NewServer returns the shop's HTTP server: the platform of httpserver
// (middleware, problem documents, graceful shutdown) with the modules'
// handlers on the routes of routes.go, the one place that lists the whole
// HTTP surface.
func NewServer(cfg config.Config, db *database.DB, logger *slog.Logger) *httpserver.Server {
	srv := httpserver.New(httpserver.Options{
		Logger:          logger,
		DB:              db.SQL,
		Pending:         func(ctx context.Context) (int, error) { return migrate.PendingCount(ctx, db.SQL, db.Dialect) },
		ShutdownTimeout: cfg.ShutdownTimeout,
		RequestTimeout:  cfg.RequestTimeout,
		TrustProxy:      cfg.TrustProxy,
		CORSOrigins:     cfg.CORSOrigins,
	})
	svc := NewServices(cfg, db.Dialect)
	run := NewRunner(cfg, db)
	tokens := &identity.Tokens{Secret: []byte(cfg.JWTSecret), TTL: cfg.TokenTTL}

	// Integrations: API keys (checked by tokens.Authenticate), webhooks and
	// the delivery log (read through a River client that works no jobs).
	tokens.Keys = integrations.KeyVerifier{DB: db.Client}
	opts := integrationOptions(cfg, db, logger, nil)
	deliveries, err := integrations.NewRunner(opts, false)
	if err != nil {
		logger.Error("webhook delivery log unavailable", slog.String("err", err.Error()))
	}

	// Login, register and failed credentials spend one budget per client.
	perIP := ratelimit.For(db.SQL, db.Dialect, cfg.AuthRateLimit)
	tokens.Failures = perIP

	catalogHTTP := &catalog.HTTP{Svc: svc.Catalog, DB: db.Client, Tx: run, Currency: cfg.Currency}
	addRoutes(srv.Echo, handlers{
		ops: srv,
		identity: &identity.HTTP{
			Svc: svc.Identity, Tokens: tokens, DB: db.Client,
			PerIP:    perIP,
			PerEmail: ratelimit.For(db.SQL, db.Dialect, cfg.AuthRateLimit),
		},
		catalog:   catalogHTTP,
		inventory: &inventory.HTTP{Svc: svc.Inventory, DB: db.Client, Tx: run, Products: catalogHTTP},
		cart: &cart.HTTP{Svc: svc.Cart, DB: db.Client, Tx: run, Currency: cfg.Currency, Codes: svc.Pricing,
			Refused: ratelimit.For(db.SQL, db.Dialect, cfg.DiscountRateLimit)},
		pricing:  &pricing.HTTP{Svc: svc.Pricing, DB: db.Client, Tx: run},
		ordering: ordering.NewHTTP(svc.Ordering, run, srv.Registry),
		reports:  &ordering.ReportHTTP{Svc: svc.Ordering, DB: db.Client, Dialect: db.Dialect},
		auditLog: &shopadmin.AuditLogHTTP{DB: db.Client},
		integrations: &integrations.HTTP{DB: db.Client, Tx: run, Runner: deliveries,
			Webhooks: integrations.Webhooks{Guard: opts.Guard}},
		graphql: shopadmin.ServeGraphQL(shopadmin.NewGraphQL(&graph.Resolver{Client: db.Client, Catalog: svc.Catalog,
			Inventory: svc.Inventory, Ordering: svc.Ordering, Pricing: svc.Pricing, DeliveryLog: deliveries, StoreCurrency: cfg.Currency}, run, logger)),
		authenticate: tokens.Authenticate,
		requireAdmin: identity.RequireAdmin(db.Client),
	})
	return srv
}

// handlers are what routes.go mounts: each module's handlers and the
// middleware that decides who may call them.
type handlers struct {
	ops          *httpserver.Server
	identity     *identity.HTTP
	catalog      *catalog.HTTP
	inventory    *inventory.HTTP
	cart         *cart.HTTP
	ordering     *ordering.HTTP
	reports      *ordering.ReportHTTP
	pricing      *pricing.HTTP
	auditLog     *shopadmin.AuditLogHTTP
	integrations *integrations.HTTP
	graphql      echo.HandlerFunc
	// authenticate reads the bearer token (a JWT or an API key) when one is
	// sent; requireAdmin reads the caller's current role on every request.
	authenticate, requireAdmin echo.MiddlewareFunc
}
