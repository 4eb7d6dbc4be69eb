package schema

import (
	"entgo.io/contrib/entgql"
	"fmt"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// OrderItem is one line of an order, with the product's name and price
// as they were at checkout.
type OrderItem struct {
	ent.Schema
}

// Mixin of the OrderItem.
func (OrderItem) Mixin() []ent.Mixin { return []ent.Mixin{CreateTimeMixin{}} }

// Fields of the OrderItem.
func (OrderItem) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id").Immutable(),
		field.Int("product_id").Immutable(),
		field.Int("variant_id").Immutable(),
		// sku and options are the variant's as they were at checkout.
		field.String("sku").Optional().Nillable().Immutable(),
		field.JSON("options", map[string]string{}).Default(map[string]string{}).Immutable().
			Annotations(entgql.Skip(entgql.SkipAll), entsql.DefaultExprs(map[string]string{dialect.Postgres: "'{}'::jsonb"})),
		field.String("product_name").NotEmpty().Validate(MaxRunes(200)).Immutable(),
		field.Int64("unit_price").Range(1, MaxPrice).Immutable().
			Annotations(entgql.Type("Int64")), // money past 2^31: the Int64 scalar
		field.Int("quantity").Range(MinLineQuantity, MaxLineQuantity).Immutable(),
		// discount_amount is the line's share of the order's discount
		// (money.Allocate): the shares add up to the order's.
		field.Int64("discount_amount").Min(0).Default(0).Immutable().
			Annotations(entgql.Type("Int64")),
	}
}

// Edges of the OrderItem.
func (OrderItem) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("items").Field("order_id").Unique().Required().Immutable(),
		edge.From("product", Product.Type).Ref("order_items").Field("product_id").Unique().Required().Immutable(),
		edge.From("variant", Variant.Type).Ref("order_items").Field("variant_id").Unique().Required().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the OrderItem.
func (OrderItem) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("order_id", "variant_id").Unique(),
		index.Fields("product_id"),
		index.Fields("variant_id"),
	}
}

// Annotations of the OrderItem: a Relay connection type, for Order.items.
func (OrderItem) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entsql.Checks(map[string]string{
			"order_item_quantity_range": fmt.Sprintf("quantity >= %d AND quantity <= %d", MinLineQuantity, MaxLineQuantity),
			"order_item_price_positive": "unit_price > 0",
			"order_item_discount_range": "discount_amount >= 0 AND discount_amount <= unit_price * quantity",
		}),
	}
}
