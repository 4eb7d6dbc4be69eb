package cart

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"shop/ent"
	"shop/internal/httpserver"
	"shop/internal/money"
	"shop/modules/identity"
)

// HTTP serves the cart endpoints of API.md; every route is the caller's own.
type HTTP struct {
	Svc      Service
	DB       *ent.Client
	Currency string
}

// LineJSON is one line of the Cart of API.md.
type LineJSON struct {
	ID          int    `json:"id"`
	ProductID   int    `json:"product_id"`
	ProductName string `json:"product_name"`
	UnitPrice   int64  `json:"unit_price"`
	Quantity    int    `json:"quantity"`
	Subtotal    int64  `json:"subtotal"`
	Available   bool   `json:"available"`
}

// JSON is the Cart of API.md.
type JSON struct {
	Items     []LineJSON `json:"items"`
	Total     int64      `json:"total"`
	Currency  string     `json:"currency"`
	ItemCount int        `json:"item_count"`
}

// View prices lines live: subtotal = unit price × quantity, total = Σ subtotals.
func View(lines []Line, currency string) JSON {
	out := JSON{Items: make([]LineJSON, 0, len(lines)), Currency: currency}
	for _, l := range lines {
		// Prices and quantities are bounded (10^10 × 1000), and so is a
		// cart's line count, so these sums cannot overflow; money says so.
		sub, _ := money.Line(l.Price, l.Quantity)
		out.Items = append(out.Items, LineJSON{
			ID: l.ID, ProductID: l.ProductID, ProductName: l.Name,
			UnitPrice: l.Price, Quantity: l.Quantity, Subtotal: sub, Available: l.Available(),
		})
		out.Total, _ = money.Add(out.Total, sub)
		out.ItemCount += l.Quantity
	}
	return out
}

func (h *HTTP) respond(c echo.Context, status int, userID int) error {
	lines, err := h.Svc.Lines(c.Request().Context(), h.DB, userID)
	if err != nil {
		return err
	}
	return c.JSON(status, View(lines, h.Currency))
}

// Get answers the caller's cart, priced live.
func (h *HTTP) Get(c echo.Context) error { return h.respond(c, http.StatusOK, identity.UserID(c)) }

// Add puts a product in the caller's cart, adding to the line if there is one, and answers the cart.
func (h *HTTP) Add(c echo.Context) error {
	var in AddInput
	if err := httpserver.Bind(c, &in); err != nil {
		return err
	}
	// One guarded statement: no transaction (docs/checkout.md, budgets).
	uid := identity.UserID(c)
	if err := h.Svc.Add(c.Request().Context(), h.DB, uid, in); err != nil {
		return err
	}
	return h.respond(c, http.StatusCreated, uid)
}

// Update sets the quantity of one of the caller's cart lines and answers the cart.
func (h *HTTP) Update(c echo.Context) error {
	var in QuantityInput
	id, err := httpserver.BindID(c, "item_id", &in)
	if err != nil {
		return err
	}
	uid := identity.UserID(c)
	if err := h.Svc.SetQuantity(c.Request().Context(), h.DB, uid, id, in); err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, uid)
}

// Remove deletes one of the caller's cart lines and answers the cart.
func (h *HTTP) Remove(c echo.Context) error {
	id, err := httpserver.PathID(c, "item_id")
	if err != nil {
		return err
	}
	uid := identity.UserID(c)
	if err := h.Svc.Remove(c.Request().Context(), h.DB, uid, id); err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, uid)
}

// Clear empties the caller's cart.
func (h *HTTP) Clear(c echo.Context) error {
	if err := h.Svc.Clear(c.Request().Context(), h.DB, identity.UserID(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
