package schema

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"entgo.io/ent"

	gen "shop/ent"
	"shop/ent/auditlog"
	"shop/ent/order"
	"shop/ent/product"
	"shop/internal/audit"
)

// auditedMutation is what the audit hook needs of a generated mutation.
type auditedMutation interface {
	ent.Mutation
	ID() (int, bool)
	IDs(context.Context) ([]int, error)
	Client() *gen.Client
}

// auditHook records every write of an entity in audit_logs, in the same
// transaction as the write (a rolled-back write leaves no audit row): who
// (the actor of the context; none is the system), what (create, update or
// delete — a soft delete sets deleted_at), the changed fields old → new,
// and the request id and client IP. only, when set, limits auditing to
// mutations that touch one of those fields. Fields whose old value equals
// the new one are left out of changes, and an update that changes nothing
// writes no row.
func auditHook(entity string, only ...string) ent.Hook {
	registerAuditEntity(entity)
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			am, ok := m.(auditedMutation)
			if !ok || !touches(m, only) {
				return next.Mutate(ctx, m)
			}
			var (
				ids []int
				old map[int]map[string]any
				err error
			)
			if !m.Op().Is(ent.OpCreate) {
				if ids, err = mutationIDs(ctx, am); err != nil {
					return nil, err
				}
				if old, err = oldValues(ctx, am, ids); err != nil {
					return nil, err
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			// An increment's values are read after the write, under its row
			// lock, so concurrent increments audit exact old and new values.
			after, err := addedValues(ctx, am, ids)
			if err != nil {
				return nil, err
			}
			if m.Op().Is(ent.OpCreate) {
				id, _ := am.ID()
				ids = []int{id}
			}
			action := auditlog.ActionUpdate
			switch {
			case m.Op().Is(ent.OpCreate):
				action = auditlog.ActionCreate
			case m.Op().Is(ent.OpDelete | ent.OpDeleteOne), fieldSet(m, "deleted_at"):
				action = auditlog.ActionDelete
			}
			rows := make([]*gen.AuditLogCreate, 0, len(ids))
			for _, id := range ids {
				ch := changes(m, old[id], after[id])
				if action == auditlog.ActionUpdate && len(ch) == 0 {
					continue // nothing changed: not worth a row
				}
				rows = append(rows, audit.Row(ctx, am.Client(), action, entity, id, ch))
			}
			if len(rows) > 0 {
				if err := am.Client().AuditLog.CreateBulk(rows...).Exec(ctx); err != nil {
					return nil, fmt.Errorf("audit %s: %w", entity, err)
				}
			}
			return v, nil
		})
	}
}

func touches(m ent.Mutation, only []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, f := range only {
		if fieldSet(m, f) || m.FieldCleared(f) {
			return true
		}
	}
	return false
}

func fieldSet(m ent.Mutation, name string) bool {
	_, ok := m.Field(name)
	return ok
}

func mutationIDs(ctx context.Context, m auditedMutation) ([]int, error) {
	if m.Op().Is(ent.OpUpdateOne) {
		if id, ok := m.ID(); ok {
			return []int{id}, nil
		}
	}
	// IDs runs a query: soft-deleted rows are updated too, so see them.
	ids, err := m.IDs(SkipSoftDelete(ctx))
	if err != nil {
		return nil, fmt.Errorf("audit: ids: %w", err)
	}
	return ids, nil
}

// oldValues reads the values the mutation is about to change (set or
// clear; a cleared edge clears its edge field): through OldField for a
// single-row update, from a query for a bulk one.
func oldValues(ctx context.Context, m auditedMutation, ids []int) (map[int]map[string]any, error) {
	names := append(m.Fields(), m.ClearedFields()...)
	out := make(map[int]map[string]any, len(ids))
	if m.Op().Is(ent.OpUpdateOne) && len(ids) == 1 {
		vals := map[string]any{}
		for _, f := range names {
			v, err := m.OldField(ctx, f)
			if err != nil {
				return nil, fmt.Errorf("audit: old %s: %w", f, err)
			}
			vals[f] = v
		}
		out[ids[0]] = vals
		return out, nil
	}
	// Bulk updates in the shop set status or deleted_at (and increment
	// stock, read afterwards); read the status through a plain query.
	for _, id := range ids {
		out[id] = map[string]any{}
	}
	c := m.Client()
	for _, f := range names {
		switch {
		case f == "status" && m.Type() == "Order":
			os, err := c.Order.Query().Where(order.IDIn(ids...)).All(ctx)
			if err != nil {
				return nil, err
			}
			for _, o := range os {
				out[o.ID]["status"] = o.Status
			}
		}
	}
	return out, nil
}

