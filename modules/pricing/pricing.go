// Package pricing owns discount codes: the discounts and their per-customer
// uses (tables discounts and discount_usages), whether a code applies to a
// cart, what it takes off, how that is shared over the lines, and its
// redemption in the checkout transaction and release on cancel. Amounts are
// computed with internal/money.
package pricing

import (
	"time"

	"shop/ent"
	"shop/internal/apperr"
	"shop/internal/money"
	"shop/schema"
)

// Service implements discounts on the caller's client.
type Service struct {
	// Dialect is the database's (dialect.Postgres or dialect.SQLite).
	Dialect string
	// Currency is the store's, shown with each discount.
	Currency string
}

// Amount is what d takes off a subtotal: floor(subtotal × value / 100)
// for a percentage, min(value, subtotal) for a fixed amount; never more
// than the subtotal, never below 0.
func Amount(typ string, value, subtotal int64) int64 {
	if subtotal <= 0 {
		return 0
	}
	if typ == schema.DiscountTypePercentage {
		return money.Percent(subtotal, value)
	}
	return min(value, subtotal)
}

// Refusal is why a discount can't apply to a subtotal now for a customer
// who has used it uses times (nil: it applies): discount_invalid when it
// is deleted, inactive or outside its window; discount_exhausted at its
// usage_limit or the customer's per_customer_limit;
// discount_not_applicable below its min_subtotal. This is the one
// statement of the rules in Go; Redeem's guarded statements hold the same
// ones in SQL, and when they refuse, Refusal says why.
func Refusal(d *ent.Discount, uses int, subtotal int64, now time.Time) *apperr.Error {
	switch {
	case d == nil || d.DeletedAt != nil || !d.IsActive ||
		(d.StartsAt != nil && now.Before(*d.StartsAt)) || (d.EndsAt != nil && !now.Before(*d.EndsAt)):
		return invalid()
	case d.UsageLimit != nil && d.TimesUsed >= *d.UsageLimit,
		d.PerCustomerLimit != nil && uses >= *d.PerCustomerLimit:
		return apperr.New(apperr.DiscountExhausted, "this discount code has been used up")
	case subtotal < d.MinSubtotal:
		return apperr.New(apperr.DiscountNotApplicable, "the cart's subtotal is below this code's minimum").
			With("min_subtotal", d.MinSubtotal).With("subtotal", subtotal)
	}
	return nil
}

func invalid() *apperr.Error {
	return apperr.New(apperr.DiscountInvalid, "no usable discount has this code")
}
