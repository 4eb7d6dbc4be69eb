package catalog

import (
	"context"
	"fmt"

	"shop/ent"
	"shop/ent/predicate"
	"shop/ent/product"
	"shop/ent/variant"
	"shop/internal/apperr"
	"shop/internal/database"
	"shop/internal/page"
	"shop/schema"
)

// ProductSorts are the orders of the product list.
var ProductSorts = map[string]page.Sort{
	"created_at":  {Name: "created_at", Column: product.FieldCreatedAt, Kind: "time"},
	"-created_at": {Name: "-created_at", Column: product.FieldCreatedAt, Desc: true, Kind: "time"},
	"price":       {Name: "price", Column: product.FieldPrice, Kind: "int"},
	"-price":      {Name: "-price", Column: product.FieldPrice, Desc: true, Kind: "int"},
	"name":        {Name: "name", Column: product.FieldName, Kind: "string"},
}

// ProductCursor is the cursor after p in sort s.
func ProductCursor(s page.Sort) func(*ent.Product) page.Cursor {
	return func(p *ent.Product) page.Cursor {
		var v any
		switch s.Column {
		case product.FieldCreatedAt:
			v = p.CreatedAt
		case product.FieldPrice:
			v = p.Price
		case product.FieldName:
			v = p.Name
		}
		return page.Cursor{Sort: s.Name, Value: page.FormatValue(v), ID: p.ID}
	}
}

// ProductFilter narrows the product list.
type ProductFilter struct {
	CategoryIDs []int // nil: any; empty non-nil: none
	Query       string
	MinPrice    *int64
	MaxPrice    *int64
	InStock     bool
}

// ListProducts returns up to limit+1 active products after the cursor.
func (s *Service) ListProducts(ctx context.Context, db *ent.Client, f ProductFilter, sort page.Sort, p page.Params) ([]*ent.Product, error) {
	if f.CategoryIDs != nil && len(f.CategoryIDs) == 0 {
		return nil, nil
	}
	q := db.Product.Query().Where(product.IsActive(true))
	if f.CategoryIDs != nil {
		q.Where(product.CategoryIDIn(f.CategoryIDs...))
	}
	if f.Query != "" {
		// ILIKE on PostgreSQL (served by the pg_trgm indexes), LOWER() LIKE
		// on SQLite; Ent escapes %, _ and \ in the user's text. Planned for
		// the actual term: a rare term reads the trigram indexes, a common
		// one walks the sort's index (docs/benchmarks.md).
		q.Where(product.Or(product.NameContainsFold(f.Query), product.DescriptionContainsFold(f.Query)))
		ctx = database.CustomPlan(ctx)
	}
	if f.MinPrice != nil {
		q.Where(product.PriceGTE(*f.MinPrice))
	}
	if f.MaxPrice != nil {
		q.Where(product.PriceLTE(*f.MaxPrice))
	}
	if f.InStock {
		q.Where(product.StockGT(0))
	}
	q.Where(predicate.Product(sort.After(p.Cursor)))
	rows, err := q.Order(sort.Order()).Limit(p.Limit + 1).
		WithVariants(variantsFor(false)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	return rows, nil
}

// variantsFor loads a product's variants in id order, with one statement
// for all the products read: the live ones (deleted ones never, even for an
// admin reading a deleted product), only the active ones unless withHidden.
func variantsFor(withHidden bool) func(*ent.VariantQuery) {
	return func(q *ent.VariantQuery) {
		q.Where(variant.DeletedAtIsNil()).Order(ent.Asc(variant.FieldID))
		if !withHidden {
			q.Where(variant.IsActive(true))
		}
	}
}

// WithVariants loads p's variants as the product's readers see them (the
// public: active ones; withHidden: every live one), unless already loaded.
func (s *Service) WithVariants(ctx context.Context, db *ent.Client, p *ent.Product, withHidden bool) error {
	if p.Edges.Variants != nil {
		return nil
	}
	q := db.Variant.Query().Where(variant.ProductID(p.ID))
	variantsFor(withHidden)(q)
	vs, err := q.All(ctx)
	if err != nil {
		return fmt.Errorf("product %d variants: %w", p.ID, err)
	}
	p.Edges.Variants = vs
	return nil
}

// GetProduct returns a product. Only admins (withHidden) see inactive and
// deleted products; for others they are not_found.
func (s *Service) GetProduct(ctx context.Context, db *ent.Client, id int, withHidden bool) (*ent.Product, error) {
	if withHidden {
		ctx = schema.SkipSoftDelete(ctx)
	}
	p, err := db.Product.Query().Where(product.ID(id)).WithVariants(variantsFor(withHidden)).Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("product %d: %w", id, err)
	}
	if !p.IsActive && !withHidden {
		return nil, apperr.New(apperr.NotFound, "no such product")
	}
	return p, nil
}