// addedValues reads, after the write, the product stock a mutation
// incremented.
func addedValues(ctx context.Context, m auditedMutation, ids []int) (map[int]map[string]any, error) {
	out := map[int]map[string]any{}
	if m.Type() != "Product" || len(ids) == 0 || m.Op().Is(ent.OpCreate) {
		return out, nil
	}
	if _, ok := m.AddedField("stock"); !ok {
		return out, nil
	}
	ps, err := m.Client().Product.Query().Where(product.IDIn(ids...)).
		Select(product.FieldID, product.FieldStock).All(SkipSoftDelete(ctx))
	if err != nil {
		return nil, fmt.Errorf("audit: stock: %w", err)
	}
	for _, p := range ps {
		out[p.ID] = map[string]any{"stock": p.Stock}
	}
	return out, nil
}

// changes is {"field": {"old": v, "new": v}} of a mutation; an added
// (incremented) field's old value is its new value minus the increment.
// A field whose old value is known and equal to the new one is left out;
// updated_at and version are bookkeeping, never changes.
func changes(m ent.Mutation, old, after map[string]any) map[string]any {
	out := map[string]any{}
	put := func(f string, o, n any, known bool) {
		o, n = jsonValue(o), jsonValue(n)
		if known && sameJSON(o, n) {
			return
		}
		out[f] = map[string]any{"old": o, "new": n}
	}
	for _, f := range m.Fields() {
		if f == "updated_at" || f == "version" || secretFields[f] {
			continue
		}
		v, _ := m.Field(f)
		o, known := old[f]
		put(f, o, v, known)
	}
	for _, f := range m.AddedFields() {
		if f == "version" {
			continue
		}
		delta, _ := m.AddedField(f)
		n := after[f]
		put(f, subInts(n, delta), n, true)
	}
	for _, f := range m.ClearedFields() {
		if secretFields[f] {
			continue
		}
		o, known := old[f]
		put(f, o, nil, known)
	}
	return out
}

// sameJSON reports whether two audit values encode to the same JSON (so a
// *int and an int, or two instants in different zones, compare equal).
func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// auditEntities are the entity names auditHook writes, registered by the
// hooks themselves when ent/runtime installs them: the one list of what
// the audit log can hold, not a second hand-written one.
var auditEntities struct {
	sync.Mutex
	names map[string]bool
}

func registerAuditEntity(name string) {
	auditEntities.Lock()
	defer auditEntities.Unlock()
	if auditEntities.names == nil {
		auditEntities.names = map[string]bool{}
	}
	auditEntities.names[name] = true
}

// AuditEntities returns, sorted, the entity names the audit log holds, so
// a filter on an unknown entity can be refused rather than match nothing.
// They are registered when shop/ent/runtime installs the hooks: import it
// (every binary that writes through ent does) before calling this.
func AuditEntities() []string {
	auditEntities.Lock()
	defer auditEntities.Unlock()
	out := make([]string, 0, len(auditEntities.names))
	for e := range auditEntities.names {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

// secretFields are never copied into the audit log.
var secretFields = map[string]bool{"key_hash": true, "secret": true}

func subInts(a, b any) any {
	x, ok1 := a.(int)
	y, ok2 := b.(int)
	if ok1 && ok2 {
		return x - y
	}
	return nil
}

// jsonValue keeps audit values plain JSON: times in RFC 3339 UTC, enums as
// strings, nil pointers as null.
func jsonValue(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case *time.Time:
		if x == nil {
			return nil
		}
		return x.UTC().Format(time.RFC3339Nano)
	case *int:
		if x == nil {
			return nil
		}
		return *x
	case fmt.Stringer:
		return x.String()
	default:
		return x
	}
}
