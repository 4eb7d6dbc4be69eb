package pricing

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"

	"shop/ent"
	"shop/internal/database"
	"shop/schema"
)

// Redemption is a code redeemed by a checkout: what goes on the order.
type Redemption struct {
	DiscountID int
	Code       string
	Amount     int64
}

// Redeem redeems the discount the user's cart holds against the cart's
// subtotal, inside the checkout's transaction (db), with ONE guarded
// statement per limit and nothing read before them:
//
//	UPDATE discounts SET times_used = times_used + 1 WHERE id = ? AND <live, active, in its window>
//	  AND (usage_limit IS NULL OR times_used < usage_limit) AND min_subtotal <= ? RETURNING …
//	UPDATE discount_usages SET uses = uses + 1, in_cart = false
//	  WHERE discount_id = ? AND user_id = ? AND in_cart [AND uses < per_customer_limit]
//
// The first counts the use and holds the code's row lock until the
// transaction ends, so concurrent checkouts of one code are counted one at
// a time and none passes usage_limit (the CHECK discount_times_used_range
// is the backstop); the second counts the customer's use and takes the
// code off the cart. When either changes no row, nothing has been counted
// that the caller's rollback does not undo, and a read says why. Errors:
// discount_invalid, discount_exhausted, discount_not_applicable,
// database.ErrRetry (the cart's code changed meanwhile).
func (s *Service) Redeem(ctx context.Context, db *ent.Client, userID, discountID int, subtotal int64) (Redemption, error) {
	now := database.Now()
	b := sql.Dialect(s.Dialect).Select().Builder
	b.WriteString("UPDATE discounts SET times_used = times_used + 1 WHERE id = ").Arg(discountID).
		WriteString(" AND deleted_at IS NULL AND is_active AND (starts_at IS NULL OR starts_at <= ").Arg(now).
		WriteString(") AND (ends_at IS NULL OR ends_at > ").Arg(now).
		WriteString(") AND (usage_limit IS NULL OR times_used < usage_limit) AND min_subtotal <= ").Arg(subtotal).
		WriteString(" RETURNING code, type, value, per_customer_limit")
	query, args := b.Query()
	var (
		r           = Redemption{DiscountID: discountID}
		typ         string
		value       int64
		perCustomer *int64
		found       bool
	)
	err := scanOne(ctx, db, query, args, &found, &r.Code, &typ, &value, &perCustomer)
	if err != nil {
		return r, fmt.Errorf("redeem discount: %w", err)
	}
	if !found {
		return r, s.whyNot(ctx, db, userID, discountID, subtotal, now)
	}
	b = sql.Dialect(s.Dialect).Select().Builder
	b.WriteString("UPDATE discount_usages SET uses = uses + 1, in_cart = ").Arg(false).
		WriteString(" WHERE discount_id = ").Arg(discountID).WriteString(" AND user_id = ").Arg(userID).
		WriteString(" AND in_cart")
	if perCustomer != nil {
		b.WriteString(" AND uses < ").Arg(*perCustomer)
	}
	query, args = b.Query()
	res, err := db.ExecContext(ctx, query, args...)
	if err != nil {
		return r, fmt.Errorf("redeem discount: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		if err != nil {
			return r, fmt.Errorf("redeem discount: %w", err)
		}
		return r, s.whyNot(ctx, db, userID, discountID, subtotal, now)
	}
	r.Amount = Amount(typ, value, subtotal)
	return r, nil
}

// whyNot explains a refused redemption from one read of the discount and
// the user's use; nothing refusing it now means the cart's code changed
// under the checkout (run it again).
func (s *Service) whyNot(ctx context.Context, db *ent.Client, userID, discountID int, subtotal int64, now time.Time) error {
	d, err := db.Discount.Get(schema.SkipSoftDelete(ctx), discountID)
	if err != nil && !ent.IsNotFound(err) {
		return fmt.Errorf("redeem discount: %w", err)
	}
	uses, err := s.uses(ctx, db, discountID, userID)
	if err != nil {
		return err
	}
	if r := Refusal(d, uses, subtotal, now); r != nil {
		return r
	}
	return database.ErrRetry
}

// scanOne runs a statement returning at most one row and scans it.
func scanOne(ctx context.Context, db *ent.Client, query string, args []any, found *bool, dest ...any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		*found = true
		if err := rows.Scan(dest...); err != nil {
			return err
		}
	}
	return rows.Err()
}
