package catalog

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect"

	"shop/ent"
	"shop/ent/predicate"
	"shop/ent/product"
	"shop/ent/variant"
	"shop/internal/apperr"
	"shop/internal/page"
	"shop/internal/valid"
	"shop/schema"
)

// variantCreate is the create of v for product productID (stock 0 and
// active unless v says otherwise; options {} when none).
func variantCreate(db *ent.Client, productID int, v VariantInput) *ent.VariantCreate {
	opts := v.Options
	if opts == nil {
		opts = map[string]string{}
	}
	stock := 0
	if v.Stock != nil {
		stock = *v.Stock
	}
	return db.Variant.Create().
		SetProductID(productID).
		SetNillableSku(v.SKU).
		SetOptions(opts).
		SetNillablePrice(v.Price).
		SetStock(stock).
		SetIsActive(v.IsActive == nil || *v.IsActive)
}

// CreateVariant adds a variant to a product that has options, with its
// initial stock as an `initial` movement, on db (run it in a transaction).
// Two concurrent creates of the same options meet the unique index
// (product_id, options_key): one commits, the other is conflict; the
// product's row is locked first (lockProduct), so concurrent creates can't
// pass the 100-variant limit together. Errors: validation_failed (a product without options, the
// options not the product's, past 100 variants), not_found, conflict (a
// SKU or the options taken).
func (s *Service) CreateVariant(ctx context.Context, db *ent.Client, productID int, in VariantInput) (*ent.Variant, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	p, err := s.lockProduct(ctx, db, productID)
	if err != nil {
		return nil, err
	}
	if len(p.Options) == 0 {
		return nil, apperr.Validation(apperr.Field("options", "a product without options has exactly one variant"))
	}
	if err := (ProductInput{Options: p.Options, Variants: []VariantInput{in}}).variantsErr(); err != nil {
		return nil, err
	}
	n, err := db.Variant.Query().Where(variant.ProductID(productID)).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count variants: %w", err)
	}
	if n >= schema.MaxVariants {
		return nil, apperr.Validation(apperr.Field("variants", fmt.Sprintf("a product takes at most %d variants", schema.MaxVariants)))
	}
	v, err := variantCreate(db, productID, in).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create variant: %w", err)
	}
	if err := s.Stock.RecordInitial(ctx, db, productID, v.ID, v.Stock); err != nil {
		return nil, err
	}
	v.Edges.Product = p
	return v, nil
}

// variantsErr checks in's variants against its option names.
func (in ProductInput) variantsErr() error {
	var f valid.Fields
	for _, v := range in.Variants {
		v.validate(&f, "", in.Options)
	}
	return f.Err()
}

// GetVariant returns a live variant of a live product, with its product.
// Errors: not_found.
func (s *Service) GetVariant(ctx context.Context, db *ent.Client, id int) (*ent.Variant, error) {
	v, err := db.Variant.Query().Where(variant.ID(id), variant.HasProductWith(product.DeletedAtIsNil())).
		WithProduct().Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("variant %d: %w", id, err)
	}
	return v, nil
}

// VariantFilter narrows the admin's variant list.
type VariantFilter struct {
	SKU       string
	ProductID *int
}

// ListVariants returns up to limit+1 live variants of live products after
// the cursor, in id order, with their products.
func (s *Service) ListVariants(ctx context.Context, db *ent.Client, f VariantFilter, p page.Params) ([]*ent.Variant, error) {
	q := db.Variant.Query().Where(variant.HasProductWith(product.DeletedAtIsNil()))
	if f.SKU != "" {
		q.Where(variant.Sku(f.SKU))
	}
	if f.ProductID != nil {
		q.Where(variant.ProductID(*f.ProductID))
	}
	q.Where(predicate.Variant(page.IDOrder.After(p.Cursor)))
	return q.Order(page.IDOrder.Order()).Limit(p.Limit + 1).WithProduct().All(ctx)
}

// UpdateVariant applies a patch. Errors: not_found, version_conflict,
// validation_failed, conflict (a SKU taken).
func (s *Service) UpdateVariant(ctx context.Context, db *ent.Client, id int, p VariantPatch) (*ent.Variant, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	cur, err := s.GetVariant(ctx, db, id)
	if err != nil {
		return nil, err
	}
	if p.IfVersion != nil && *p.IfVersion != cur.Version {
		return nil, apperr.New(apperr.VersionConflict, "the variant changed since you read it; GET it again for the current ETag")
	}
	upd := db.Variant.UpdateOneID(id).Where(variant.Version(cur.Version))
	if p.SKU != nil {
		upd.SetSku(*p.SKU)
	}
	if p.PriceSet {
		upd.SetNillablePrice(p.Price)
		if p.Price == nil {
			upd.ClearPrice()
		}
	}
	if p.IsActive != nil {
		upd.SetIsActive(*p.IsActive)
	}
	v, err := upd.Save(ctx)
	if ent.IsNotFound(err) {
		if p.IfVersion != nil {
			return nil, apperr.New(apperr.VersionConflict, "the variant changed since you read it; GET it again for the current ETag")
		}
		return nil, apperr.New(apperr.Conflict, "the variant changed while it was being updated; retry")
	}
	if err != nil {
		return nil, fmt.Errorf("update variant %d: %w", id, err)
	}
	v.Edges.Product = cur.Edges.Product
	return v, nil
}

// lockProduct reads a live product and, on PostgreSQL, locks its row until
// the transaction ends (SQLite's immediate transaction holds the write lock
// already), so the count of its variants that CreateVariant and
// DeleteVariant check can't change under them: two creates can't both pass
// the 100-variant limit, two deletes can't both leave it variant-less.
func (s *Service) lockProduct(ctx context.Context, db *ent.Client, id int) (*ent.Product, error) {
	q := db.Product.Query().Where(product.ID(id))
	if s.Dialect == dialect.Postgres {
		q.ForUpdate()
	}
	p, err := q.Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("product %d: %w", id, err)
	}
	return p, nil
}

// DeleteVariant soft-deletes a variant (kept for order history). The
// product's row is locked first (PostgreSQL: FOR UPDATE) so two deletes of
// its last two variants can't both pass the "not the last one" check.
// Errors: not_found, conflict (the product's last live variant).
func (s *Service) DeleteVariant(ctx context.Context, db *ent.Client, id int) error {
	v, err := s.GetVariant(ctx, db, id)
	if err != nil {
		return err
	}
	if _, err := s.lockProduct(ctx, db, v.ProductID); err != nil {
		return err
	}
	n, err := db.Variant.Query().Where(variant.ProductID(v.ProductID)).Count(ctx)
	if err != nil {
		return fmt.Errorf("count variants: %w", err)
	}
	if n <= 1 {
		return apperr.New(apperr.Conflict, "a product keeps at least one variant; delete the product instead")
	}
	if err := db.Variant.DeleteOneID(id).Exec(ctx); err != nil {
		return fmt.Errorf("delete variant %d: %w", id, err)
	}
	return nil
}
