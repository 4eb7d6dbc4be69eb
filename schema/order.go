package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Order is a placed checkout. Its status moves only along the state machine
// of orderstate.go, enforced by the hook in order_hooks.go on every path.
// Orders are never deleted.
type Order struct {
	ent.Schema
}

// Mixin of the Order.
func (Order) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Order.
func (Order) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Enum("status").
			Values(Statuses...).
			Default(StatusPending).
			Annotations(entgql.OrderField("STATUS")),
		field.Int64("total_amount").Min(0).Immutable().
			Annotations(entgql.OrderField("TOTAL_AMOUNT"), entgql.Type("Int64")), // money past 2^31: the Int64 scalar
		field.String("currency").MinLen(3).MaxLen(3).Immutable(),
		// subtotal_amount = Σ line subtotals; total_amount = subtotal_amount
		// − discount_amount (the invariant checker holds them to it).
		field.Int64("subtotal_amount").Min(0).Default(0).Immutable().
			Annotations(entgql.Type("Int64")),
		// The code the order redeemed, as it was written, its discount
		// (the redemption: pricing counts and releases it) and the amount.
		// discount_id has no foreign key: the order keeps its code by value
		// and discounts are only soft-deleted (and SQLite's rebuild of
		// orders could not reference a table created after it).
		field.Int("discount_id").Optional().Nillable().Immutable().
			Annotations(entgql.Type("ID")), // an id, as userID: not an Int
		field.String("discount_code").Optional().Nillable().MaxLen(MaxDiscountCode).Immutable(),
		field.Int64("discount_amount").Min(0).Default(0).Immutable().
			Annotations(entgql.Type("Int64")),
	}
}

// Edges of the Order.
func (Order) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("orders").Field("user_id").Unique().Required().Immutable(),
		edge.To("items", OrderItem.Type).Annotations(entgql.RelayConnection()), // paged and costed (modules/admin/limits.go)
		edge.To("inventory_movements", InventoryMovement.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("idempotency_keys", IdempotencyKey.Type).Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the Order.
func (Order) Indexes() []ent.Index {
	return []ent.Index{
		// A user's orders, newest first (keyset on id, which grows with created_at).
		index.Fields("user_id", "id"),
		index.Fields("status", "id"),
		index.Fields("created_at"),
		// A discount's redemptions, newest first.
		index.Fields("discount_id", "id"),
	}
}

// Annotations of the Order.
func (Order) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entsql.Checks(map[string]string{
			"order_total_nonneg":   "total_amount >= 0",
			"order_discount_range": "discount_amount >= 0 AND discount_amount <= subtotal_amount",
		}),
	}
}
