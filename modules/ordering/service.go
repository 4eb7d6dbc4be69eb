// Package ordering owns orders: the checkout, the customer's and the
// admin's order views, and status changes (whose rules live in the schema's
// order hook, so every path obeys them).
package ordering

import (
	"context"

	"shop/ent"
	"shop/modules/cart"
	"shop/modules/inventory"
	"shop/modules/pricing"
)

// Cart is what checkout needs from the cart module.
type Cart interface {
	TakeLines(ctx context.Context, db *ent.Client, userID int) ([]cart.Line, error)
}

// Stock is what checkout needs from the inventory module.
type Stock interface {
	LockStock(ctx context.Context, db *ent.Client, lines []inventory.Line) (inventory.Taken, error)
	Sell(ctx context.Context, db *ent.Client, orderID int, lines []inventory.Line) (inventory.Taken, error)
}

// Discounts is what checkout needs from pricing: the cart's code
// redeemed in the checkout's transaction.
type Discounts interface {
	Redeem(ctx context.Context, db *ent.Client, userID, discountID int, subtotal int64) (pricing.Redemption, error)
}

// Locking strategies of checkout.
const (
	Optimistic  = "optimistic"
	Pessimistic = "pessimistic"
)

// Service implements ordering's use cases on the caller's client.
type Service struct {
	Cart  Cart
	Stock Stock
	// Discounts redeems the cart's code; nil: codes are ignored.
	Discounts Discounts
	Currency  string
	Locking   string // Optimistic (default) or Pessimistic
	Dialect   string // dialect.Postgres or dialect.SQLite
}
