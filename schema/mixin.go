// Package schema holds the Ent schema of the shop: entities, mixins, indexes,
// CHECK constraints and the hooks that keep invariants on every write path.
package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"shop/internal/database"
)

// TimeMixin adds created_at and updated_at, both set by Ent in UTC.
type TimeMixin struct {
	mixin.Schema
}

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("updated_at").Default(now).UpdateDefault(now).
			Annotations(entgql.OrderField("UPDATED_AT")),
	}
}

// CreateTimeMixin adds only created_at, for append-only rows.
type CreateTimeMixin struct {
	mixin.Schema
}

// Fields of the CreateTimeMixin.
func (CreateTimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT")),
	}
}

// now is the time the mixins write (database.Now: UTC, microseconds).
func now() time.Time { return database.Now() }
