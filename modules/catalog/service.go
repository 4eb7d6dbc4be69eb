// Package catalog owns categories and products: the category tree, product
// reads and search, and the admin's product writes.
package catalog

import (
	"context"
	"fmt"

	"shop/ent"
	"shop/ent/inventorymovement"
)

// Stock is what catalog needs from inventory: recording a new product's
// initial stock as a movement, and adjusting stock with its movement, in the
// caller's transaction.
type Stock interface {
	RecordInitial(ctx context.Context, db *ent.Client, productID, stock int) error
	Adjust(ctx context.Context, db *ent.Client, productID, change int, reason inventorymovement.Reason, orderID *int) error
}

// Service implements the catalog's use cases on the caller's client.
type Service struct {
	Stock Stock
	// Dialect is the database's (dialect.Postgres or dialect.SQLite).
	Dialect string
}

// CategoryInput creates a category.
type CategoryInput struct {
	Name     string
	Slug     string
	ParentID *int
}

// CreateCategory makes a category. Errors: validation_failed, not_found
// (parent), conflict (slug taken).
func (s *Service) CreateCategory(ctx context.Context, db *ent.Client, in CategoryInput) (*ent.Category, error) {
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

// ProductInput creates a product.
type ProductInput struct {
	CategoryID  int
	Name        string
	Description string
	Price       int64
	Stock       int
	IsActive    bool
}

// CreateProduct makes a product and records its initial stock as an
// `initial` movement, on db (run it in a transaction).
// Errors: validation_failed, not_found (category).
func (s *Service) CreateProduct(ctx context.Context, db *ent.Client, in ProductInput) (*ent.Product, error) {
	if err := s.liveCategory(ctx, db, in.CategoryID, "no such category"); err != nil {
		return nil, err
	}
	p, err := db.Product.Create().
		SetCategoryID(in.CategoryID).
		SetName(in.Name).
		SetDescription(in.Description).
		SetPrice(in.Price).
		SetStock(in.Stock).
		SetIsActive(in.IsActive).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create product: %w", err)
	}
	if err := s.Stock.RecordInitial(ctx, db, p.ID, in.Stock); err != nil {
		return nil, err
	}
	return p, nil
}
