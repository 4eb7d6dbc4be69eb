package pricing

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"shop/ent"
	"shop/internal/database"
	"shop/internal/httpserver"
	"shop/internal/page"
)

// HTTP serves the admin discount endpoints of API.md.
type HTTP struct {
	Svc *Service
	DB  *ent.Client
	Tx  *database.Runner // every write
}

// DiscountJSON is the Discount of API.md.
type DiscountJSON struct {
	ID               int        `json:"id"`
	Code             string     `json:"code"`
	Type             string     `json:"type"`
	Value            int64      `json:"value"`
	Currency         string     `json:"currency"`
	MinSubtotal      int64      `json:"min_subtotal"`
	StartsAt         *time.Time `json:"starts_at"`
	EndsAt           *time.Time `json:"ends_at"`
	UsageLimit       *int       `json:"usage_limit"`
	PerCustomerLimit *int       `json:"per_customer_limit"`
	TimesUsed        int        `json:"times_used"`
	IsActive         bool       `json:"is_active"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// RedemptionJSON is one redemption of a discount: an order not cancelled.
type RedemptionJSON struct {
	OrderID   int       `json:"order_id"`
	UserID    int       `json:"user_id"`
	Amount    int64     `json:"amount"`
	CreatedAt time.Time `json:"created_at"`
}

func (h *HTTP) toJSON(d *ent.Discount) DiscountJSON {
	return DiscountJSON{ID: d.ID, Code: d.Code, Type: string(d.Type), Value: d.Value, Currency: h.Svc.Currency,
		MinSubtotal: d.MinSubtotal, StartsAt: utc(d.StartsAt), EndsAt: utc(d.EndsAt), UsageLimit: d.UsageLimit,
		PerCustomerLimit: d.PerCustomerLimit, TimesUsed: d.TimesUsed, IsActive: d.IsActive,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC()}
}

// Create adds a discount code.
func (h *HTTP) Create(c echo.Context) error {
	var in DiscountInput
	if err := httpserver.Bind(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	d, err := database.Write(ctx, h.Tx, func(ctx context.Context, db *ent.Client) (*ent.Discount, error) {
		return h.Svc.CreateDiscount(ctx, db, in)
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, h.toJSON(d))
}

// patchRequest is a DiscountPatch as JSON: the window's ends and the
// limits tell absent (unchanged) from null (cleared).
type patchRequest struct {
	MinSubtotal      *int64                         `json:"min_subtotal"`
	StartsAt         httpserver.Optional[time.Time] `json:"starts_at"`
	EndsAt           httpserver.Optional[time.Time] `json:"ends_at"`
	UsageLimit       httpserver.Optional[int]       `json:"usage_limit"`
	PerCustomerLimit httpserver.Optional[int]       `json:"per_customer_limit"`
	IsActive         *bool                          `json:"is_active"`
}

func optional[T any](o httpserver.Optional[T]) (bool, *T) {
	if !o.Set || o.Null {
		return o.Set, nil
	}
	return true, &o.Value
}

// Update changes a discount's limits, window or activity.
func (h *HTTP) Update(c echo.Context) error {
	var req patchRequest
	id, err := httpserver.BindID(c, "id", &req)
	if err != nil {
		return err
	}
	p := DiscountPatch{MinSubtotal: req.MinSubtotal, IsActive: req.IsActive}
	p.StartsAtSet, p.StartsAt = optional(req.StartsAt)
	p.EndsAtSet, p.EndsAt = optional(req.EndsAt)
	p.UsageLimitSet, p.UsageLimit = optional(req.UsageLimit)
	p.PerCustomerSet, p.PerCustomerLimit = optional(req.PerCustomerLimit)
	ctx := c.Request().Context()
	d, err := database.Write(ctx, h.Tx, func(ctx context.Context, db *ent.Client) (*ent.Discount, error) {
		return h.Svc.UpdateDiscount(ctx, db, id, p)
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.toJSON(d))
}

// Delete soft-deletes a discount.
func (h *HTTP) Delete(c echo.Context) error {
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.Tx.Exec(ctx, func(ctx context.Context, db *ent.Client) error {
		return h.Svc.DeleteDiscount(ctx, db, id)
	}); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Get answers one discount.
func (h *HTTP) Get(c echo.Context) error {
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	d, err := h.Svc.GetDiscount(c.Request().Context(), h.DB, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.toJSON(d))
}

// List answers a page of discounts, newest first, or the one with a code.
func (h *HTTP) List(c echo.Context) error {
	return httpserver.List(c, httpserver.NewQuery(c), page.NewestFirst, func(ctx context.Context, p page.Params) ([]*ent.Discount, error) {
		return h.Svc.ListDiscounts(ctx, h.DB, c.QueryParam("code"), p)
	}, h.toJSON, page.ByID(func(d *ent.Discount) int { return d.ID }))
}

// Redemptions answers a page of a discount's redemptions, newest first.
func (h *HTTP) Redemptions(c echo.Context) error {
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	return httpserver.List(c, httpserver.NewQuery(c), page.NewestFirst, func(ctx context.Context, p page.Params) ([]*ent.Order, error) {
		return h.Svc.Redemptions(ctx, h.DB, id, p)
	}, func(o *ent.Order) RedemptionJSON {
		return RedemptionJSON{OrderID: o.ID, UserID: o.UserID, Amount: o.DiscountAmount, CreatedAt: o.CreatedAt.UTC()}
	}, page.ByID(func(o *ent.Order) int { return o.ID }))
}
