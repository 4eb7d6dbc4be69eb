package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AuditLog records one admin write: who, what, which fields changed, from
// which request. An empty actor_id is the system (the command line).
type AuditLog struct {
	ent.Schema
}

// Mixin of the AuditLog.
func (AuditLog) Mixin() []ent.Mixin { return []ent.Mixin{CreateTimeMixin{}} }

// Fields of the AuditLog.
func (AuditLog) Fields() []ent.Field {
	return []ent.Field{
		field.Int("actor_id").Optional().Nillable().Immutable(),
		// api_key_id is the API key that acted, when an integration did.
		field.Int("api_key_id").Optional().Nillable().Immutable().
			Annotations(entgql.Type("ID")), // ids are ID, not Int
		field.Enum("action").Values("create", "update", "delete").Immutable(),
		field.String("entity").NotEmpty().MaxLen(50).Immutable(),
		field.Int("entity_id").Immutable().
			Annotations(entgql.Type("ID")),
		// changes is {"field": {"old": v, "new": v}}.
		field.JSON("changes", map[string]any{}).Immutable().
			Annotations(entgql.Type("Map")),
		field.String("request_id").Default("").MaxLen(128).Immutable(),
		field.String("ip").Default("").MaxLen(64).Immutable(),
	}
}

// Edges of the AuditLog.
func (AuditLog) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("actor", User.Type).Ref("audit_logs").Field("actor_id").Unique().Immutable(),
	}
}

// Indexes of the AuditLog.
func (AuditLog) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("entity", "entity_id", "id"),
		index.Fields("actor_id", "id"),
	}
}

// Annotations of the AuditLog.
func (AuditLog) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
	}
}
