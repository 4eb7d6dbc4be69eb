package catalog

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect"

	"shop/ent"
	"shop/ent/category"
	"shop/internal/apperr"
)

// treeLockKey serializes changes of the category tree on PostgreSQL, so two
// concurrent re-parentings can't close a cycle that neither saw.
const treeLockKey = 7_462_431_002

// ListCategories returns every category that is not deleted, by id.
func (s *Service) ListCategories(ctx context.Context, db *ent.Client) ([]*ent.Category, error) {
	return db.Category.Query().Order(ent.Asc(category.FieldID)).All(ctx)
}

// CreateCategory makes a category. Errors: validation_failed, not_found
// (parent), conflict (slug taken).
func (s *Service) CreateCategory(ctx context.Context, db *ent.Client, in CategoryInput) (*ent.Category, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.ParentID != nil {
		if err := s.liveCategory(ctx, db, *in.ParentID, "no such parent category"); err != nil {
			return nil, err
		}
	}
	c, err := db.Category.Create().SetName(in.Name).SetSlug(in.Slug).SetNillableParentID(in.ParentID).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create category: %w", err)
	}
	return c, nil
}

// UpdateCategory applies a patch. Errors: not_found (category or parent),
// validation_failed (a parent cycle, refused by the schema's hook),
// conflict (slug taken).
func (s *Service) UpdateCategory(ctx context.Context, db *ent.Client, id int, p CategoryPatch) (*ent.Category, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.ParentSet {
		if err := s.lockTree(ctx, db); err != nil {
			return nil, err
		}
	}
	c, err := db.Category.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("category %d: %w", id, err)
	}
	upd := db.Category.UpdateOne(c)
	if p.Name != nil {
		upd.SetName(*p.Name)
	}
	if p.Slug != nil {
		upd.SetSlug(*p.Slug)
	}
	if p.ParentSet {
		if p.ParentID == nil {
			upd.ClearParentID()
		} else {
			if err := s.liveCategory(ctx, db, *p.ParentID, "no such parent category"); err != nil {
				return nil, err
			}
			upd.SetParentID(*p.ParentID)
		}
	}
	c, err = upd.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update category %d: %w", id, err)
	}
	return c, nil
}

// liveCategory fails with not_found unless the category exists and is not
// deleted. On PostgreSQL it also locks the row (FOR SHARE) until the
// transaction ends, so a concurrent delete of it waits and then sees what
// this transaction put under it.
func (s *Service) liveCategory(ctx context.Context, db *ent.Client, id int, msg string) error {
	q := db.Category.Query().Where(category.ID(id))
	if s.Dialect == dialect.Postgres {
		q.ForShare()
	}
	ids, err := q.IDs(ctx)
	if err != nil {
		return fmt.Errorf("category %d: %w", id, err)
	}
	if len(ids) == 0 {
		return apperr.New(apperr.NotFound, "%s", msg)
	}
	return nil
}

func (s *Service) lockTree(ctx context.Context, db *ent.Client) error {
	if s.Dialect != dialect.Postgres {
		return nil // SQLite: the immediate transaction already serializes writers
	}
	if _, err := db.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", treeLockKey); err != nil {
		return fmt.Errorf("lock category tree: %w", err)
	}
	return nil
}

// DeleteCategory soft-deletes a category. The schema's hook refuses one
// that still has live sub-categories or products. Errors: not_found,
// conflict.
func (s *Service) DeleteCategory(ctx context.Context, db *ent.Client, id int) error {
	if err := s.lockTree(ctx, db); err != nil {
		return err
	}
	if err := db.Category.DeleteOneID(id).Exec(ctx); err != nil {
		return fmt.Errorf("delete category %d: %w", id, err)
	}
	return nil
}

// Descendants returns the ids of the category with the slug and of all its
// sub-categories; none if the slug names no category.
func (s *Service) Descendants(ctx context.Context, db *ent.Client, slug string) ([]int, error) {
	all, err := db.Category.Query().Select(category.FieldID, category.FieldSlug, category.FieldParentID).All(ctx)
	if err != nil {
		return nil, err
	}
	children := map[int][]int{}
	root := 0
	for _, c := range all {
		if c.Slug == slug {
			root = c.ID
		}
		if c.ParentID != nil {
			children[*c.ParentID] = append(children[*c.ParentID], c.ID)
		}
	}
	if root == 0 {
		return nil, nil
	}
	ids := []int{root}
	for i := 0; i < len(ids) && i <= len(all); i++ {
		ids = append(ids, children[ids[i]]...)
	}
	return ids, nil
}
