package schema

import (
	"context"
	"encoding/json"
	"sort"

	"entgo.io/ent"

	gen "shop/ent"
	"shop/ent/hook"
	"shop/ent/variant"
)

// OptionsKey is the canonical string of a variant's options: the pairs
// sorted by name, as JSON ([["Color","red"],["Size","M"]]; [] for none).
// The unique index (product_id, options_key) among live variants holds
// "no two live variants of a product have the same options" on it.
func OptionsKey(options map[string]string) string {
	names := make([]string, 0, len(options))
	for k := range options {
		names = append(names, k)
	}
	sort.Strings(names)
	pairs := make([][2]string, len(names))
	for i, k := range names {
		pairs[i] = [2]string{k, options[k]}
	}
	b, _ := json.Marshal(pairs) // strings only: never fails
	return string(b)
}

// Hooks of the Variant: options_key is written from options on create,
// stock never changes through an Ent update (only the inventory's guarded
// statement moves it, with its movement), every write is audited, and a
// change of its content increments its version (the REST ETag).
func (Variant) Hooks() []ent.Hook {
	return []ent.Hook{
		variantEventsHook, // event_hooks.go: product.updated of its product
		auditHook("variant"),
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.VariantFunc(func(ctx context.Context, m *gen.VariantMutation) (ent.Value, error) {
				opts, _ := m.Options()
				if opts == nil {
					opts = map[string]string{}
					m.SetOptions(opts)
				}
				m.SetOptionsKey(OptionsKey(opts))
				return next.Mutate(ctx, m)
			})
		}, ent.OpCreate),
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.VariantFunc(func(ctx context.Context, m *gen.VariantMutation) (ent.Value, error) {
				_, set := m.Stock()
				_, added := m.AddedStock()
				if set || added {
					return nil, ErrStockSet
				}
				for _, f := range append(m.Fields(), m.ClearedFields()...) {
					if f != variant.FieldUpdatedAt && f != variant.FieldVersion {
						m.AddVersion(1)
						break
					}
				}
				return next.Mutate(ctx, m)
			})
		}, ent.OpUpdate|ent.OpUpdateOne),
	}
}
