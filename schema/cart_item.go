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

// CartItem is one line of a user's cart: at most one per (user, variant).
// The cart stores no price; prices are read live from the product.
type CartItem struct {
	ent.Schema
}

// Mixin of the CartItem.
func (CartItem) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the CartItem.
func (CartItem) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id"),
		field.Int("product_id"),
		field.Int("variant_id"),
		field.Int("quantity").Range(MinLineQuantity, MaxLineQuantity),
	}
}

// Edges of the CartItem.
func (CartItem) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("cart_items").Field("user_id").Unique().Required(),
		edge.From("product", Product.Type).Ref("cart_items").Field("product_id").Unique().Required(),
		edge.From("variant", Variant.Type).Ref("cart_items").Field("variant_id").Unique().Required().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the CartItem.
func (CartItem) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "variant_id").Unique(),
		index.Fields("product_id"),
		index.Fields("variant_id"),
	}
}

// Annotations of the CartItem.
func (CartItem) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipAll),
		entsql.Checks(map[string]string{
			"cart_item_quantity_range": fmt.Sprintf("quantity >= %d AND quantity <= %d", MinLineQuantity, MaxLineQuantity),
		}),
	}
}
