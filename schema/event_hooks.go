package schema

import (
	"context"
	"fmt"
	"strconv"

	"entgo.io/ent"

	gen "shop/ent"
	"shop/ent/hook"
	"shop/ent/order"
	"shop/ent/orderitem"
	"shop/ent/product"
	"shop/internal/events"
)

// The hooks of this file record the events of API.md's Integrations in the
// transaction of the write that causes them (internal/events writes them as
// River jobs when it commits), next to the audit log, so REST, GraphQL and
// the command line can't skip them and a rolled-back write sends nothing.

func orderEventKey(id int) string { return "order:" + strconv.Itoa(id) }

// orderEventsHook records order.created (its lines are added by
// orderItemEventsHook as they are written) and order.status_changed.
func orderEventsHook(next ent.Mutator) ent.Mutator {
	return hook.OrderFunc(func(ctx context.Context, m *gen.OrderMutation) (ent.Value, error) {
		to, statusSet := m.Status()
		switch {
		case m.Op().Is(ent.OpCreate):
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			o := v.(*gen.Order)
			return v, events.Record(ctx, m.Client(), events.OrderCreated, orderEventKey(o.ID), events.NewOrder(o, nil))
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
	if len(from) == 0 {
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
		data := events.StatusChange{Order: *events.NewOrder(o, o.Edges.Items), From: from[o.ID], To: to}
		if err := events.Record(ctx, m.Client(), events.OrderStatusChanged, "", data); err != nil {
			return err
		}
	}
	return nil
}

// orderItemEventsHook adds each new line to the order.created event of its
// order, recorded earlier in the same transaction.
func orderItemEventsHook(next ent.Mutator) ent.Mutator {
	return hook.OrderItemFunc(func(ctx context.Context, m *gen.OrderItemMutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		orderID, _ := m.OrderID()
		if o, ok := events.Lookup(m.Client(), orderEventKey(orderID)).(*events.Order); ok {
			pid, _ := m.ProductID()
			name, _ := m.ProductName()
			qty, _ := m.Quantity()
			price, _ := m.UnitPrice()
			share, _ := m.DiscountAmount()
			o.AddItem(pid, name, qty, price, share)
		}
		return v, nil
	})
}

// productEventsHook records product.created, product.updated (a change of
// its content) and product.deleted (deleted_at set). Stock moves only
// through MoveStock, which records inventory.low_stock itself.
func productEventsHook(next ent.Mutator) ent.Mutator {
	return hook.ProductFunc(func(ctx context.Context, m *gen.ProductMutation) (ent.Value, error) {
		if m.Op().Is(ent.OpCreate) {
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			return v, events.Record(ctx, m.Client(), events.ProductCreated, "", events.NewProduct(v.(*gen.Product)))
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
		if typ == "" {
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
			if err := events.Record(ctx, m.Client(), typ, "", events.NewProduct(p)); err != nil {
				return nil, err
			}
		}
		return v, nil
	})
}
