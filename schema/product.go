package schema

import (
	"fmt"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Product is a sellable item with its stock on hand.
type Product struct {
	ent.Schema
}

// Mixin of the Product.
func (Product) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, SoftDeleteMixin{}} }

// Fields of the Product.
func (Product) Fields() []ent.Field {
	return []ent.Field{
		field.Int("category_id"),
		field.String("name").NotEmpty().Validate(MaxRunes(MaxProductName)).Validate(NotBlank).
			Annotations(entgql.OrderField("NAME")),
		field.Text("description").Default("").Validate(MaxRunes(MaxDescription)),
		field.Int64("price").Range(1, MaxPrice).
			Annotations(entgql.OrderField("PRICE"), entgql.Type("Int64")), // money past 2^31: the Int64 scalar
		field.Int("stock").Range(0, MaxStock).Default(0).
			Annotations(entgql.OrderField("STOCK"), entgql.Skip(entgql.SkipMutationCreateInput|entgql.SkipMutationUpdateInput)),
		field.Bool("is_active").Default(true),
		// options are the product's option names (e.g. ["Size","Color"]),
		// empty for a one-variant product; fixed once the product exists.
		field.JSON("options", []string{}).Default([]string{}).Immutable().
			Annotations(entgql.Type("[String!]"), entgql.Skip(entgql.SkipWhereInput|entgql.SkipOrderField|entgql.SkipMutationCreateInput|entgql.SkipMutationUpdateInput),
				entsql.DefaultExprs(map[string]string{dialect.Postgres: "'[]'::jsonb"})),
		// version changes with every change of the product's content; the
		// REST API serves it as the ETag and checks it against If-Match.
		field.Int("version").Default(1).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput | entgql.SkipMutationUpdateInput | entgql.SkipWhereInput)),
	}
}

// Edges of the Product.
func (Product) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("category", Category.Type).Ref("products").
			Field("category_id").Unique().Required(),
		edge.To("cart_items", CartItem.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("order_items", OrderItem.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("inventory_movements", InventoryMovement.Type).Annotations(entgql.RelayConnection()), // paged and costed (modules/admin/limits.go)
		edge.To("variants", Variant.Type).Annotations(entgql.RelayConnection()),                      // paged and costed, live variants only (soft delete)
	}
}

// Indexes of the Product.
func (Product) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("category_id"),
		// The product list's keyset orders: (column, id) serves both the
		// ORDER BY column, id and the cursor's row comparison as one index
		// range, so page 500 costs what page 1 does (docs/benchmarks.md).
		index.Fields("created_at", "id"),
		index.Fields("price", "id"),
		index.Fields("name", "id"),
		// Text search (ILIKE '%q%') on PostgreSQL uses trigram GIN indexes;
		// the pg_trgm extension is created by the migration that adds them.
		index.Fields("name").StorageKey("product_name_trgm").
			Annotations(entsql.IndexTypes(map[string]string{dialect.Postgres: "GIN"}), entsql.OpClass("gin_trgm_ops")),
		index.Fields("description").StorageKey("product_description_trgm").
			Annotations(entsql.IndexTypes(map[string]string{dialect.Postgres: "GIN"}), entsql.OpClass("gin_trgm_ops")),
	}
}

// Annotations of the Product.
func (Product) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entsql.Checks(map[string]string{
			"product_stock_nonneg":     "stock >= 0",
			"product_stock_max":        fmt.Sprintf("stock <= %d", MaxStock),
			"product_price_positive":   "price > 0",
			"product_version_positive": "version > 0",
		}),
	}
}
