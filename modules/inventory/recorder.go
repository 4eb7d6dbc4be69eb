package inventory

import (
	"context"

	"shop/ent"
	"shop/ent/inventorymovement"
)

// Record is Record as a method, so a Service satisfies the small interfaces
// other modules declare for the ledger.
func (Service) Record(ctx context.Context, db *ent.Client, productID, change int, reason inventorymovement.Reason, orderID *int) error {
	return Record(ctx, db, productID, change, reason, orderID)
}
