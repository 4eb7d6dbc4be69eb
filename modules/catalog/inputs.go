package catalog

import (
	"shop/internal/valid"
	"shop/schema"
)

// The catalog's inputs. Each validates itself (Validate), and the service
// method that takes it calls Validate first, so REST, GraphQL and the
// command line refuse one bad input with the same validation_failed and
// the same `errors[]`, named by the REST body's JSON names. The limits are
// schema's constants, which the Ent schema enforces again as a backstop.
// REST decodes request bodies straight into these types.

// CategoryInput creates a category.
type CategoryInput struct {
	Name     string `json:"name"`
	Slug     string `json:"slug"`
	ParentID *int   `json:"parent_id"`
}

// Validate checks the name and slug.
func (in CategoryInput) Validate() error {
	var f valid.Fields
	if f.Required("name", in.Name != "") {
		categoryName(&f, in.Name)
	}
	if f.Required("slug", in.Slug != "") {
		slug(&f, in.Slug)
	}
	return f.Err()
}

// CategoryPatch changes a category; nil fields are left alone. ParentSet
// with a nil ParentID makes it a root.
type CategoryPatch struct {
	Name      *string `json:"name"`
	Slug      *string `json:"slug"`
	ParentSet bool    `json:"-"`
	ParentID  *int    `json:"-"`
}

// Validate checks the fields the patch sets.
func (p CategoryPatch) Validate() error {
	var f valid.Fields
	if p.Name != nil {
		categoryName(&f, *p.Name)
	}
	if p.Slug != nil {
		slug(&f, *p.Slug)
	}
	return f.Err()
}

func categoryName(f *valid.Fields, s string) {
	f.Text("name", s, 1, schema.MaxCategoryName)
	f.NotBlank("name", schema.Blank(s))
}

func slug(f *valid.Fields, s string) {
	f.Text("slug", s, 0, schema.MaxSlug)
	f.Check("slug", schema.SlugPattern.MatchString(s), "must be lowercase letters and digits separated by single hyphens")
}

// ProductInput creates a product. CategoryID, Price and Stock are
// required; IsActive defaults to true.
type ProductInput struct {
	CategoryID  *int   `json:"category_id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Price       *int64 `json:"price"`
	// Stock is recorded as the product's `initial` movement.
	Stock    *int  `json:"stock"`
	IsActive *bool `json:"is_active"`
}

// Validate checks every field.
func (in ProductInput) Validate() error {
	var f valid.Fields
	f.Required("category_id", in.CategoryID != nil)
	if f.Required("name", in.Name != "") {
		productName(&f, in.Name)
	}
	description(&f, in.Description)
	if f.Required("price", in.Price != nil) {
		price(&f, *in.Price)
	}
	if f.Required("stock", in.Stock != nil) {
		f.Range("stock", int64(*in.Stock), 0, schema.MaxStock)
	}
	return f.Err()
}

// ProductPatch changes a product; nil fields are left alone. Stock is not
// here: it changes only through stock adjustments, checkout and cancel.
type ProductPatch struct {
	CategoryID  *int    `json:"category_id"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Price       *int64  `json:"price"`
	IsActive    *bool   `json:"is_active"`
	// IfVersion, when set, makes the update conditional on the version
	// (REST: the If-Match header).
	IfVersion *int `json:"-"`
}

// Validate checks the fields the patch sets.
func (p ProductPatch) Validate() error {
	var f valid.Fields
	if p.Name != nil {
		productName(&f, *p.Name)
	}
	if p.Description != nil {
		description(&f, *p.Description)
	}
	if p.Price != nil {
		price(&f, *p.Price)
	}
	return f.Err()
}

func productName(f *valid.Fields, s string) {
	f.Text("name", s, 1, schema.MaxProductName)
	f.NotBlank("name", schema.Blank(s))
}
func description(f *valid.Fields, s string) { f.Text("description", s, 0, schema.MaxDescription) }
func price(f *valid.Fields, v int64)        { f.Range("price", v, 1, schema.MaxPrice) }
