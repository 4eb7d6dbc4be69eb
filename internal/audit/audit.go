// Package audit builds audit_logs rows: one builder for the schema's audit
// hook and for the inventory module's stock changes, which are written
// without an Ent mutation.
package audit

import (
	"context"

	gen "shop/ent"
	"shop/ent/auditlog"
	"shop/internal/actor"
)

// Row is one audit_logs row by the actor of ctx: action on entity id, with
// the changes ch.
func Row(ctx context.Context, c *gen.Client, action auditlog.Action, entity string, id int, ch map[string]any) *gen.AuditLogCreate {
	a := actor.From(ctx)
	return c.AuditLog.Create().
		SetNillableActorID(a.UserIDPtr()).
		SetNillableAPIKeyID(a.APIKeyIDPtr()).
		SetAction(action).
		SetEntity(entity).
		SetEntityID(id).
		SetChanges(ch).
		SetRequestID(a.RequestID).
		SetIP(a.IP)
}
