package cart

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"shop/ent"
	"shop/internal/apperr"
	"shop/internal/database"
	"shop/internal/httpserver"
	"shop/internal/money"
	"shop/internal/ratelimit"
	"shop/modules/identity"
	"shop/modules/pricing"
)

// HTTP serves the cart endpoints of API.md; every route is the caller's own.
type HTTP struct {
	Svc      Service
	DB       *ent.Client
	Tx       *database.Runner // every write (Runner.Do: one statement, no transaction)
	Currency string
	Codes    Codes
	// Refused limits refused discount codes per customer
	// (SHOP_DISCOUNT_RATE_LIMIT); nil: no limit.
	Refused ratelimit.Attempts
}

// Codes is what the cart needs of pricing: its discount code.
type Codes interface {
	SetCartCode(ctx context.Context, db *ent.Client, userID int, in pricing.CodeInput, subtotal int64) error
	RemoveCartCode(ctx context.Context, db *ent.Client, userID int) error
	ViewCartCode(ctx context.Context, db *ent.Client, userID int, subtotal int64) (*pricing.CartDiscount, error)
}

// LineJSON is one line of the Cart of API.md.
type LineJSON struct {
	ID          int               `json:"id"`
	ProductID   int               `json:"product_id"`
	VariantID   int               `json:"variant_id"`
	SKU         *string           `json:"sku"`
	Options     map[string]string `json:"options"`
	ProductName string            `json:"product_name"`
	UnitPrice   int64             `json:"unit_price"`
	Quantity    int               `json:"quantity"`
	Subtotal    int64             `json:"subtotal"`
	Available   bool              `json:"available"`
}

// JSON is the Cart of API.md.
type JSON struct {
	Items     []LineJSON            `json:"items"`
	Subtotal  int64                 `json:"subtotal"`
	Discount  *pricing.CartDiscount `json:"discount"`
	Total     int64                 `json:"total"`
	Currency  string                `json:"currency"`
	ItemCount int                   `json:"item_count"`
}

// View prices lines live: subtotal = unit price × quantity, the cart's
// subtotal = Σ line subtotals, total = subtotal − the code's amount.
func View(lines []Line, code *pricing.CartDiscount, currency string) JSON {
	out := JSON{Items: make([]LineJSON, 0, len(lines)), Currency: currency}
	for _, l := range lines {
		// Prices and quantities are bounded (10^10 × 1000), and so is a
		// cart's line count, so these cannot overflow; money says so.
		sub, _ := money.Line(l.Price, l.Quantity)
		out.Items = append(out.Items, LineJSON{
			ID: l.ID, ProductID: l.ProductID, VariantID: l.VariantID, SKU: l.SKU, Options: l.Options, ProductName: l.Name,
			UnitPrice: l.Price, Quantity: l.Quantity, Subtotal: sub, Available: l.Available(),
		})
		out.ItemCount += l.Quantity
	}
	out.Subtotal = Subtotal(lines)
	out.Total, out.Discount = out.Subtotal, code
	if code != nil {
		out.Total = out.Subtotal - code.Amount
	}
	return out
}

// Subtotal is Σ unit price × quantity of lines (money's arithmetic).
func Subtotal(lines []Line) int64 {
	var total int64
	for _, l := range lines {
		sub, _ := money.Line(l.Price, l.Quantity)
		total, _ = money.Add(total, sub)
	}
	return total
}

func (h *HTTP) respond(c echo.Context, status int, userID int) error {
	lines, err := h.Svc.Lines(c.Request().Context(), h.DB, userID)
	if err != nil {
		return err
	}
	return h.respondLines(c, status, userID, lines)
}

// respondLines answers the cart whose lines were just read.
func (h *HTTP) respondLines(c echo.Context, status int, userID int, lines []Line) error {
	ctx := c.Request().Context()
	var (
		code *pricing.CartDiscount
		err  error
	)
	// The lines carry the cart's code; an empty cart is asked.
	if len(lines) == 0 || lines[0].DiscountID != 0 {
		if code, err = h.Codes.ViewCartCode(ctx, h.DB, userID, Subtotal(lines)); err != nil {
			return err
		}
	}
	return c.JSON(status, View(lines, code, h.Currency))
}

