package schema

import (
	"context"
	"fmt"

	"entgo.io/ent"

	gen "shop/ent"
	"shop/ent/hook"
	"shop/ent/order"
	"shop/ent/orderitem"
	"shop/ent/product"
	"shop/ent/variant"
	"shop/internal/events"
)

// The hooks of this file add the events of API.md's Integrations to the
// outbox of the transaction of the write that causes them (the runner
// writes them as River jobs when it commits), next to the audit log, so
// REST, GraphQL and the command line can't skip them and a rolled-back
// write sends nothing. order.created is the one event a service adds
// (ordering's checkout, which holds the order and its lines).

// orderEventsHook records order.status_changed.
func orderEventsHook(next ent.Mutator) ent.Mutator {
	return hook.OrderFunc(func(ctx context.Context, m *gen.OrderMutation) (ent.Value, error) {
		to, statusSet := m.Status()
		switch {
		case !statusSet:
			return next.Mutate(ctx, m)
		case m.Op().Is(ent.OpUpdateOne):
			from, err := m.OldStatus(ctx) // cached: the state machine hook reads it too
			if err != nil {
				return nil, err
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			return v, recordStatusChanges(ctx, m, map[int]string{v.(*gen.Order).ID: string(from)}, string(to))
		default: // a bulk status change
			ids, err := m.IDs(ctx)
			if err != nil {
				return nil, fmt.Errorf("order ids: %w", err)
			}
			rows, err := m.Client().Order.Query().Where(order.IDIn(ids...)).Select(order.FieldID, order.FieldStatus).All(ctx)
			if err != nil {
				return nil, fmt.Errorf("order statuses: %w", err)
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			from := make(map[int]string, len(rows))
			for _, r := range rows {
				from[r.ID] = string(r.Status)
			}
			return v, recordStatusChanges(ctx, m, from, string(to))
		}
	})
}

// recordStatusChanges records order.status_changed for each order of from
// (order id → old status), with the order as it is now.
func recordStatusChanges(ctx context.Context, m *gen.OrderMutation, from map[int]string, to string) error {
	out := events.FromContext(ctx)
	if len(from) == 0 || out == nil {
		return nil
	}
	ids := make([]int, 0, len(from))
	for id := range from {
		ids = append(ids, id)
	}
	orders, err := m.Client().Order.Query().Where(order.IDIn(ids...)).
		WithItems(func(q *gen.OrderItemQuery) { q.Order(orderitem.ByID()) }).All(ctx)
	if err != nil {
		return fmt.Errorf("order event: %w", err)
	}
	for _, o := range orders {
		out.Add(events.OrderStatusChanged, events.StatusChange{Order: *events.NewOrder(o, o.Edges.Items), From: from[o.ID], To: to})
	}
	return nil
}

// productEventsHook records product.created, product.updated (a change of
// its content) and product.deleted (deleted_at set). Stock moves only
// through stock.Move, which records inventory.low_stock itself.
func productEventsHook(next ent.Mutator) ent.Mutator {
	return hook.ProductFunc(func(ctx context.Context, m *gen.ProductMutation) (ent.Value, error) {
		if m.Op().Is(ent.OpCreate) {
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			out := events.FromContext(ctx)
			// Its variants, created next in the same transaction, are added
			// to this event by the variant hook (variantEventsHook).
			data := events.NewProduct(v.(*gen.Product), out.Currency())
			out.Add(events.ProductCreated, &data)
			return v, nil
		}
		typ := ""
		for _, f := range append(m.Fields(), m.ClearedFields()...) {
			switch f {
			case product.FieldStock, product.FieldUpdatedAt, product.FieldVersion:
			case product.FieldDeletedAt:
				typ = events.ProductDeleted
			default:
				if typ == "" {
					typ = events.ProductUpdated
				}
			}
		}
		out := events.FromContext(ctx)
		if typ == "" || out == nil {
			return next.Mutate(ctx, m)
		}
		// A bulk update's rows are found before it runs: its predicates
		// may not match them afterwards (a soft delete).
		var ids []int
		if !m.Op().Is(ent.OpUpdateOne) {
			var err error
			if ids, err = mutationIDs(ctx, m); err != nil {
				return nil, err
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		var ps []*gen.Product
		if p, ok := v.(*gen.Product); ok {
			ps = []*gen.Product{p}
		} else if len(ids) > 0 {
			if ps, err = m.Client().Product.Query().Where(product.IDIn(ids...)).All(SkipSoftDelete(ctx)); err != nil {
				return nil, fmt.Errorf("product event: %w", err)
			}
		}
		for _, p := range ps {
			if err := loadLiveVariants(ctx, m.Client(), p); err != nil {
				return nil, err
			}
			data := events.NewProduct(p, out.Currency())
			out.Add(typ, &data)
		}
		return v, nil
	})
}

// loadLiveVariants sets p's variants to its live ones, in id order.
func loadLiveVariants(ctx context.Context, c *gen.Client, p *gen.Product) error {
	vs, err := c.Variant.Query().Where(variant.ProductID(p.ID), variant.DeletedAtIsNil()).
		Order(variant.ByID()).All(SkipSoftDelete(ctx))
	if err != nil {
		return fmt.Errorf("product event: variants: %w", err)
	}
	p.Edges.Variants = vs
	return nil
}

// variantEventsHook makes a variant created, changed or deleted a
// product.updated of its product (data: the product with its live
// variants). A product created or changed earlier in the same transaction
// already has its event: its variants are brought up to date there instead
// of a second event.
func variantEventsHook(next ent.Mutator) ent.Mutator {
	return hook.VariantFunc(func(ctx context.Context, m *gen.VariantMutation) (ent.Value, error) {
		out := events.FromContext(ctx)
		if out == nil {
			return next.Mutate(ctx, m)
		}
		var products []int
		if !m.Op().Is(ent.OpCreate | ent.OpUpdateOne) {
			ids, err := mutationIDs(ctx, m)
			if err != nil {
				return nil, err
			}
			if len(ids) > 0 {
				if products, err = m.Client().Variant.Query().Where(variant.IDIn(ids...)).
					Unique(true).Select(variant.FieldProductID).Ints(SkipSoftDelete(ctx)); err != nil {
					return nil, fmt.Errorf("variant event: %w", err)
				}
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		if vv, ok := v.(*gen.Variant); ok {
			products = []int{vv.ProductID}
		}
		for _, id := range products {
			p, err := m.Client().Product.Get(SkipSoftDelete(ctx), id)
			if err != nil {
				return nil, fmt.Errorf("variant event: %w", err)
			}
			if err := loadLiveVariants(ctx, m.Client(), p); err != nil {
				return nil, err
			}
			data := events.NewProduct(p, out.Currency())
			same := func(d any) bool { e, ok := d.(*events.Product); return ok && e.ID == id }
			if e, ok := out.Find(events.ProductCreated, same).(*events.Product); ok {
				*e = data
			} else if e, ok := out.Find(events.ProductUpdated, same).(*events.Product); ok {
				*e = data
			} else {
				out.Add(events.ProductUpdated, &data)
			}
		}
		return v, nil
	})
}
