package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Category groups products; categories form a tree through parent_id.
type Category struct {
	ent.Schema
}

// Mixin of the Category.
func (Category) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, SoftDeleteMixin{}} }

// Fields of the Category.
func (Category) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Validate(MaxRunes(MaxCategoryName)).Validate(NotBlank).
			Annotations(entgql.OrderField("NAME")),
		field.String("slug").NotEmpty().MaxLen(MaxSlug).Match(SlugPattern).
			Annotations(entgql.OrderField("SLUG")),
		field.Int("parent_id").Optional().Nillable(),
	}
}

// Edges of the Category.
func (Category) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("children", Category.Type).
			Annotations(entgql.RelayConnection()). // paged and costed, never a plain list (modules/admin/limits.go)
			From("parent").Field("parent_id").Unique(),
		edge.To("products", Product.Type).Annotations(entgql.RelayConnection()),
	}
}

// Indexes of the Category.
func (Category) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("slug").Unique(),
		index.Fields("parent_id"),
	}
}

// Annotations of the Category.
func (Category) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
	}
}
