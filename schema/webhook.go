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
		field.String("url").NotEmpty().MaxLen(2048),
		field.JSON("events", []string{}),
		field.String("description").Default("").Validate(MaxRunes(500)),
		field.Bool("active").Default(true),
		// secret is "whsec_" + base64 of 24 random bytes; it signs deliveries.
		field.String("secret").NotEmpty().MaxLen(128).Immutable().Sensitive(),
	}
}

// Annotations of the Webhook.
func (Webhook) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
