package catalog

import (
	"fmt"

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

// ProductInput creates a product: either with one variant (no Options;
// Stock required, SKU optional: that variant's), or with Options and
// Variants (no Stock, no SKU: those belong to each variant). IsActive
// defaults to true.
type ProductInput struct {
	CategoryID  *int   `json:"category_id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Price       *int64 `json:"price"`
	// Stock is recorded as the only variant's `initial` movement.
	Stock    *int           `json:"stock"`
	SKU      *string        `json:"sku"`
	IsActive *bool          `json:"is_active"`
	Options  []string       `json:"options"`
	Variants []VariantInput `json:"variants"`
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
	switch {
	case in.Options == nil && in.Variants == nil:
		if f.Required("stock", in.Stock != nil) {
			f.Range("stock", int64(*in.Stock), 0, schema.MaxStock)
		}
		if in.SKU != nil {
			sku(&f, "sku", *in.SKU)
		}
	case in.Options == nil:
		f.Add("options", "variants need the product's options")
	case in.Variants == nil:
		f.Add("variants", "a product with options needs its variants")
	default:
		f.Check("stock", in.Stock == nil, "a product with options has its stock on its variants")
		f.Check("sku", in.SKU == nil, "a product with options has its SKUs on its variants")
		optionNames(&f, in.Options)
		if f.Check("variants", len(in.Variants) >= 1 && len(in.Variants) <= schema.MaxVariants,
			fmt.Sprintf("must have 1..%d variants", schema.MaxVariants)) {
			for i, v := range in.Variants {
				v.validate(&f, fmt.Sprintf("variants[%d].", i), in.Options)
			}
		}
	}
	return f.Err()
}

// optionNames checks a product's option names: 1..3, unique, 1..50 chars.
func optionNames(f *valid.Fields, names []string) {
	if !f.Check("options", len(names) >= 1 && len(names) <= schema.MaxOptionNames,
		fmt.Sprintf("must have 1..%d option names", schema.MaxOptionNames)) {
		return
	}
	seen := map[string]bool{}
	for i, n := range names {
		f.Text(fmt.Sprintf("options[%d]", i), n, 1, schema.MaxOptionText)
		f.Check(fmt.Sprintf("options[%d]", i), !seen[n], "option names must be unique")
		seen[n] = true
	}
}

func sku(f *valid.Fields, field, s string) {
	if f.Text(field, s, 1, schema.MaxSKU) {
		f.Check(field, schema.SKUPattern.MatchString(s), "must be letters, digits, '.', '_' or '-'")
	}
}

// VariantInput creates a variant of a product (REST: POST
// /admin/products/{id}/variants, or one of a product create's variants).
// Stock defaults to 0, IsActive to true; Price nil follows the product's.
type VariantInput struct {
	SKU      *string           `json:"sku"`
	Options  map[string]string `json:"options"`
	Price    *int64            `json:"price"`
	Stock    *int              `json:"stock"`
	IsActive *bool             `json:"is_active"`
}

// Validate checks the fields that need no product; the options are checked
// against the product's names by the service (validate).
func (in VariantInput) Validate() error {
	var f valid.Fields
	in.validate(&f, "", nil)
	return f.Err()
}

// validate checks the variant; names, when not nil, are the product's
// option names, which the options' keys must be exactly.
func (in VariantInput) validate(f *valid.Fields, prefix string, names []string) {
	if in.SKU != nil {
		sku(f, prefix+"sku", *in.SKU)
	}
	if in.Price != nil {
		f.Range(prefix+"price", *in.Price, 1, schema.MaxPrice)
	}
	if in.Stock != nil {
		f.Range(prefix+"stock", int64(*in.Stock), 0, schema.MaxStock)
	}
	for k, v := range in.Options {
		f.Text(prefix+"options."+k, v, 1, schema.MaxOptionText)
	}
	if names != nil {
		ok := len(in.Options) == len(names)
		for _, n := range names {
			_, has := in.Options[n]
			ok = ok && has
		}
		f.Check(prefix+"options", ok, "must name a value for exactly each of the product's options")
	}
}

// VariantPatch changes a variant; nil fields are left alone. PriceSet with
// a nil Price makes it follow the product's price again.
type VariantPatch struct {
	SKU      *string `json:"sku"`
	PriceSet bool    `json:"-"`
	Price    *int64  `json:"-"`
	IsActive *bool   `json:"is_active"`
	// IfVersion, when set, makes the update conditional on the version
	// (REST: the If-Match header).
	IfVersion *int `json:"-"`
}

// Validate checks the fields the patch sets.
func (p VariantPatch) Validate() error {
	var f valid.Fields
	if p.SKU != nil {
		sku(&f, "sku", *p.SKU)
	}
	if p.Price != nil {
		f.Range("price", *p.Price, 1, schema.MaxPrice)
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
