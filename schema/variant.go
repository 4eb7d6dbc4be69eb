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

// Variant is what is actually sold and stocked: one combination of a
// product's options (a size, a colour), with its own stock, an optional SKU
// and an optional own price. A product made without options has exactly one
// variant whose options are {}.
//
// Its rules are indexes and CHECKs, not Go: a SKU is unique among live
// variants, and so are (product, options_key), options_key being the
// canonical string of the sorted options written by the variant hook
// (variant_hooks.go), so two concurrent creates of the same options can't
// both commit.
type Variant struct {
	ent.Schema
}

// Mixin of the Variant.
func (Variant) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, SoftDeleteMixin{}} }

// Fields of the Variant.
func (Variant) Fields() []ent.Field {
	return []ent.Field{
		field.Int("product_id").Immutable(),
		field.String("sku").Optional().Nillable().NotEmpty().MaxLen(MaxSKU).Match(SKUPattern),
		field.JSON("options", map[string]string{}).Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		// options_key is the canonical form of options (OptionsKey), set by
		// the variant hook; the unique index holds on it.
		field.String("options_key").Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int64("price").Optional().Nillable().Range(1, MaxPrice).
			Annotations(entgql.OrderField("PRICE"), entgql.Type("Int64")), // money past 2^31: the Int64 scalar
		field.Int("stock").Range(0, MaxStock).Default(0).
			Annotations(entgql.OrderField("STOCK"), entgql.Skip(entgql.SkipMutationCreateInput|entgql.SkipMutationUpdateInput)),
		field.Bool("is_active").Default(true),
		field.Int("version").Default(1).
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Variant.
func (Variant) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("product", Product.Type).Ref("variants").
			Field("product_id").Unique().Required().Immutable(),
		edge.To("cart_items", CartItem.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("order_items", OrderItem.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("inventory_movements", InventoryMovement.Type).Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the Variant.
func (Variant) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("product_id", "id"),
		index.Fields("sku").Unique().StorageKey("variant_sku_live").
			Annotations(entsql.IndexWhere("deleted_at IS NULL AND sku IS NOT NULL")),
		index.Fields("product_id", "options_key").Unique().StorageKey("variant_options_live").
			Annotations(entsql.IndexWhere("deleted_at IS NULL")),
	}
}

// Annotations of the Variant.
// The admin GraphQL reads variants as a Relay connection (variants, and
// Product.variants); writes go through admin.graphql's mutations and the
// catalog's and inventory's inputs, as on REST. options is exposed there
// (Variant.options), since entgql has no scalar for a map of strings.
func (Variant) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
		entsql.Checks(map[string]string{
			"variant_stock_nonneg":     "stock >= 0",
			"variant_stock_max":        fmt.Sprintf("stock <= %d", MaxStock),
			"variant_price_positive":   "price IS NULL OR price > 0",
			"variant_version_positive": "version > 0",
		}),
	}
}
