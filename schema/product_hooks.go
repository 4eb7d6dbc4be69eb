package schema

import (
	"context"

	"entgo.io/ent"

	gen "shop/ent"
	"shop/ent/hook"
	"shop/ent/product"
	"shop/internal/apperr"
)

// ErrStockSet is returned when an Ent write sets or adds to a product's or
// a variant's stock: a variant's stock only moves through stock.Move
// (stock.go), which writes the ledger movement with the change
// (adjustments, checkout, cancellation), and a product's is the sum of its
// live variants', kept by the database's trigger (a product is created
// with 0, its variants bring their stock).
var ErrStockSet = apperr.Validation(apperr.Field("stock", "stock cannot be changed directly; adjust it with a movement"))

// Hooks of the Product: every write is audited, stock never changes
// through an Ent update (only stock.Move's guarded statement moves it), and any change of its content (not of stock alone)
// increments its version, which the REST API serves as the ETag.
func (Product) Hooks() []ent.Hook {
	return []ent.Hook{
		productEventsHook, // event_hooks.go: product.* and inventory.low_stock
		auditHook("product"),
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.ProductFunc(func(ctx context.Context, m *gen.ProductMutation) (ent.Value, error) {
				stock, set := m.Stock()
				_, added := m.AddedStock()
				if set && (stock != 0 || !m.Op().Is(ent.OpCreate)) || added {
					return nil, ErrStockSet
				}
				return next.Mutate(ctx, m)
			})
		}, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne),
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
