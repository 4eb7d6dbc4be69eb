package inventory

import (
	"context"
	"fmt"

	"shop/ent"
	"shop/ent/inventorymovement"
	"shop/ent/product"
	"shop/ent/variant"
	"shop/internal/apperr"
	"shop/internal/valid"
	"shop/modules/inventory/stock"
	"shop/schema"
)

// Adjustment is an admin's change of a product's stock, with its reason
// (REST: the product's stock-adjustments body; GraphQL: adjustStock's
// arguments).
type Adjustment struct {
	QuantityChange *int   `json:"quantity_change"`
	Reason         string `json:"reason"`
}

// Validate checks the change (non-zero, at most the stock maximum either
// way) and the reason (one of schema.AdjustReasons).
func (a Adjustment) Validate() error {
	var f valid.Fields
	a.validate(&f)
	return f.Err()
}

func (a Adjustment) validate(f *valid.Fields) {
	if f.Required("quantity_change", a.QuantityChange != nil) {
		f.NotZero("quantity_change", int64(*a.QuantityChange))
		f.Range("quantity_change", int64(*a.QuantityChange), -schema.MaxStock, schema.MaxStock)
	}
	if f.Required("reason", a.Reason != "") {
		f.OneOf("reason", a.Reason, schema.AdjustReasons...)
	}
}

// VariantAdjustment is an admin's change of one variant's stock; with
// ExpectedStock it applies only if the stock is exactly that (a safe "set
// stock to N").
type VariantAdjustment struct {
	Adjustment
	ExpectedStock *int `json:"expected_stock"`
}

// Validate checks the adjustment and the expected stock (0..10^9).
func (a VariantAdjustment) Validate() error {
	var f valid.Fields
	a.validate(&f)
	if a.ExpectedStock != nil {
		f.Range("expected_stock", int64(*a.ExpectedStock), 0, schema.MaxStock)
	}
	return f.Err()
}

// AdjustStock validates a and applies it to the product's only variant with
// its movement, on db (run it in a transaction), and returns the product as
// it is now. An inactive product can be adjusted; a deleted one is
// not_found. Errors: validation_failed, not_found, variant_required (the
// product has several variants), insufficient_stock, conflict (above
// schema.MaxStock).
func (s Service) AdjustStock(ctx context.Context, db *ent.Client, productID int, a Adjustment) (*ent.Product, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	vs, err := db.Variant.Query().Where(variant.ProductID(productID), variant.HasProductWith(product.DeletedAtIsNil())).
		Select(variant.FieldID).Limit(schema.MaxVariants + 1).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("product %d: %w", productID, err)
	}
	switch len(vs) {
	case 0:
		return nil, apperr.New(apperr.NotFound, "no such product")
	case 1:
	default:
		ids := make([]int, len(vs))
		for i, v := range vs {
			ids[i] = v.ID
		}
		return nil, apperr.New(apperr.VariantRequired, "the product has several variants: adjust one of them").With("variant_ids", ids)
	}
	if err := s.move(ctx, db, productID, vs[0].ID, a, nil); err != nil {
		return nil, err
	}
	return db.Product.Get(ctx, productID)
}

// AdjustVariantStock validates a and applies it to the variant with its
// movement, on db (run it in a transaction), and returns the variant as it
// is now. Errors: validation_failed, not_found (no such variant, or it or
// its product is deleted), stock_changed, insufficient_stock, conflict.
func (s Service) AdjustVariantStock(ctx context.Context, db *ent.Client, variantID int, a VariantAdjustment) (*ent.Variant, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	v, err := db.Variant.Query().Where(variant.ID(variantID), variant.HasProductWith(product.DeletedAtIsNil())).Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("variant %d: %w", variantID, err)
	}
	if err := s.move(ctx, db, v.ProductID, v.ID, a.Adjustment, a.ExpectedStock); err != nil {
		return nil, err
	}
	return db.Variant.Get(ctx, variantID)
}

func (Service) move(ctx context.Context, db *ent.Client, productID, variantID int, a Adjustment, expected *int) error {
	r, err := stock.Move(ctx, db, []stock.Change{{ProductID: productID, VariantID: variantID,
		Change: *a.QuantityChange, Reason: inventorymovement.Reason(a.Reason), Expected: expected}})
	switch {
	case err != nil: // the maximum is a coded conflict, a changed stock stock_changed
		return err
	case len(r.UnavailableVariants) > 0: // gone meanwhile
		return apperr.New(apperr.NotFound, "no such variant")
	case len(r.Short) > 0:
		return apperr.New(apperr.InsufficientStock, "not enough stock").With("items", r.Short)
	}
	return nil
}
