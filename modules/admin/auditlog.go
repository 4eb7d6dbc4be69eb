package admin

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"

	"shop/ent"
	"shop/ent/auditlog"
	"shop/ent/predicate"
	_ "shop/ent/runtime" // installs the audit hooks, which register their entities
	"shop/internal/httpserver"
	"shop/internal/page"
	"shop/schema"
)

// AuditLogHTTP serves GET /api/v1/admin/audit-log.
type AuditLogHTTP struct {
	DB *ent.Client
}

// EntryJSON is one audit log entry of API.md.
type EntryJSON struct {
	ID        int            `json:"id"`
	ActorID   *int           `json:"actor_id"`
	APIKeyID  *int           `json:"api_key_id"` // the API key that acted (integrations), else null
	Action    string         `json:"action"`
	Entity    string         `json:"entity"`
	EntityID  int            `json:"entity_id"`
	Changes   map[string]any `json:"changes"`
	RequestID string         `json:"request_id"`
	IP        string         `json:"ip"`
	CreatedAt time.Time      `json:"created_at"`
}

func toEntryJSON(a *ent.AuditLog) EntryJSON {
	changes := a.Changes
	if changes == nil {
		changes = map[string]any{}
	}
	return EntryJSON{ID: a.ID, ActorID: a.ActorID, APIKeyID: a.APIKeyID, Action: string(a.Action), Entity: a.Entity, EntityID: a.EntityID,
		Changes: changes, RequestID: a.RequestID, IP: a.IP, CreatedAt: a.CreatedAt.UTC()}
}

// List answers a page of the audit log, newest first, filtered by entity, entity id or actor.
func (h *AuditLogHTTP) List(c echo.Context) error {
	q := httpserver.NewQuery(c)
	// The entity set is closed (what the audit hooks write): an unknown
	// one is a mistake, not a filter that matches nothing.
	entity := q.OneOf("entity", "", schema.AuditEntities()...)
	entityID := q.Int64("entity_id", 1, 1<<53)
	actorID := q.Int64("actor_id", 1, 1<<53)
	return httpserver.List(c, q, page.NewestFirst, func(ctx context.Context, p page.Params) ([]*ent.AuditLog, error) {
		query := h.DB.AuditLog.Query()
		if entity != "" {
			query.Where(auditlog.Entity(entity))
		}
		if entityID != nil {
			query.Where(auditlog.EntityID(int(*entityID)))
		}
		if actorID != nil {
			query.Where(auditlog.ActorID(int(*actorID)))
		}
		return query.Where(predicate.AuditLog(page.NewestFirst.After(p.Cursor))).
			Order(page.NewestFirst.Order()).Limit(p.Limit + 1).All(ctx)
	}, toEntryJSON, page.ByID(func(a *ent.AuditLog) int { return a.ID }))
}
