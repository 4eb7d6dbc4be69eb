package inventory

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"shop/ent"
	"shop/ent/inventorymovement"
	"shop/ent/predicate"
	"shop/internal/httpserver"
	"shop/internal/page"
	"shop/schema"
)

// HTTP serves the ledger reads of API.md.
type HTTP struct {
	DB *ent.Client
}

// MovementJSON is the Movement of API.md.
type MovementJSON struct {
	ID             int       `json:"id"`
	ProductID      int       `json:"product_id"`
	QuantityChange int       `json:"quantity_change"`
	Reason         string    `json:"reason"`
	OrderID        *int      `json:"order_id"`
	CreatedAt      time.Time `json:"created_at"`
}

func toMovementJSON(m *ent.InventoryMovement) MovementJSON {
	return MovementJSON{ID: m.ID, ProductID: m.ProductID, QuantityChange: m.QuantityChange,
		Reason: string(m.Reason), OrderID: m.OrderID, CreatedAt: m.CreatedAt.UTC()}
}

// ListMovements answers a page of a product's stock movements, newest first.
func (h *HTTP) ListMovements(c echo.Context) error {
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	q := httpserver.NewQuery(c)
	p, errs := page.Parse(c.QueryParam("limit"), c.QueryParam("cursor"), page.NewestFirst)
	q.Add(errs...)
	if err := q.Err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	// Deleted products keep their ledger; admins can read it.
	if _, err := h.DB.Product.Get(schema.SkipSoftDelete(ctx), id); err != nil {
		return err
	}
	rows, err := h.DB.InventoryMovement.Query().
		Where(inventorymovement.ProductID(id), predicate.InventoryMovement(page.NewestFirst.After(p.Cursor))).
		Order(page.NewestFirst.Order()).
		Limit(p.Limit + 1).
		All(ctx)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page.Build(rows, p.Limit, toMovementJSON, page.ByID(func(m *ent.InventoryMovement) int { return m.ID })))
}
