package ordering

import (
	"context"
	stdsql "database/sql"
	"encoding/json"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"shop/ent"
	"shop/ent/order"
	"shop/ent/predicate"
	"shop/internal/apperr"
	"shop/internal/page"
)

// OrderFilter narrows an order list within its scope; an empty Status is
// every status.
type OrderFilter struct {
	Status string
}

// ListOrders returns up to limit+1 of the scope's orders after the cursor,
// newest first, with their lines. A zero scope is ErrNoScope.
func (s *Service) ListOrders(ctx context.Context, db *ent.Client, scope Scope, f OrderFilter, p page.Params) ([]*ent.Order, error) {
	if err := scope.check(); err != nil {
		return nil, err
	}
	q := db.Order.Query()
	if !scope.all {
		q.Where(order.UserID(scope.userID))
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

// GetOrder returns an order with its lines, read in one statement (the
// order joined with its lines): an order to render, detached from the
// client (its other edges can't be queried from it; SetStatus returns a
// full Ent entity for GraphQL). It must be in the scope: an order outside
// it is not_found, never forbidden. A zero scope is ErrNoScope.
func (s *Service) GetOrder(ctx context.Context, db *ent.Client, id int, scope Scope) (*ent.Order, error) {
	if err := scope.check(); err != nil {
		return nil, err
	}
	b := sql.Dialect(s.Dialect).Select().Builder
	b.WriteString("SELECT o.id, o.created_at, o.updated_at, o.user_id, o.status, o.total_amount, o.currency," +
		" o.subtotal_amount, o.discount_id, o.discount_code, o.discount_amount," +
		" i.id, i.created_at, i.order_id, i.product_id, i.variant_id, i.sku, i.options, i.product_name, i.unit_price, i.quantity, i.discount_amount" +
		" FROM orders AS o LEFT JOIN order_items AS i ON i.order_id = o.id WHERE o.id = ").Arg(id)
	if !scope.all {
		b.WriteString(" AND o.user_id = ").Arg(scope.userID)
	}
	b.WriteString(" ORDER BY i.id")
	query, args := b.Query()
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read order: %w", err)
	}
	defer rows.Close()
	var o *ent.Order
	for rows.Next() {
		var (
			cur    ent.Order
			itemID stdsql.NullInt64
			it     struct {
				createdAt           stdsql.NullTime
				orderID, productID  stdsql.NullInt64
				variantID           stdsql.NullInt64
				sku                 stdsql.NullString
				options             []byte
				name                stdsql.NullString
				unitPrice, quantity stdsql.NullInt64
				discount            stdsql.NullInt64
			}
		)
		if err := rows.Scan(&cur.ID, &cur.CreatedAt, &cur.UpdatedAt, &cur.UserID, &cur.Status, &cur.TotalAmount, &cur.Currency,
			&cur.SubtotalAmount, &cur.DiscountID, &cur.DiscountCode, &cur.DiscountAmount,
			&itemID, &it.createdAt, &it.orderID, &it.productID, &it.variantID, &it.sku, &it.options, &it.name, &it.unitPrice, &it.quantity, &it.discount); err != nil {
			return nil, fmt.Errorf("read order: %w", err)
		}
		if o == nil {
			o = &cur
			o.Edges.Items = []*ent.OrderItem{}
		}
		if itemID.Valid {
			item := &ent.OrderItem{
				ID: int(itemID.Int64), CreatedAt: it.createdAt.Time, OrderID: int(it.orderID.Int64),
				ProductID: int(it.productID.Int64), VariantID: int(it.variantID.Int64), ProductName: it.name.String,
				UnitPrice: it.unitPrice.Int64, Quantity: int(it.quantity.Int64), DiscountAmount: it.discount.Int64,
			}
			if it.sku.Valid {
				item.Sku = &it.sku.String
			}
			if err := json.Unmarshal(it.options, &item.Options); err != nil {
				return nil, fmt.Errorf("read order: options: %w", err)
			}
			o.Edges.Items = append(o.Edges.Items, item)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read order: %w", err)
	}
	if o == nil {
		return nil, apperr.New(apperr.NotFound, "no such order")
	}
	return o, nil
}

// SetStatus moves an order of the scope to a new status. The schema's hook
// enforces the state machine and restocks a cancelled order in the same
// transaction; db must be a transaction's client. Errors: validation_failed
// (no such status), not_found (also for an order outside the scope),
// invalid_status_transition, conflict (a concurrent change won); ErrNoScope
// for a zero scope.
func (s *Service) SetStatus(ctx context.Context, db *ent.Client, id int, scope Scope, to order.Status) (*ent.Order, error) {
	if err := (StatusChange{Status: string(to)}).Validate(); err != nil {
		return nil, err
	}
	if _, err := s.GetOrder(ctx, db, id, scope); err != nil {
		return nil, err
	}
	if err := db.Order.UpdateOneID(id).SetStatus(to).Exec(ctx); err != nil {
		return nil, err
	}
	o, err := db.Order.Query().Where(order.ID(id)).WithItems().Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("read order: %w", err)
	}
	return o, nil
}
