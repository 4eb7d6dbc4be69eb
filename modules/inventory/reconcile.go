package inventory

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"shop/modules/inventory/stock"
	"shop/modules/pricing/usage"
)

// Reconciliation is the result of checking every product against its ledger.
type Reconciliation = stock.Reconciliation

// DiscountReconciliation is every discount code checked against its
// redemptions (the pricing module's check, answered here with the stock's).
type DiscountReconciliation = usage.Reconciliation

// Reconcile answers the products whose stock is not the sum of their
// movements, and the discount codes whose times_used is not their
// redemptions.
func (h *HTTP) Reconcile(c echo.Context) error {
	ctx := c.Request().Context()
	r, err := stock.Reconcile(ctx, h.DB)
	if err != nil {
		return err
	}
	d, err := usage.Reconcile(ctx, h.DB)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Reconciliation
		DiscountReconciliation
	}{r, d})
}
