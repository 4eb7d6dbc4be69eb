package schema

import (
	"context"
	"strings"

	"entgo.io/ent"

	gen "shop/ent"
	"shop/ent/hook"
)

// Hooks of the Discount: code_key is always lower(code), so the unique
// index compares codes case-insensitively on every write path; every write
// of an admin is audited. times_used is not: a checkout's redemption and a
// cancellation's release move it by guarded SQL (pricing.Redeem,
// usage.Release), and their record is the order (its discount_id and
// status), as a sale's stock change is recorded by its order, not audited.
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
