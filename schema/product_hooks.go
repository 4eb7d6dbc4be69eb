package schema

import (
	"context"
	"errors"

	"entgo.io/ent"

	gen "shop/ent"
	"shop/ent/hook"
	"shop/ent/product"
)

// ErrStockSet is returned when an update sets a product's stock outright:
// stock only moves by increments that come with a ledger movement
// (adjustments, checkout, cancellation).
var ErrStockSet = errors.New("stock cannot be set directly; adjust it with a movement")

// Hooks of the Product: every write is audited, stock is never set
// outright on update, and any change of its content (not of stock alone)
// increments its version, which the REST API serves as the ETag.
func (Product) Hooks() []ent.Hook {
	return []ent.Hook{
		productEventsHook, // event_hooks.go: product.* and inventory.low_stock
		auditHook("product"),
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.ProductFunc(func(ctx context.Context, m *gen.ProductMutation) (ent.Value, error) {
				if _, set := m.Stock(); set {
					return nil, ErrStockSet
				}
				return next.Mutate(ctx, m)
			})
		}, ent.OpUpdate|ent.OpUpdateOne),
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.ProductFunc(func(ctx context.Context, m *gen.ProductMutation) (ent.Value, error) {
				for _, f := range append(m.Fields(), m.ClearedFields()...) {
					if f != product.FieldStock && f != product.FieldUpdatedAt && f != product.FieldVersion {
						m.AddVersion(1)
						break
					}
				}
				return next.Mutate(ctx, m)
			})
		}, ent.OpUpdate|ent.OpUpdateOne),
	}
}