// CreateProduct makes a product with its variants (one without options,
// else those of in.Variants) and records each variant's initial stock as
// an `initial` movement, on db (run it in a transaction). The product's
// stock is its variants' sum, kept by the database (the variants' trigger).
// Errors: validation_failed, not_found (category), conflict (a SKU taken,
// two variants with the same options).
func (s *Service) CreateProduct(ctx context.Context, db *ent.Client, in ProductInput) (*ent.Product, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if err := s.liveCategory(ctx, db, *in.CategoryID, "no such category"); err != nil {
		return nil, err
	}
	options := in.Options
	if options == nil {
		options = []string{}
	}
	p, err := db.Product.Create().
		SetCategoryID(*in.CategoryID).
		SetName(in.Name).
		SetDescription(in.Description).
		SetPrice(*in.Price).
		SetIsActive(in.IsActive == nil || *in.IsActive).
		SetOptions(options).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create product: %w", err)
	}
	vs := in.Variants
	if in.Options == nil {
		vs = []VariantInput{{SKU: in.SKU, Options: map[string]string{}, Stock: in.Stock}}
	}
	creates := make([]*ent.VariantCreate, len(vs))
	for i, v := range vs {
		creates[i] = variantCreate(db, p.ID, v)
	}
	variants, err := db.Variant.CreateBulk(creates...).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create variants: %w", err)
	}
	for _, v := range variants {
		if err := s.Stock.RecordInitial(ctx, db, p.ID, v.ID, v.Stock); err != nil {
			return nil, err
		}
		p.Stock += v.Stock // as the trigger summed it
	}
	p.Edges.Variants = variants
	return p, nil
}

// UpdateProduct applies a patch. Errors: not_found (product or category),
// version_conflict (IfVersion is stale), validation_failed.
func (s *Service) UpdateProduct(ctx context.Context, db *ent.Client, id int, p ProductPatch) (*ent.Product, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	cur, err := db.Product.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("product %d: %w", id, err)
	}
	if p.IfVersion != nil && *p.IfVersion != cur.Version {
		return nil, versionConflict()
	}
	upd := db.Product.UpdateOneID(id).Where(product.Version(cur.Version), product.DeletedAtIsNil())
	if p.CategoryID != nil {
		if err := s.liveCategory(ctx, db, *p.CategoryID, "no such category"); err != nil {
			return nil, err
		}
		upd.SetCategoryID(*p.CategoryID)
	}
	if p.Name != nil {
		upd.SetName(*p.Name)
	}
	if p.Description != nil {
		upd.SetDescription(*p.Description)
	}
	if p.Price != nil {
		upd.SetPrice(*p.Price)
	}
	if p.IsActive != nil {
		upd.SetIsActive(*p.IsActive)
	}
	out, err := upd.Save(ctx)
	if ent.IsNotFound(err) {
		// Changed (or deleted) since we read it: with If-Match that is a
		// version conflict; without, the last writer simply retries.
		if p.IfVersion != nil {
			return nil, versionConflict()
		}
		return nil, apperr.New(apperr.Conflict, "the product changed while it was being updated; retry")
	}
	if err != nil {
		return nil, fmt.Errorf("update product %d: %w", id, err)
	}
	return out, nil
}

func versionConflict() error {
	return apperr.New(apperr.VersionConflict, "the product changed since you read it; GET it again for the current ETag")
}

// DeleteProduct soft-deletes a product: gone from the catalog and from
// checkout, kept for order history. Errors: not_found.
func (s *Service) DeleteProduct(ctx context.Context, db *ent.Client, id int) error {
	if err := db.Product.DeleteOneID(id).Exec(ctx); err != nil {
		return fmt.Errorf("delete product %d: %w", id, err)
	}
	return nil
}
