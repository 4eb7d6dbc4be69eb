package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// User roles: the one list the schema's enum and identity's input use.
const (
	RoleCustomer = "customer"
	RoleAdmin    = "admin"
)

// Roles are the user roles.
var Roles = []string{RoleCustomer, RoleAdmin}

// User is a shopper or an administrator.
type User struct {
	ent.Schema
}

// Mixin of the User.
func (User) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").NotEmpty().Validate(MaxRunes(MaxEmail)).
			Annotations(entgql.OrderField("EMAIL")),
		field.String("password_hash").Sensitive().NotEmpty().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("name").NotEmpty().Validate(MaxRunes(MaxUserName)).Validate(NotBlank).
			Annotations(entgql.OrderField("NAME")),
		field.Enum("role").Values(Roles...).Default(RoleCustomer),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("cart_items", CartItem.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("orders", Order.Type).Annotations(entgql.RelayConnection()), // paged and costed (modules/admin/limits.go)
		edge.To("idempotency_keys", IdempotencyKey.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("inventory_movements", InventoryMovement.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("audit_logs", AuditLog.Type).Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("discount_usages", DiscountUsage.Type).Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("email").Unique(),
	}
}

// Annotations of the User.
func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
	}
}
