package schema

import (
	"context"

	"entgo.io/ent"

	gen "shop/ent"
	"shop/ent/hook"
	"shop/ent/product"
	"shop/internal/apperr"
)

// ErrStockSet is returned when an Ent update sets or adds to a product's
// stock: stock only moves through MoveStock (stock.go), which writes the
// ledger movement with the change (adjustments, checkout, cancellation).
var ErrStockSet = apperr.Validation(apperr.Field("stock", "stock cannot be changed directly; adjust it with a movement"))

// Hooks of the Product: every write is audited, stock never changes
// through an Ent update (only MoveStock's guarded statement moves it), and any change of its content (not of stock alone)
// increments its version, which the REST API serves as the ETag.
func (Product) Hooks() []ent.Hook {
	return []ent.Hook{
		productEventsHook, // event_hooks.go: product.* and inventory.low_stock
		auditHook("product"),
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.ProductFunc(func(ctx context.Context, m *gen.ProductMutation) (ent.Value, error) {
				_, set := m.Stock()
				_, added := m.AddedStock()
				if set || added {
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
