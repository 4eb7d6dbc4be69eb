package schema

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/ent"
	entsql "entgo.io/ent/dialect/sql"

	gen "shop/ent"
	"shop/ent/hook"
)

// Hooks of the Discount: code_key is always lower(code), so the unique
// index compares codes case-insensitively on every write path; every write
// is audited.
func (Discount) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(auditHook("discount"), ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne|ent.OpDelete|ent.OpDeleteOne),
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.DiscountFunc(func(ctx context.Context, m *gen.DiscountMutation) (ent.Value, error) {
				if code, ok := m.Code(); ok {
					m.SetCodeKey(DiscountKey(code))
				}
				return next.Mutate(ctx, m)
			})
		}, ent.OpCreate),
	}
}

// DiscountKey is a code's normalised form, the one its uniqueness and
// lookups compare.
func DiscountKey(code string) string { return strings.ToLower(code) }

// releaseDiscounts gives back the uses of the orders' discount codes
// (their times_used and their customers' uses), for orders being
// cancelled, in the transaction of the cancellation: one read of the
// orders' codes, then a decrement per code and per (code, customer), in
// discount-id order. Cancel runs it before the restock, so, like checkout,
// it locks a discount row before any product row (no lock cycle).
func releaseDiscounts(ctx context.Context, c *gen.Client, orderIDs []int) error {
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
