package integrations

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"shop/ent"
	"shop/internal/apperr"
	"shop/internal/database"
	"shop/internal/httpserver"
	"shop/internal/page"
)

// HTTP serves the Integrations endpoints of API.md (all admin).
type HTTP struct {
	DB       *ent.Client
	Tx       *database.Runner // every write
	Keys     Keys
	Webhooks Webhooks
	Runner   *Runner
}

// WebhookJSON is the Webhook of API.md; Secret is set on create only.
type WebhookJSON struct {
	ID          int       `json:"id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Description string    `json:"description"`
	Active      bool      `json:"active"`
	CreatedAt   time.Time `json:"created_at"`
	Secret      string    `json:"secret,omitempty"`
}

func toWebhookJSON(w *ent.Webhook) WebhookJSON {
	evs := w.Events
	if evs == nil {
		evs = []string{}
	}
	return WebhookJSON{ID: w.ID, URL: w.URL, Events: evs, Description: w.Description, Active: w.Active, CreatedAt: w.CreatedAt.UTC()}
}

// CreateWebhook subscribes an endpoint to event types.
func (h *HTTP) CreateWebhook(c echo.Context) error {
	var in WebhookInput
	if err := httpserver.Bind(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.Webhooks.Check(ctx, in); err != nil {
		return err
	}
	w, err := database.Write(ctx, h.Tx, func(ctx context.Context, db *ent.Client) (*ent.Webhook, error) {
		return h.Webhooks.Create(ctx, db, in)
	})
	if err != nil {
		return err
	}
	out := toWebhookJSON(w)
	out.Secret = w.Secret
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusCreated, out)
}

// ListWebhooks answers a page of webhook endpoints.
func (h *HTTP) ListWebhooks(c echo.Context) error {
	return httpserver.List(c, httpserver.NewQuery(c), page.NewestFirst,
		func(ctx context.Context, p page.Params) ([]*ent.Webhook, error) { return h.Webhooks.List(ctx, h.DB, p) },
		toWebhookJSON, page.ByID(func(w *ent.Webhook) int { return w.ID }))
}

// UpdateWebhook changes an endpoint's URL, events, description or active flag.
func (h *HTTP) UpdateWebhook(c echo.Context) error {
	var patch WebhookPatch
	id, err := httpserver.BindID(c, "id", &patch)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.Webhooks.CheckPatch(ctx, patch); err != nil {
		return err
	}
	w, err := database.Write(ctx, h.Tx, func(ctx context.Context, db *ent.Client) (*ent.Webhook, error) {
		return h.Webhooks.Update(ctx, db, id, patch)
	})
	if err != nil {
		return err
	}
	if !w.Active {
		h.cancelDeliveries(ctx, id)
	}
	return c.JSON(http.StatusOK, toWebhookJSON(w))
}

// DeleteWebhook removes an endpoint.
func (h *HTTP) DeleteWebhook(c echo.Context) error {
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.Tx.Exec(ctx, func(ctx context.Context, db *ent.Client) error { return h.Webhooks.Delete(ctx, db, id) }); err != nil {
		return err
	}
	h.cancelDeliveries(ctx, id)
	return c.NoContent(http.StatusNoContent)
}

// cancelDeliveries cancels the pending deliveries of an endpoint just
// deactivated or deleted. The change is committed, so a failure here is
// not the request's: it is logged, and the worker stops each delivery it
// missed when that delivery comes up (the endpoint is inactive or gone).
// Without a delivery log (no River client) the workers do it all.
func (h *HTTP) cancelDeliveries(ctx context.Context, webhookID int) {
	if h.Runner == nil {
		return
	}
	if _, err := h.Runner.CancelDeliveries(ctx, webhookID); err != nil {
		slog.WarnContext(ctx, "cancel pending deliveries: the worker will stop them", "webhook_id", webhookID, "error", err)
	}
}

// ListDeliveries answers a page of an endpoint's delivery log.
func (h *HTTP) ListDeliveries(c echo.Context) error {
	if h.Runner == nil {
		return apperr.New(apperr.Unavailable, "the delivery log is unavailable")
	}
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	q := httpserver.NewQuery(c)
	status := q.OneOf("status", "", DeliveryStatuses...)
	limit := page.DefaultLimit
	if l := q.Int64("limit", 1, page.MaxLimit); l != nil {
		limit = int(*l)
	}
	cursor := q.String("cursor", 1024)
	if err := q.Err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.Webhooks.Get(ctx, h.DB, id); err != nil {
		return err
	}
	items, next, err := h.Runner.ListDeliveries(ctx, id, status, limit, cursor)
	if err != nil {
		return err
	}
	var nextCursor *string
	if next != "" {
		nextCursor = &next
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "next_cursor": nextCursor})
}

// RetryDelivery schedules one of an endpoint's deliveries to be attempted again.
func (h *HTTP) RetryDelivery(c echo.Context) error {
	if h.Runner == nil {
		return apperr.New(apperr.Unavailable, "the delivery log is unavailable")
	}
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	did, err := httpserver.PathID(c, "delivery_id") // River's ids stay below 2^53
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.Webhooks.Get(ctx, h.DB, id); err != nil {
		return err
	}
	d, err := h.Runner.RetryDelivery(ctx, id, int64(did))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, d)
}
