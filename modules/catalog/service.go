// Package catalog owns categories and products: the category tree, product
// reads and search, and the admin's product writes.
package catalog

import (
	"context"

	"shop/ent"
)

// Stock is what catalog needs from inventory: recording a new variant's
// initial stock as a movement, in the caller's transaction.
type Stock interface {
	RecordInitial(ctx context.Context, db *ent.Client, productID, variantID, stock int) error
}

// Service implements the catalog's use cases on the caller's client.
type Service struct {
	Stock Stock
	// Dialect is the database's (dialect.Postgres or dialect.SQLite).
	Dialect string
}
