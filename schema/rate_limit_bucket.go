package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// RateLimitBucket is the state of one rate-limit key (a client IP, an
// email) shared by every replica: the GCRA "theoretical arrival time" of
// the next attempt. One atomic upsert per attempt reads and moves it
// (internal/ratelimit), so N replicas allow what one would. Rows whose tat
// has passed carry no state and are swept.
type RateLimitBucket struct {
	ent.Schema
}

// Fields of the RateLimitBucket.
func (RateLimitBucket) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").NotEmpty().MaxLen(400).Immutable(),
		field.Time("tat"),
	}
}

// Indexes of the RateLimitBucket.
func (RateLimitBucket) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("key").Unique(),
		index.Fields("tat"),
	}
}

// Annotations of the RateLimitBucket.
func (RateLimitBucket) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
