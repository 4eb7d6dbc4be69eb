// Package usage is the pricing module's count of discount-code uses that
// the order hook needs: Release, which gives a cancelled order's use back
// in the cancellation's transaction (any path that cancels, so the schema's
// order hook calls it), and Reconcile, which checks every code's times_used
// against its redemptions. It imports nothing of the schema (the schema
// imports it). The redemption itself is pricing.Service.Redeem.
package usage

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	gen "shop/ent"
)

// Release gives back the uses of the orders' discount codes
// (their times_used and their customers' uses), for orders being
// cancelled, in the transaction of the cancellation: one read of the
// orders' codes, then a decrement per code and per (code, customer), in
// discount-id order. Cancel runs it before the restock, so, like checkout,
// it locks a discount row before any product row (no lock cycle).
func Release(ctx context.Context, c *gen.Client, orderIDs []int) error {
	var b entsql.Builder
	b.SetDialect(c.Dialect())
	b.WriteString("SELECT discount_id, user_id FROM orders WHERE discount_id IS NOT NULL AND id IN (")
	for i, id := range orderIDs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Arg(id)
	}
	b.WriteString(") ORDER BY discount_id, user_id")
	query, args := b.Query()
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("release discounts: %w", err)
	}
	type use struct{ discount, user int }
	var uses []use
	for rows.Next() {
		var u use
		if err := rows.Scan(&u.discount, &u.user); err != nil {
			rows.Close()
			return fmt.Errorf("release discounts: %w", err)
		}
		uses = append(uses, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("release discounts: %w", err)
	}
	for _, u := range uses {
		var d, du entsql.Builder
		d.SetDialect(c.Dialect())
		d.WriteString("UPDATE discounts SET times_used = times_used - 1 WHERE id = ").Arg(u.discount).
			WriteString(" AND times_used > 0")
		du.SetDialect(c.Dialect())
		du.WriteString("UPDATE discount_usages SET uses = uses - 1 WHERE discount_id = ").Arg(u.discount).
			WriteString(" AND user_id = ").Arg(u.user).WriteString(" AND uses > 0")
		for _, st := range []*entsql.Builder{&d, &du} {
			query, args := st.Query()
			if _, err := c.ExecContext(ctx, query, args...); err != nil {
				return fmt.Errorf("release discount %d: %w", u.discount, err)
			}
		}
	}
	return nil
}
