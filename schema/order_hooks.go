package schema

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"entgo.io/ent"

	gen "shop/ent"
	"shop/ent/hook"
	"shop/ent/inventorymovement"
	"shop/ent/order"
	"shop/ent/orderitem"
	"shop/modules/inventory/stock"
)

// ErrCancelOutsideTx is returned when an order is cancelled outside a
// transaction: the restock must commit or roll back with the status change.
var ErrCancelOutsideTx = errors.New("cancelling an order must run inside a transaction")

// Hooks of the Order: status changes are audited, the state machine holds
// on every write of the status, every move to cancelled gives its discount
// code's use back (discount_hooks.go) and restocks, and
// orders are never deleted.
func (Order) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(orderEventsHook, ent.OpUpdate|ent.OpUpdateOne), // event_hooks.go: order.status_changed
		hook.On(auditHook("order", "status"), ent.OpUpdate|ent.OpUpdateOne),
		hook.On(orderCreateHook, ent.OpCreate),
		hook.On(orderUpdateOneHook, ent.OpUpdateOne),
		hook.On(orderUpdateHook, ent.OpUpdate),
		hook.Reject(ent.OpDelete | ent.OpDeleteOne),
	}
}

// orderCreateHook lets orders start only as pending.
func orderCreateHook(next ent.Mutator) ent.Mutator {
	return hook.OrderFunc(func(ctx context.Context, m *gen.OrderMutation) (ent.Value, error) {
		if to, ok := m.Status(); ok && string(to) != StatusPending {
			return nil, errTransition("", string(to))
		}
		return next.Mutate(ctx, m)
	})
}

// orderUpdateOneHook validates the transition against the stored status and
// makes the write conditional on it, so of two concurrent transitions of one
// order exactly one wins; the loser gets errConcurrentChange.
func orderUpdateOneHook(next ent.Mutator) ent.Mutator {
	return hook.OrderFunc(func(ctx context.Context, m *gen.OrderMutation) (ent.Value, error) {
		to, ok := m.Status()
		if !ok {
			return next.Mutate(ctx, m)
		}
		id, _ := m.ID()
		from, err := m.OldStatus(ctx)
		if err != nil {
			return nil, err
		}
		if !CanTransition(string(from), string(to)) {
			return nil, errTransition(string(from), string(to))
		}
		if string(to) == StatusCancelled {
			if _, err := m.Tx(); err != nil {
				return nil, ErrCancelOutsideTx
			}
		}
		m.Where(order.StatusEQ(from))
		v, err := next.Mutate(ctx, m)
		if gen.IsNotFound(err) {
			return nil, errConcurrentChange(id)
		}
		if err != nil {
			return nil, err
		}
		if string(to) == StatusCancelled {
			if err := releaseDiscounts(ctx, m.Client(), []int{id}); err != nil {
				return nil, err
			}
			if err := restockOrders(ctx, m.Client(), []int{id}); err != nil {
				return nil, err
			}
		}
		return v, nil
	})
}

// orderUpdateHook validates a bulk status change row by row: every matched
// order must be allowed to move, or nothing is written.
func orderUpdateHook(next ent.Mutator) ent.Mutator {
	return hook.OrderFunc(func(ctx context.Context, m *gen.OrderMutation) (ent.Value, error) {
		to, ok := m.Status()
		if !ok {
			return next.Mutate(ctx, m)
		}
		ids, err := m.IDs(ctx)
		if err != nil {
			return nil, fmt.Errorf("order ids: %w", err)
		}
		if len(ids) == 0 {
			return 0, nil
		}
		rows, err := m.Client().Order.Query().Where(order.IDIn(ids...)).
			Select(order.FieldID, order.FieldStatus).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("order statuses: %w", err)
		}
		for _, r := range rows {
			if !CanTransition(string(r.Status), string(to)) {
				return nil, errTransition(string(r.Status), string(to))
			}
		}
		if string(to) == StatusCancelled {
			if _, err := m.Tx(); err != nil {
				return nil, ErrCancelOutsideTx
			}
		}
		froms := make([]order.Status, 0, 2)
		for _, f := range StatusesFrom(string(to)) {
			froms = append(froms, order.Status(f))
		}
		m.Where(order.IDIn(ids...), order.StatusIn(froms...))
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		if n, _ := v.(int); n != len(ids) {
			return nil, errConcurrentChange(ids...)
		}
		if string(to) == StatusCancelled {
			if err := releaseDiscounts(ctx, m.Client(), ids); err != nil {
				return nil, err
			}
			if err := restockOrders(ctx, m.Client(), ids); err != nil {
				return nil, err
			}
		}
		return v, nil
	})
}

// restockOrders puts every line of the orders back in stock with stock.Move,
// one cancellation movement per line, in variant-id order (Move locks
// the rows in that order, so concurrent restocks and checkouts never wait
// on each other in a cycle).
func restockOrders(ctx context.Context, c *gen.Client, orderIDs []int) error {
	items, err := c.OrderItem.Query().Where(orderitem.OrderIDIn(orderIDs...)).All(ctx)
	if err != nil {
		return fmt.Errorf("order lines: %w", err)
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].VariantID != items[j].VariantID {
			return items[i].VariantID < items[j].VariantID
		}
		return items[i].OrderID < items[j].OrderID
	})
	moves := make([]stock.Change, len(items))
	for i, it := range items {
		moves[i] = stock.Change{ProductID: it.ProductID, VariantID: it.VariantID, Change: it.Quantity,
			Reason: inventorymovement.ReasonCancellation, OrderID: &it.OrderID}
	}
	r, err := stock.Move(ctx, c, moves)
	if err != nil {
		return fmt.Errorf("restock: %w", err)
	}
	if !r.OK() {
		return fmt.Errorf("restock: variants missing: %+v", r)
	}
	return nil
}