// SetDiscount puts a discount code on the caller's cart and answers the
// cart; a refused code leaves the cart as it was and counts against the
// caller's limit of refused codes (429 rate_limited past it).
func (h *HTTP) SetDiscount(c echo.Context) error {
	var in pricing.CodeInput
	if err := httpserver.Bind(c, &in); err != nil {
		return err
	}
	ctx, uid := c.Request().Context(), identity.UserID(c)
	if err := h.checkLimit(ctx, uid, false); err != nil {
		return err
	}
	err := h.Tx.Exec(ctx, func(ctx context.Context, db *ent.Client) error {
		lines, err := h.Svc.Lines(ctx, db, uid)
		if err != nil {
			return err
		}
		return h.Codes.SetCartCode(ctx, db, uid, in, Subtotal(lines))
	})
	if e := database.Translate(err); e != nil && isRefusal(e.Code) {
		if lerr := h.checkLimit(ctx, uid, true); lerr != nil {
			return lerr
		}
	}
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, uid)
}

// RemoveDiscount takes the code off the caller's cart and answers the cart.
func (h *HTTP) RemoveDiscount(c echo.Context) error {
	uid := identity.UserID(c)
	if err := h.Tx.Do(c.Request().Context(), func(ctx context.Context, db *ent.Client) error { return h.Codes.RemoveCartCode(ctx, db, uid) }); err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, uid)
}

// checkLimit spends one of the caller's refused-code attempts when spend
// (a code was just refused); before trying a code, it only refuses a
// caller already past the limit, spending nothing.
func (h *HTTP) checkLimit(ctx context.Context, userID int, spend bool) error {
	if h.Refused == nil {
		return nil
	}
	key := "discount:" + strconv.Itoa(userID)
	var (
		ok   bool
		wait time.Duration
		err  error
	)
	if spend {
		ok, wait, err = h.Refused.Allow(ctx, key)
	} else if p, isPeek := h.Refused.(ratelimit.Peeker); isPeek {
		ok, wait, err = p.Peek(ctx, key)
	} else {
		ok = true
	}
	if err != nil {
		return err
	}
	if !ok {
		secs := ratelimit.RetryAfterSeconds(wait)
		return apperr.New(apperr.RateLimited, "too many refused discount codes; retry in %d seconds", secs).With("retry_after", secs)
	}
	return nil
}

func isRefusal(c apperr.Code) bool {
	return c == apperr.DiscountInvalid || c == apperr.DiscountExhausted || c == apperr.DiscountNotApplicable
}

// Get answers the caller's cart, priced live.
func (h *HTTP) Get(c echo.Context) error { return h.respond(c, http.StatusOK, identity.UserID(c)) }

// Add puts a product in the caller's cart, adding to the line if there is one, and answers the cart.
func (h *HTTP) Add(c echo.Context) error {
	var in AddInput
	if err := httpserver.Bind(c, &in); err != nil {
		return err
	}
	// One guarded statement: no transaction (docs/checkout.md, budgets); it
	// answers the cart's lines too (on SQLite, one read after it).
	uid := identity.UserID(c)
	var lines []Line
	err := h.Tx.Do(c.Request().Context(), func(ctx context.Context, db *ent.Client) (err error) {
		lines, err = h.Svc.Add(ctx, db, uid, in)
		return err
	})
	if err != nil {
		return err
	}
	return h.respondLines(c, http.StatusCreated, uid, lines)
}

// Update sets the quantity of one of the caller's cart lines and answers the cart.
func (h *HTTP) Update(c echo.Context) error {
	var in QuantityInput
	id, err := httpserver.BindID(c, "item_id", &in)
	if err != nil {
		return err
	}
	uid := identity.UserID(c)
	if err := h.Tx.Do(c.Request().Context(), func(ctx context.Context, db *ent.Client) error { return h.Svc.SetQuantity(ctx, db, uid, id, in) }); err != nil {
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
	if err := h.Tx.Do(c.Request().Context(), func(ctx context.Context, db *ent.Client) error { return h.Svc.Remove(ctx, db, uid, id) }); err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, uid)
}

// Clear empties the caller's cart: its lines and its discount code, as a
// checkout clears it.
func (h *HTTP) Clear(c echo.Context) error {
	uid := identity.UserID(c)
	if err := h.Tx.Tx(c.Request().Context(), func(ctx context.Context, tx *ent.Tx) error {
		if err := h.Svc.Clear(ctx, tx.Client(), uid); err != nil {
			return err
		}
		return h.Codes.RemoveCartCode(ctx, tx.Client(), uid)
	}); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
