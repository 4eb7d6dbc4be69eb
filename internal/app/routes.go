package app

import (
	"context"
	"log/slog"

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
)

// NewServer returns the shop's HTTP server with every route: the one place
// that shows the whole HTTP surface.
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
	tokens := &identity.Tokens{Secret: []byte(cfg.JWTSecret), TTL: cfg.TokenTTL}
	e := srv.Echo
	e.GET("/openapi.yaml", serveOpenAPI)

	api := e.Group("/api/v1", tokens.Authenticate)
	requireAdmin := identity.RequireAdmin(db.Client)
	admin := api.Group("/admin", requireAdmin)

	(&identity.HTTP{
		Svc: svc.Identity, Tokens: tokens, DB: db.Client,
		PerIP:    ratelimit.For(db.SQL, db.Dialect, cfg.AuthRateLimit),
		PerEmail: ratelimit.For(db.SQL, db.Dialect, cfg.AuthRateLimit),
	}).Routes(api)
	catalogHTTP := &catalog.HTTP{Svc: svc.Catalog, DB: db.Client, Currency: cfg.Currency}
	catalogHTTP.Routes(api, admin)
	(&inventory.HTTP{Svc: svc.Inventory, DB: db.Client, Products: catalogHTTP}).Routes(admin)
	(&cart.HTTP{Svc: svc.Cart, DB: db.Client, Currency: cfg.Currency}).Routes(api)
	ordering.NewHTTP(svc.Ordering, db.Client, srv.Registry).Routes(api, admin)

	(&ordering.ReportHTTP{Svc: svc.Ordering, DB: db.Client, Dialect: db.Dialect}).Routes(admin)
	(&shopadmin.AuditLogHTTP{DB: db.Client}).Routes(admin)

	// Integrations: API keys (checked by tokens.Authenticate), webhooks and
	// the delivery log (read through a River client that works no jobs).
	configureEvents(cfg)
	tokens.Keys = integrations.KeyVerifier{DB: db.Client}
	deliveries, err := integrations.NewRunner(integrationOptions(cfg, db, logger, nil), false)
	if err != nil {
		logger.Error("webhook delivery log unavailable", slog.String("err", err.Error()))
	}
	(&integrations.HTTP{DB: db.Client, Webhooks: integrations.Webhooks{Guard: integrations.Guard{AllowPrivate: cfg.WebhookAllowPrivate}},
		Runner: deliveries}).Routes(admin)

	gql := shopadmin.NewGraphQL(&graph.Resolver{Client: db.Client, Catalog: svc.Catalog, Inventory: svc.Inventory, Ordering: svc.Ordering, DeliveryLog: deliveries, StoreCurrency: cfg.Currency}, logger)
	shopadmin.Routes(e, gql, tokens.Authenticate, requireAdmin)
	return srv
}
