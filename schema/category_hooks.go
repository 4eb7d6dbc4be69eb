package schema

import (
	"context"
	"fmt"

	"entgo.io/ent"

	gen "shop/ent"
	"shop/ent/category"
	"shop/ent/hook"
	"shop/ent/product"
	"shop/internal/apperr"
)

// Hooks of the Category: every write is audited (audit_hooks.go), and the
// tree rules below hold.
func (Category) Hooks() []ent.Hook {
	return []ent.Hook{auditHook("category"), categoryTreeHook}
}

// errCategoryCycle is returned when a new parent would make a category its
// own ancestor (422 on parent_id).
func errCategoryCycle() *apperr.Error {
	return apperr.Validation(apperr.Field("parent_id", "would make the category its own ancestor"))
}

// errCategoryInUse is returned when a category that still has live
// sub-categories or products is deleted (409 conflict).
func errCategoryInUse() *apperr.Error {
	return apperr.New(apperr.Conflict, "the category still has sub-categories or products; move or delete them first")
}

// categoryTreeHook keeps the category tree a tree and keeps live products
// and sub-categories out of deleted categories, on every write path.
func categoryTreeHook(next ent.Mutator) ent.Mutator {
	return hook.CategoryFunc(func(ctx context.Context, m *gen.CategoryMutation) (ent.Value, error) {
		parent, moving := m.ParentID()
		_, softDeleting := m.DeletedAt()
		hardDeleting := m.Op().Is(ent.OpDelete | ent.OpDeleteOne)
		if m.Op().Is(ent.OpCreate) || !(moving || softDeleting || hardDeleting) {
			return next.Mutate(ctx, m)
		}
		ids, err := m.IDs(SkipSoftDelete(ctx))
		if err != nil {
			return nil, fmt.Errorf("category ids: %w", err)
		}
		if moving {
			if err := checkAncestry(ctx, m.Client(), ids, parent); err != nil {
				return nil, err
			}
		}
		if hardDeleting {
			if err := checkUnused(ctx, m.Client(), ids); err != nil {
				return nil, err
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil || !softDeleting {
			return v, err
		}
		// Checked after the write: the UPDATE's row lock makes a writer that
		// locked the category to add a child or a product under it finish
		// first, so its row is seen here, and a refusal rolls back.
		if err := checkUnused(ctx, m.Client(), ids); err != nil {
			return nil, err
		}
		return v, nil
	})
}

// checkAncestry refuses a parent whose ancestors include one of ids.
func checkAncestry(ctx context.Context, c *gen.Client, ids []int, parent int) error {
	all, err := c.Category.Query().Select(category.FieldID, category.FieldParentID).All(SkipSoftDelete(ctx))
	if err != nil {
		return fmt.Errorf("category tree: %w", err)
	}
	parentOf := make(map[int]*int, len(all))
	for _, cat := range all {
		parentOf[cat.ID] = cat.ParentID
	}
	moving := make(map[int]bool, len(ids))
	for _, id := range ids {
		moving[id] = true
	}
	for cur, steps := &parent, 0; cur != nil && steps <= len(all); cur, steps = parentOf[*cur], steps+1 {
		if moving[*cur] {
			return errCategoryCycle()
		}
	}
	return nil
}

// checkUnused refuses deleting categories that keep live children or
// products.
func checkUnused(ctx context.Context, c *gen.Client, ids []int) error {
	if len(ids) == 0 {
		return nil
	}
	children, err := c.Category.Query().Where(category.ParentIDIn(ids...)).Exist(ctx)
	if err != nil {
		return err
	}
	products, err := c.Product.Query().Where(product.CategoryIDIn(ids...)).Exist(ctx)
	if err != nil {
		return err
	}
	if children || products {
		return errCategoryInUse()
	}
	return nil
}
