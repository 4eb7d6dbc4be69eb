package cart

import (
	"shop/internal/valid"
	"shop/schema"
)

// AddInput is a variant (or a one-variant product) and a quantity to add
// to the cart (REST: the POST /cart/items body). Add validates it first.
type AddInput struct {
	VariantID *int `json:"variant_id"`
	ProductID *int `json:"product_id"`
	Quantity  *int `json:"quantity"`
}

// Validate checks that exactly one of the ids is given and the quantity is
// in the line range.
func (in AddInput) Validate() error {
	var f valid.Fields
	switch {
	case in.VariantID == nil && in.ProductID == nil:
		f.Add("variant_id", "is required (or product_id, for a product with one variant)")
	case in.VariantID != nil && in.ProductID != nil:
		f.Add("product_id", "give variant_id or product_id, not both")
	}
	quantity(&f, in.Quantity)
	return f.Err()
}

// QuantityInput is a line's new quantity (REST: the PATCH body).
// SetQuantity validates it first.
type QuantityInput struct {
	Quantity *int `json:"quantity"`
}

// Validate checks that the quantity is given and in the line range.
func (in QuantityInput) Validate() error {
	var f valid.Fields
	quantity(&f, in.Quantity)
	return f.Err()
}

func quantity(f *valid.Fields, q *int) {
	if f.Required("quantity", q != nil) {
		f.Range("quantity", int64(*q), schema.MinLineQuantity, schema.MaxLineQuantity)
	}
}
