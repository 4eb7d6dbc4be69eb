package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Webhook is an endpoint that receives the events it subscribes to, signed
// with its secret (Standard Webhooks). Deliveries live in River's job table,
// not here: one source of truth for the delivery log.
type Webhook struct {
	ent.Schema
}

// Mixin of the Webhook.
func (Webhook) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Webhook.
func (Webhook) Fields() []ent.Field {
	return []ent.Field{
		field.String("url").NotEmpty().MaxLen(MaxWebhookURL),
		field.JSON("events", []string{}),
		field.String("description").Default("").Validate(MaxRunes(MaxWebhookAbout)),
		field.Bool("active").Default(true),
		// secret is "whsec_" + base64 of 24 random bytes; it signs deliveries.
		// It is never readable in GraphQL (skipped from the schema).
		field.String("secret").NotEmpty().MaxLen(128).Immutable().Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Annotations of the Webhook: readable in the admin GraphQL (a Relay
// connection, no mutations: REST owns writes, with its SSRF guard).
func (Webhook) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}
