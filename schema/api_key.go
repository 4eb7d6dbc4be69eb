package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// APIKey lets an integration call the admin API without a password user:
// only the SHA-256 hash of the key is stored (the key itself is shown once),
// and a revoked key is refused from the next request on.
type APIKey struct {
	ent.Schema
}

// Mixin of the APIKey.
func (APIKey) Mixin() []ent.Mixin { return []ent.Mixin{CreateTimeMixin{}} }

// Fields of the APIKey.
func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Validate(MaxRunes(MaxAPIKeyName)).Validate(NotBlank),
		// prefix is the start of the key, enough to recognise it in a list.
		field.String("prefix").NotEmpty().MaxLen(16).Immutable(),
		// key_hash is the hex SHA-256 of the whole key.
		// It is never readable in GraphQL (skipped from the schema).
		field.String("key_hash").NotEmpty().MaxLen(64).Immutable().Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Indexes of the APIKey.
func (APIKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("key_hash").Unique()}
}

// Annotations of the APIKey: readable in the admin GraphQL (a Relay
// connection named apiKeys, no mutations: keys are created over REST).
func (APIKey) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField("apiKeys"),
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}
