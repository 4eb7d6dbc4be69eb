package schema

import (
	"fmt"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Discount is a discount code (owned by modules/pricing). Its code is
// unique among live discounts case-insensitively, by a unique index on
// code_key (the code lower-cased, written by the hook of
// discount_hooks.go); times_used counts the redemptions of orders not
// cancelled and never passes usage_limit (a CHECK, behind the guarded
// increment of pricing.Redeem).
type Discount struct {
	ent.Schema
}

// Mixin of the Discount.
func (Discount) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, SoftDeleteMixin{}} }

// Fields of the Discount.
func (Discount) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").Match(DiscountCodePattern).Immutable(),
		// code_key is lower(code), the column of the unique index; the
		// hook writes it from code on create, so no path can skip it.
		field.String("code_key").NotEmpty().MaxLen(MaxDiscountCode).Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("type").Values(DiscountTypePercentage, DiscountTypeFixed).Immutable(),
		field.Int64("value").Range(1, MaxPrice).Immutable().
			Annotations(entgql.Type("Int64")), // money past 2^31: the Int64 scalar (docs/admin.md, Scalars)
		field.Int64("min_subtotal").Range(0, MaxMinSubtotal).Default(0).
			Annotations(entgql.Type("Int64")),
		field.Time("starts_at").Optional().Nillable(),
		field.Time("ends_at").Optional().Nillable(),
		field.Int("usage_limit").Range(1, MaxUsageLimit).Optional().Nillable(),
		field.Int("per_customer_limit").Range(1, MaxPerCustomerLimit).Optional().Nillable(),
		field.Int("times_used").Min(0).Default(0).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput | entgql.SkipMutationUpdateInput)),
		field.Bool("is_active").Default(true),
	}
}

// Edges of the Discount.
func (Discount) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("usages", DiscountUsage.Type).Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the Discount.
func (Discount) Indexes() []ent.Index {
	return []ent.Index{
		// No two live discounts share a code, whatever its case.
		index.Fields("code_key").Unique().Annotations(entsql.IndexWhere("deleted_at IS NULL")),
	}
}

// Annotations of the Discount.
// The admin GraphQL reads discounts as a Relay connection (discounts);
// writes go through admin.graphql's mutations and pricing's inputs.
func (Discount) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
		entsql.Checks(map[string]string{
			"discount_times_used_range": "times_used >= 0 AND (usage_limit IS NULL OR times_used <= usage_limit)",
			"discount_value_range": fmt.Sprintf("value >= 1 AND (type <> '%s' OR value <= %d)",
				DiscountTypePercentage, MaxDiscountPercent),
			"discount_min_subtotal_nonneg": "min_subtotal >= 0",
			"discount_window":              "starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at",
		}),
	}
}

// DiscountUsage is one customer's use of one discount (owned by
// modules/pricing): uses counts their orders with it that are not
// cancelled, and never passes the discount's per_customer_limit (the
// guarded increment of pricing.Redeem). in_cart marks the code the
// customer's cart holds: at most one per user (a partial unique index),
// so the cart's code and its per-customer count are one row, and checkout
// counts the use and clears the cart's code in one statement.
type DiscountUsage struct {
	ent.Schema
}

// Fields of the DiscountUsage.
func (DiscountUsage) Fields() []ent.Field {
	return []ent.Field{
		field.Int("discount_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.Int("uses").Min(0).Default(0),
		field.Bool("in_cart").Default(false),
		field.Time("updated_at").Default(now).UpdateDefault(now),
	}
}

// Edges of the DiscountUsage.
func (DiscountUsage) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("discount", Discount.Type).Ref("usages").Field("discount_id").Unique().Required().Immutable(),
		edge.From("user", User.Type).Ref("discount_usages").Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of the DiscountUsage.
func (DiscountUsage) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("discount_id", "user_id").Unique(),
		// One code per cart.
		index.Fields("user_id").Unique().StorageKey("discountusage_user_id_in_cart").
			Annotations(entsql.IndexWhere("in_cart")),
	}
}

// Annotations of the DiscountUsage.
func (DiscountUsage) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipAll),
		entsql.Checks(map[string]string{"discount_usage_uses_nonneg": "uses >= 0"}),
	}
}
