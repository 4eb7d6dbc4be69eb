// Package catalog owns categories and products: the category tree, product
// reads and search, and the admin's product writes.
package catalog

import (
	"context"

	"shop/ent"
	"shop/ent/inventorymovement"
	"shop/internal/apperr"
)

// Stock is what catalog needs from inventory: recording a new product's
// initial stock as a movement, and adjusting stock with its movement, in the
// caller's transaction.
type Stock interface {
	RecordInitial(ctx context.Context, db *ent.Client, productID, stock int) error
	Adjust(ctx context.Context, db *ent.Client, productID, change int, reason inventorymovement.Reason, orderID *int) error
}

// Service implements the catalog's use cases on the caller's client.
type Service struct {
	Stock Stock
	// Dialect is the database's (dialect.Postgres or dialect.SQLite).
	Dialect string
}

// translate maps Ent's validation and constraint errors to domain errors.
func translate(err error, conflict string) error {
	if ent.IsConstraintError(err) {
		return apperr.New(apperr.Conflict, "%s", conflict).Wrap(err)
	}
	if ent.IsValidationError(err) {
		return apperr.From(err)
	}
	return err
}
