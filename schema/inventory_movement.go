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

// Movement reasons, as API.md lists them.
const (
	ReasonInitial      = "initial"
	ReasonSale         = "sale"
	ReasonCancellation = "cancellation"
	ReasonRestock      = "restock"
	ReasonAdjustment   = "adjustment"
	ReasonReturn       = "return"
	ReasonDamage       = "damage"
)

// AdjustReasons are the movement reasons an admin may give for a stock
// adjustment: the one list the schema's enum, inventory.Adjustment and
// (asserted by a test) the GraphQL enum use. The other reasons are written
// by checkout and cancellation only.
var AdjustReasons = []string{ReasonRestock, ReasonAdjustment, ReasonReturn, ReasonDamage}

// InventoryMovement is one entry of the stock ledger: for every product the
// sum of its movements equals its stock. Entries are append-only.
type InventoryMovement struct {
	ent.Schema
}

// Mixin of the InventoryMovement.
func (InventoryMovement) Mixin() []ent.Mixin { return []ent.Mixin{CreateTimeMixin{}} }

// Fields of the InventoryMovement.
func (InventoryMovement) Fields() []ent.Field {
	return []ent.Field{
		field.Int("product_id").Immutable(),
		field.Int("variant_id").Immutable(),
		field.Int("quantity_change").Immutable().
			Annotations(entgql.OrderField("QUANTITY_CHANGE")),
		field.Enum("reason").
			Values(append([]string{ReasonInitial, ReasonSale, ReasonCancellation}, AdjustReasons...)...).
			Immutable(),
		field.Int("order_id").Optional().Nillable().Immutable(),
		field.Int("actor_id").Optional().Nillable().Immutable(),
	}
}

// Edges of the InventoryMovement.
func (InventoryMovement) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("product", Product.Type).Ref("inventory_movements").Field("product_id").Unique().Required().Immutable(),
		edge.From("variant", Variant.Type).Ref("inventory_movements").Field("variant_id").Unique().Required().Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.From("order", Order.Type).Ref("inventory_movements").Field("order_id").Unique().Immutable(),
		edge.From("actor", User.Type).Ref("inventory_movements").Field("actor_id").Unique().Immutable(),
	}
}

// Indexes of the InventoryMovement.
func (InventoryMovement) Indexes() []ent.Index {
	return []ent.Index{
		// A product's movements, newest first.
		index.Fields("product_id", "id"),
		// A variant's movements, newest first.
		index.Fields("variant_id", "id"),
		index.Fields("order_id"),
		index.Fields("actor_id"),
	}
}

// Annotations of the InventoryMovement.
func (InventoryMovement) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entsql.Checks(map[string]string{
			"inventory_movement_nonzero": "quantity_change <> 0",
		}),
	}
}
