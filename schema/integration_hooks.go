package schema

import (
	"entgo.io/ent"

	"shop/ent/hook"
)

// Hooks of the APIKey: creating and revoking a key is audited (a key's
// last_used_at is not: it moves on its own once a minute).
func (APIKey) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(auditHook("api_key"), ent.OpCreate),
		hook.On(auditHook("api_key", "revoked_at"), ent.OpUpdate|ent.OpUpdateOne),
		hook.Reject(ent.OpDelete | ent.OpDeleteOne),
	}
}

// Hooks of the Webhook: every write is audited (its secret never is).
func (Webhook) Hooks() []ent.Hook {
	return []ent.Hook{auditHook("webhook")}
}
