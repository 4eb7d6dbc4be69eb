package inventory

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"shop/ent"
	"shop/ent/inventorymovement"
	"shop/ent/predicate"
	"shop/ent/product"
	"shop/ent/variant"
	"shop/internal/database"
	"shop/internal/httpserver"
	"shop/internal/page"
	"shop/schema"
)

// HTTP serves the stock adjustments and the ledger reads of API.md.
type HTTP struct {
	Svc Service
	DB  *ent.Client
	Tx  *database.Runner // every write
	// Products answers with a product the way the catalog does (its JSON
	// and ETag): a stock adjustment returns the adjusted product.
	Products ProductWriter
}

// ProductWriter is what inventory needs from the catalog's HTTP layer.
type ProductWriter interface {
	WriteProduct(c echo.Context, status int, p *ent.Product) error
	WriteVariant(c echo.Context, status int, v *ent.Variant) error
}

// AdjustVariantStock changes a variant's stock with its movement
// (compare-and-set with expected_stock) and answers the variant.
func (h *HTTP) AdjustVariantStock(c echo.Context) error {
	var in VariantAdjustment
	id, err := httpserver.BindID(c, "id", &in)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	v, err := database.Write(ctx, h.Tx, func(ctx context.Context, db *ent.Client) (*ent.Variant, error) {
		return h.Svc.AdjustVariantStock(ctx, db, id, in)
	})
	if err != nil {
		return err
	}
	return h.Products.WriteVariant(c, http.StatusOK, v)
}

// ListVariantMovements answers a page of a live variant's stock movements,
// newest first.
func (h *HTTP) ListVariantMovements(c echo.Context) error {
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	return httpserver.List(c, httpserver.NewQuery(c), page.NewestFirst, func(ctx context.Context, p page.Params) ([]*ent.InventoryMovement, error) {
		if _, err := h.DB.Variant.Query().Where(variant.ID(id), variant.HasProductWith(product.DeletedAtIsNil())).Only(ctx); err != nil {
			return nil, err
		}
		return h.DB.InventoryMovement.Query().
			Where(inventorymovement.VariantID(id), predicate.InventoryMovement(page.NewestFirst.After(p.Cursor))).
			Order(page.NewestFirst.Order()).
			Limit(p.Limit + 1).
			All(ctx)
	}, toMovementJSON, page.ByID(func(m *ent.InventoryMovement) int { return m.ID }))
}

// AdjustStock changes a product's stock with its movement and answers the
// product.
func (h *HTTP) AdjustStock(c echo.Context) error {
	var in Adjustment
	id, err := httpserver.BindID(c, "id", &in)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, err := database.Write(ctx, h.Tx, func(ctx context.Context, db *ent.Client) (*ent.Product, error) {
		return h.Svc.AdjustStock(ctx, db, id, in)
	})
	if err != nil {
		return err
	}
	return h.Products.WriteProduct(c, http.StatusOK, p)
}

// MovementJSON is the Movement of API.md.
type MovementJSON struct {
	ID             int       `json:"id"`
	ProductID      int       `json:"product_id"`
	VariantID      int       `json:"variant_id"`
	QuantityChange int       `json:"quantity_change"`
	Reason         string    `json:"reason"`
	OrderID        *int      `json:"order_id"`
	CreatedAt      time.Time `json:"created_at"`
}

func toMovementJSON(m *ent.InventoryMovement) MovementJSON {
	return MovementJSON{ID: m.ID, ProductID: m.ProductID, VariantID: m.VariantID, QuantityChange: m.QuantityChange,
		Reason: string(m.Reason), OrderID: m.OrderID, CreatedAt: m.CreatedAt.UTC()}
}

// ListMovements answers a page of a product's stock movements, newest first.
func (h *HTTP) ListMovements(c echo.Context) error {
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	return httpserver.List(c, httpserver.NewQuery(c), page.NewestFirst, func(ctx context.Context, p page.Params) ([]*ent.InventoryMovement, error) {
		// Deleted products keep their ledger; admins can read it.
		if _, err := h.DB.Product.Get(schema.SkipSoftDelete(ctx), id); err != nil {
			return nil, err
		}
		return h.DB.InventoryMovement.Query().
			Where(inventorymovement.ProductID(id), predicate.InventoryMovement(page.NewestFirst.After(p.Cursor))).
			Order(page.NewestFirst.Order()).
			Limit(p.Limit + 1).
			All(ctx)
	}, toMovementJSON, page.ByID(func(m *ent.InventoryMovement) int { return m.ID }))
}
