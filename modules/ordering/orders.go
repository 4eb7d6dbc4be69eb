package ordering

import (
	"context"
	"fmt"

	"shop/ent"
	"shop/ent/order"
	"shop/ent/predicate"
	"shop/internal/apperr"
	"shop/internal/page"
)

// OrderFilter narrows an order list. UserID 0 is every user (admin).
type OrderFilter struct {
	UserID int
	Status string
}

// ListOrders returns up to limit+1 orders after the cursor, newest first,
// with their lines.
func (s *Service) ListOrders(ctx context.Context, db *ent.Client, f OrderFilter, p page.Params) ([]*ent.Order, error) {
	q := db.Order.Query()
	if f.UserID != 0 {
		q.Where(order.UserID(f.UserID))
	}
	if f.Status != "" {
		q.Where(order.StatusEQ(order.Status(f.Status)))
	}
	rows, err := q.Where(predicate.Order(page.NewestFirst.After(p.Cursor))).
		Order(page.NewestFirst.Order()).
		Limit(p.Limit + 1).
		WithItems().
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return rows, nil
}

// GetOrder returns an order with its lines. With a userID other than 0 it
// must be that user's: someone else's order is not_found, never forbidden.
func (s *Service) GetOrder(ctx context.Context, db *ent.Client, id, userID int) (*ent.Order, error) {
	q := db.Order.Query().Where(order.ID(id)).WithItems()
	if userID != 0 {
		q.Where(order.UserID(userID))
	}
	o, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "no such order")
	}
	return o, err
}

// SetStatus moves an order (the user's own, unless userID is 0) to a new
// status. The schema's hook enforces the state machine and restocks a
// cancelled order in the same transaction; db must be a transaction's
// client. Errors: not_found, invalid_status_transition, conflict (a
// concurrent change won).
func (s *Service) SetStatus(ctx context.Context, db *ent.Client, id, userID int, to order.Status) (*ent.Order, error) {
	if _, err := s.GetOrder(ctx, db, id, userID); err != nil {
		return nil, err
	}
	if err := db.Order.UpdateOneID(id).SetStatus(to).Exec(ctx); err != nil {
		return nil, err
	}
	return s.GetOrder(ctx, db, id, 0)
}
