package schema

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	gen "shop/ent"
	"shop/ent/hook"
	"shop/ent/intercept"
)

type skipSoftDeleteKey struct{}

// SkipSoftDelete returns a context in which queries see soft-deleted rows and
// deletes are real deletes. Admin reads and order history use it.
func SkipSoftDelete(parent context.Context) context.Context {
	return context.WithValue(parent, skipSoftDeleteKey{}, true)
}

func skipSoftDelete(ctx context.Context) bool {
	skip, _ := ctx.Value(skipSoftDeleteKey{}).(bool)
	return skip
}

// Interceptors of the SoftDeleteMixin: every query filters deleted rows out.
func (d SoftDeleteMixin) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{
		intercept.TraverseFunc(func(ctx context.Context, q intercept.Query) error {
			if !skipSoftDelete(ctx) {
				d.p(q)
			}
			return nil
		}),
	}
}

// Hooks of the SoftDeleteMixin: a delete becomes an update of deleted_at.
func (d SoftDeleteMixin) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				if skipSoftDelete(ctx) {
					return next.Mutate(ctx, m)
				}
				mx, ok := m.(interface {
					SetOp(ent.Op)
					Client() *gen.Client
					SetDeletedAt(time.Time)
					WhereP(...func(*sql.Selector))
				})
				if !ok {
					return nil, fmt.Errorf("soft delete: unexpected mutation type %T", m)
				}
				d.p(mx)
				mx.SetOp(ent.OpUpdate)
				mx.SetDeletedAt(now())
				return mx.Client().Mutate(ctx, m)
			})
		}, ent.OpDeleteOne|ent.OpDelete),
	}
}

func (d SoftDeleteMixin) p(w interface{ WhereP(...func(*sql.Selector)) }) {
	w.WhereP(sql.FieldIsNull("deleted_at"))
}
