// Package inventory owns stock changes and the movements ledger: every
// change of a product's stock goes through here with its movement, in the
// caller's transaction, by schema.MoveStock (the one stock-change
// primitive, which the schema's cancel hook uses too).
package inventory

import (
	"context"

	"shop/ent"
	"shop/ent/inventorymovement"
	"shop/internal/apperr"
	"shop/schema"
)

// Service changes stock and records movements.
type Service struct {
	// Dialect is the database's (dialect.Postgres or dialect.SQLite).
	Dialect string
}

// Adjust changes a product's stock by change (≠ 0) with its movement, on db
// (the caller's transaction), through schema.MoveStock.
// Errors: not_found, insufficient_stock (the result would be below zero),
// conflict (above schema.MaxStock).
func (Service) Adjust(ctx context.Context, db *ent.Client, productID, change int, reason inventorymovement.Reason, orderID *int) error {
	r, err := schema.MoveStock(ctx, db, []schema.StockMove{{ProductID: productID, Change: change, Reason: reason, OrderID: orderID}})
	switch {
	case err != nil:
		return err
	case len(r.Unavailable) > 0: // gone meanwhile
		return apperr.New(apperr.NotFound, "no such product")
	case len(r.Short) > 0:
		return apperr.New(apperr.InsufficientStock, "not enough stock").With("items", r.Short)
	}
	return nil
}

// RecordInitial records a new product's initial stock as its `initial`
// movement (the product's create set the stock).
func (Service) RecordInitial(ctx context.Context, db *ent.Client, productID, stock int) error {
	return schema.RecordInitialStock(ctx, db, productID, stock)
}
