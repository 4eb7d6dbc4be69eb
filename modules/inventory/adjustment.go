package inventory

import (
	"context"
	"fmt"

	"shop/ent"
	"shop/ent/inventorymovement"
	"shop/internal/apperr"
	"shop/internal/valid"
	"shop/schema"
)

// Adjustment is an admin's change of a product's stock, with its reason
// (REST: the stock-adjustments body; GraphQL: adjustStock's arguments).
type Adjustment struct {
	QuantityChange *int   `json:"quantity_change"`
	Reason         string `json:"reason"`
}

// Validate checks the change (non-zero, at most the stock maximum either
// way) and the reason (one of schema.AdjustReasons).
func (a Adjustment) Validate() error {
	var f valid.Fields
	if f.Required("quantity_change", a.QuantityChange != nil) {
		f.NotZero("quantity_change", int64(*a.QuantityChange))
		f.Range("quantity_change", int64(*a.QuantityChange), -schema.MaxStock, schema.MaxStock)
	}
	if f.Required("reason", a.Reason != "") {
		f.OneOf("reason", a.Reason, schema.AdjustReasons...)
	}
	return f.Err()
}

// AdjustStock validates a and applies it to the product with its movement,
// on db (run it in a transaction), and returns the product as it is now.
// An inactive product can be adjusted; a deleted one is not_found.
// Errors: validation_failed, not_found, insufficient_stock, conflict
// (above schema.MaxStock).
func (s Service) AdjustStock(ctx context.Context, db *ent.Client, productID int, a Adjustment) (*ent.Product, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if _, err := db.Product.Get(ctx, productID); err != nil {
		return nil, fmt.Errorf("product %d: %w", productID, err)
	}
	r, err := schema.MoveStock(ctx, db, []schema.StockMove{{ProductID: productID, Change: *a.QuantityChange, Reason: inventorymovement.Reason(a.Reason)}})
	switch {
	case err != nil: // the maximum is a coded conflict
		return nil, err
	case len(r.Unavailable) > 0: // gone meanwhile
		return nil, apperr.New(apperr.NotFound, "no such product")
	case len(r.Short) > 0:
		return nil, apperr.New(apperr.InsufficientStock, "not enough stock").With("items", r.Short)
	}
	return db.Product.Get(ctx, productID)
}
