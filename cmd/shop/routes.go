package main

import (
	"shop/internal/config"
	"shop/internal/database"
	"shop/internal/httpserver"
	"shop/internal/ratelimit"
	"shop/modules/cart"
	"shop/modules/catalog"
	"shop/modules/identity"
	"shop/modules/inventory"
)

// routes mounts every module's routes on the server: the one place that
// shows the whole HTTP surface.
func routes(srv *httpserver.Server, cfg config.Config, db *database.DB, svc *services) {
	tokens := &identity.Tokens{Secret: []byte(cfg.JWTSecret), TTL: cfg.TokenTTL}
	e := srv.Echo
	e.GET("/openapi.yaml", serveOpenAPI)

	api := e.Group("/api/v1", tokens.Authenticate)
	admin := api.Group("/admin", identity.RequireAdmin)

	(&identity.HTTP{
		Svc: svc.identity, Tokens: tokens, DB: db.Client,
		PerIP: ratelimit.New(cfg.AuthRateLimit), PerEmail: ratelimit.New(cfg.AuthRateLimit),
	}).Routes(api)
	(&catalog.HTTP{Svc: svc.catalog, Stock: svc.inventory, DB: db.Client, Currency: cfg.Currency}).Routes(api, admin)
	(&inventory.HTTP{DB: db.Client}).Routes(admin)
	(&cart.HTTP{DB: db.Client, Currency: cfg.Currency}).Routes(api)
}
