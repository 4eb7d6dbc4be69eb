package schema

import (
	"entgo.io/ent"

	"shop/ent/hook"
)

// The records below are history: once written they never change and are
// never deleted, on any path (REST, GraphQL, CLI, a bulk update).

// Hooks of the InventoryMovement: the ledger is append-only.
func (InventoryMovement) Hooks() []ent.Hook {
	return []ent.Hook{hook.Reject(ent.OpUpdate | ent.OpUpdateOne | ent.OpDelete | ent.OpDeleteOne)}
}

// Hooks of the OrderItem: order lines are a snapshot and never change.
func (OrderItem) Hooks() []ent.Hook {
	return []ent.Hook{hook.Reject(ent.OpUpdate | ent.OpUpdateOne | ent.OpDelete | ent.OpDeleteOne)}
}

// Hooks of the AuditLog: the audit trail is append-only.
func (AuditLog) Hooks() []ent.Hook {
	return []ent.Hook{hook.Reject(ent.OpUpdate | ent.OpUpdateOne | ent.OpDelete | ent.OpDeleteOne)}
}
