// Package cart owns cart lines: one per (user, product), priced live from
// the product on every read.
package cart

import (
	"context"

	"entgo.io/ent/dialect"
	"fmt"
	"sort"

	"shop/ent"
	"shop/ent/cartitem"
	"shop/internal/apperr"
	"shop/schema"
)

// Service implements the cart's use cases on the caller's client. Every
// method is scoped to one user: a line of another user is not_found.
type Service struct {
	// Dialect is the database's (dialect.Postgres or dialect.SQLite).
	Dialect string
}

// Line is a cart line with its product's live state.
type Line struct {
	Item    *ent.CartItem
	Product *ent.Product // loaded even if soft-deleted
}

// Available reports whether the line can be checked out as it is.
func (l Line) Available() bool {
	p := l.Product
	return p != nil && p.IsActive && p.DeletedAt == nil && p.Stock >= l.Item.Quantity
}

// Lines returns the user's cart lines in product-id order with their
// products (deleted ones too, so the cart can show them as unavailable).
func (s Service) Lines(ctx context.Context, db *ent.Client, userID int) ([]Line, error) {
	return s.lines(ctx, db, userID, false)
}

// LockLines is Lines for checkout: on PostgreSQL the lines are locked (FOR
// UPDATE) until the transaction ends, so a second checkout of the same cart
// waits, then finds it empty, and a concurrent change of a line waits
// instead of being lost. (SQLite's immediate transaction already excludes
// every other writer.)
func (s Service) LockLines(ctx context.Context, db *ent.Client, userID int) ([]Line, error) {
	return s.lines(ctx, db, userID, s.Dialect == dialect.Postgres)
}

func (Service) lines(ctx context.Context, db *ent.Client, userID int, lock bool) ([]Line, error) {
	q := db.CartItem.Query().Where(cartitem.UserID(userID)).WithProduct()
	if lock {
		q.ForUpdate()
	}
	items, err := q.All(schema.SkipSoftDelete(ctx))
	if err != nil {
		return nil, fmt.Errorf("cart lines: %w", err)
	}
	lines := make([]Line, len(items))
	for i, it := range items {
		lines[i] = Line{Item: it, Product: it.Edges.Product}
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].Item.ProductID < lines[j].Item.ProductID })
	return lines, nil
}

// Add puts quantity units of a product in the cart, adding to an existing
// line (an upsert on the unique (user, product) line, so concurrent adds all
// count). Run it in a transaction: the stock check reads the line's new
// quantity and a refusal must roll the upsert back.
// Errors: not_found, product_unavailable, insufficient_stock,
// validation_failed (the line would pass 1000).
func (Service) Add(ctx context.Context, db *ent.Client, userID, productID, quantity int) error {
	p, err := db.Product.Get(schema.SkipSoftDelete(ctx), productID)
	if ent.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "no such product")
	}
	if err != nil {
		return err
	}
	if !p.IsActive || p.DeletedAt != nil {
		return unavailable(productID)
	}
	id, err := db.CartItem.Create().
		SetUserID(userID).
		SetProductID(productID).
		SetQuantity(quantity).
		OnConflictColumns(cartitem.FieldUserID, cartitem.FieldProductID).
		Update(func(u *ent.CartItemUpsert) {
			u.AddQuantity(quantity)
			u.UpdateUpdatedAt()
		}).
		ID(ctx)
	if ent.IsConstraintError(err) {
		return apperr.Validation(apperr.Field("quantity", "the line would hold more than 1000")).Wrap(err)
	}
	if err != nil {
		return fmt.Errorf("add to cart: %w", err)
	}
	line, err := db.CartItem.Get(ctx, id)
	if err != nil {
		return err
	}
	return checkStock(p, line.Quantity)
}

// SetQuantity changes a line's quantity. Errors: not_found,
// product_unavailable, insufficient_stock.
func (Service) SetQuantity(ctx context.Context, db *ent.Client, userID, itemID, quantity int) error {
	line, err := db.CartItem.Query().Where(cartitem.ID(itemID), cartitem.UserID(userID)).Only(ctx)
	if ent.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "no such cart item")
	}
	if err != nil {
		return err
	}
	p, err := db.Product.Get(schema.SkipSoftDelete(ctx), line.ProductID)
	if err != nil {
		return err
	}
	if quantity > line.Quantity {
		if !p.IsActive || p.DeletedAt != nil {
			return unavailable(p.ID)
		}
		if err := checkStock(p, quantity); err != nil {
			return err
		}
	}
	return db.CartItem.UpdateOneID(itemID).Where(cartitem.UserID(userID)).SetQuantity(quantity).Exec(ctx)
}

// Remove deletes one of the user's lines. Errors: not_found.
func (Service) Remove(ctx context.Context, db *ent.Client, userID, itemID int) error {
	n, err := db.CartItem.Delete().Where(cartitem.ID(itemID), cartitem.UserID(userID)).Exec(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return apperr.New(apperr.NotFound, "no such cart item")
	}
	return nil
}

// RemoveLines deletes the given lines of the user's cart (those a checkout
// ordered); a line added meanwhile stays.
func (Service) RemoveLines(ctx context.Context, db *ent.Client, userID int, ids []int) error {
	_, err := db.CartItem.Delete().Where(cartitem.UserID(userID), cartitem.IDIn(ids...)).Exec(ctx)
	return err
}

// Clear empties the user's cart.
func (Service) Clear(ctx context.Context, db *ent.Client, userID int) error {
	_, err := db.CartItem.Delete().Where(cartitem.UserID(userID)).Exec(ctx)
	return err
}

func checkStock(p *ent.Product, want int) error {
	if want <= p.Stock {
		return nil
	}
	return apperr.New(apperr.InsufficientStock, "not enough stock for product %d", p.ID).
		With("items", []map[string]int{{"product_id": p.ID, "requested": want, "available": p.Stock}})
}

func unavailable(productIDs ...int) error {
	return apperr.New(apperr.ProductUnavailable, "the product is not for sale").With("product_ids", productIDs)
}
