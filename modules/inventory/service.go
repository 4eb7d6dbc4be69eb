// Package inventory owns stock changes and the movements ledger: every
// change of a variant's stock goes through here with its movement, in the
// caller's transaction, by stock.Move (the one stock-change
// primitive, which the schema's cancel hook uses too).
package inventory

import (
	"context"

	"shop/ent"
	"shop/modules/inventory/stock"
)

// Service changes stock and records movements (the dialect comes from the
// client each method is given).
type Service struct{}

// RecordInitial records a new variant's initial stock as its `initial`
// movement (the variant's create set the stock).
func (Service) RecordInitial(ctx context.Context, db *ent.Client, productID, variantID, units int) error {
	return stock.RecordInitial(ctx, db, productID, variantID, units)
}
