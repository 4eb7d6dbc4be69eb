// Package inventory owns stock changes and the movements ledger: every
// change of a product's stock goes through here with its movement, in the
// caller's transaction.
package inventory

import (
	"context"
	"fmt"

	"shop/ent"
	"shop/ent/inventorymovement"
	"shop/ent/product"
	"shop/internal/actor"
	"shop/internal/apperr"
)

// Service changes stock and records movements.
type Service struct {
	// Dialect is the database's (dialect.Postgres or dialect.SQLite).
	Dialect string
}

// Adjust changes a product's stock by change (≠ 0) with one guarded UPDATE
// and records the movement, both on db (the caller's transaction).
// Errors: not_found, insufficient_stock (the result would be below zero).
func (Service) Adjust(ctx context.Context, db *ent.Client, productID, change int, reason inventorymovement.Reason, orderID *int) error {
	upd := db.Product.Update().Where(product.ID(productID))
	if change < 0 {
		upd.Where(product.StockGTE(-change))
	}
	n, err := upd.AddStock(change).Save(ctx)
	if ent.IsConstraintError(err) {
		return apperr.Validation(apperr.Field("quantity_change", "would take stock above 1,000,000,000")).Wrap(err)
	}
	if err != nil {
		return fmt.Errorf("adjust stock: %w", err)
	}
	if n == 0 {
		p, err := db.Product.Get(ctx, productID)
		if err != nil {
			return fmt.Errorf("adjust stock: %w", err)
		}
		return apperr.New(apperr.InsufficientStock, "not enough stock").
			With("items", []map[string]int{{"product_id": productID, "requested": -change, "available": p.Stock}})
	}
	return Record(ctx, db, productID, change, reason, orderID)
}

// Record appends one movement to the ledger without touching stock; the
// caller has changed stock by exactly change in the same transaction.
func Record(ctx context.Context, db *ent.Client, productID, change int, reason inventorymovement.Reason, orderID *int) error {
	if change == 0 {
		return nil
	}
	err := db.InventoryMovement.Create().
		SetProductID(productID).
		SetQuantityChange(change).
		SetReason(reason).
		SetNillableOrderID(orderID).
		SetNillableActorID(actor.From(ctx).UserIDPtr()).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("record movement: %w", err)
	}
	return nil
}
