package app

import (
	"github.com/labstack/echo/v4"

	"shop/modules/admin"
	"shop/modules/identity"
)

// addRoutes is the shop's whole HTTP surface: every path it serves, who may
// call it and the handler, which lives in its module. API.md is the
// contract and docs/openapi.yaml documents the same operations
// (TestOpenAPI_CoversEveryRoute in internal/e2e); TestRoutesFile fails if the router serves a
// route this function does not list with its full path.
//
// The server (internal/httpserver) answers for every route alike: a known
// path asked with another method is 405 with Allow (before any
// authentication), HEAD is GET without the body, OPTIONS lists the methods.
func addRoutes(e *echo.Echo, h handlers) {
	// Who may call, as the middleware run before the handler. A credential
	// that fails is ignored on public routes.
	var (
		anyone    = []echo.MiddlewareFunc{h.authenticate}                       // a token is read if sent
		signedIn  = []echo.MiddlewareFunc{h.authenticate, identity.RequireUser} // 401 without a valid token
		adminOnly = []echo.MiddlewareFunc{h.authenticate, h.requireAdmin}       // 401 without, 403 unless an admin now
		// adminUser is adminOnly but for a signed-in admin: an API key is 403.
		adminUser = []echo.MiddlewareFunc{h.authenticate, h.requireAdmin, identity.RefuseAPIKey}
	)

	// Operations: open to all (expose /metrics inside your network only).
	e.GET("/healthz", h.ops.Healthz)
	e.GET("/readyz", h.ops.Readyz)
	e.GET("/metrics", h.ops.Metrics)
	e.GET("/openapi.yaml", serveOpenAPI)

	// Identity.
	e.POST("/api/v1/auth/register", h.identity.Register, anyone...)
	e.POST("/api/v1/auth/login", h.identity.Login, anyone...)
	e.GET("/api/v1/me", h.identity.Me, signedIn...)

	// Catalog: reading is public, writing is for admins.
	e.GET("/api/v1/categories", h.catalog.ListCategories, anyone...)
	e.GET("/api/v1/products", h.catalog.ListProducts, anyone...)
	e.GET("/api/v1/products/:id", h.catalog.GetProduct, anyone...)
	e.POST("/api/v1/admin/categories", h.catalog.CreateCategory, adminOnly...)
	e.PATCH("/api/v1/admin/categories/:id", h.catalog.UpdateCategory, adminOnly...)
	e.DELETE("/api/v1/admin/categories/:id", h.catalog.DeleteCategory, adminOnly...)
	e.POST("/api/v1/admin/products", h.catalog.CreateProduct, adminOnly...)
	e.PATCH("/api/v1/admin/products/:id", h.catalog.UpdateProduct, adminOnly...)
	e.DELETE("/api/v1/admin/products/:id", h.catalog.DeleteProduct, adminOnly...)

	// Inventory.
	e.POST("/api/v1/admin/products/:id/stock-adjustments", h.inventory.AdjustStock, adminOnly...)
	e.GET("/api/v1/admin/products/:id/movements", h.inventory.ListMovements, adminOnly...)
	e.GET("/api/v1/admin/inventory/reconciliation", h.inventory.Reconcile, adminOnly...)
	e.POST("/api/v1/admin/products/:id/variants", h.catalog.CreateVariant, adminOnly...)
	e.GET("/api/v1/admin/variants", h.catalog.ListVariants, adminOnly...)
	e.GET("/api/v1/admin/variants/:id", h.catalog.GetVariant, adminOnly...)
	e.PATCH("/api/v1/admin/variants/:id", h.catalog.UpdateVariant, adminOnly...)
	e.DELETE("/api/v1/admin/variants/:id", h.catalog.DeleteVariant, adminOnly...)
	e.POST("/api/v1/admin/variants/:id/stock-adjustments", h.inventory.AdjustVariantStock, adminOnly...)
	e.GET("/api/v1/admin/variants/:id/movements", h.inventory.ListVariantMovements, adminOnly...)

	// Cart: always the caller's own.
	e.GET("/api/v1/cart", h.cart.Get, signedIn...)
	e.DELETE("/api/v1/cart", h.cart.Clear, signedIn...)
	e.POST("/api/v1/cart/items", h.cart.Add, signedIn...)
	e.PATCH("/api/v1/cart/items/:item_id", h.cart.Update, signedIn...)
	e.DELETE("/api/v1/cart/items/:item_id", h.cart.Remove, signedIn...)
	e.PUT("/api/v1/cart/discount", h.cart.SetDiscount, signedIn...)
	e.DELETE("/api/v1/cart/discount", h.cart.RemoveDiscount, signedIn...)

	// Checkout and orders: the caller's own, or every user's for admins.
	e.POST("/api/v1/checkout", h.ordering.Checkout, signedIn...)
	e.GET("/api/v1/orders", h.ordering.ListOwn, signedIn...)
	e.GET("/api/v1/orders/:id", h.ordering.GetOwn, signedIn...)
	e.POST("/api/v1/orders/:id/cancel", h.ordering.Cancel, signedIn...)
	e.GET("/api/v1/admin/orders", h.ordering.ListAll, adminOnly...)
	e.POST("/api/v1/admin/orders/:id/status", h.ordering.SetStatus, adminOnly...)
	e.GET("/api/v1/admin/reports/sales", h.reports.Sales, adminOnly...)

	// Discount codes.
	e.POST("/api/v1/admin/discounts", h.pricing.Create, adminOnly...)
	e.GET("/api/v1/admin/discounts", h.pricing.List, adminOnly...)
	e.GET("/api/v1/admin/discounts/:id", h.pricing.Get, adminOnly...)
	e.PATCH("/api/v1/admin/discounts/:id", h.pricing.Update, adminOnly...)
	e.DELETE("/api/v1/admin/discounts/:id", h.pricing.Delete, adminOnly...)
	e.GET("/api/v1/admin/discounts/:id/redemptions", h.pricing.Redemptions, adminOnly...)

	// Admin: GraphQL (the role is checked before any GraphQL runs), its
	// GraphiQL page and the page's assets (public: the page holds no data),
	// the audit log.
	e.POST("/admin/graphql", h.graphql, adminOnly...)
	e.GET("/admin/graphiql", admin.GraphiQL)
	e.GET("/admin/graphiql/assets/:name", admin.ServeAsset)
	e.GET("/api/v1/admin/audit-log", h.auditLog.List, adminOnly...)

	// Integrations: API keys (managed by signed-in admins only, so a
	// leaked key can't outlive its revocation), webhooks and their
	// deliveries.
	e.POST("/api/v1/admin/api-keys", h.integrations.CreateKey, adminUser...)
	e.GET("/api/v1/admin/api-keys", h.integrations.ListKeys, adminUser...)
	e.DELETE("/api/v1/admin/api-keys/:id", h.integrations.RevokeKey, adminUser...)
	e.POST("/api/v1/admin/webhooks", h.integrations.CreateWebhook, adminOnly...)
	e.GET("/api/v1/admin/webhooks", h.integrations.ListWebhooks, adminOnly...)
	e.PATCH("/api/v1/admin/webhooks/:id", h.integrations.UpdateWebhook, adminOnly...)
	e.DELETE("/api/v1/admin/webhooks/:id", h.integrations.DeleteWebhook, adminOnly...)
	e.GET("/api/v1/admin/webhooks/:id/deliveries", h.integrations.ListDeliveries, adminOnly...)
	e.POST("/api/v1/admin/webhooks/:id/deliveries/:delivery_id/retry", h.integrations.RetryDelivery, adminOnly...)

	// Unknown paths under these prefixes run their neighbours' middleware
	// before the 404, so an unknown admin path is 401/403 like a known one
	// and says nothing about which admin paths exist.
	e.RouteNotFound("/api/v1", echo.NotFoundHandler, anyone...)
	e.RouteNotFound("/api/v1/*", echo.NotFoundHandler, anyone...)
	e.RouteNotFound("/api/v1/cart", echo.NotFoundHandler, signedIn...)
	e.RouteNotFound("/api/v1/cart/*", echo.NotFoundHandler, signedIn...)
	e.RouteNotFound("/api/v1/admin", echo.NotFoundHandler, adminOnly...)
	e.RouteNotFound("/api/v1/admin/*", echo.NotFoundHandler, adminOnly...)
}
