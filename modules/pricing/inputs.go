package pricing

import (
	"time"

	"shop/internal/valid"
	"shop/schema"
)

// DiscountInput creates a discount (POST /api/v1/admin/discounts and the
// GraphQL createDiscount mutation).
type DiscountInput struct {
	Code             string     `json:"code"`
	Type             string     `json:"type"`
	Value            *int64     `json:"value"`
	MinSubtotal      *int64     `json:"min_subtotal"`
	StartsAt         *time.Time `json:"starts_at"`
	EndsAt           *time.Time `json:"ends_at"`
	UsageLimit       *int       `json:"usage_limit"`
	PerCustomerLimit *int       `json:"per_customer_limit"`
	IsActive         *bool      `json:"is_active"`
}

// Validate checks every field against API.md's limits.
func (in DiscountInput) Validate() error {
	var f valid.Fields
	if f.Required("code", in.Code != "") {
		f.Check("code", schema.DiscountCodePattern.MatchString(in.Code), "must be 3 to 64 characters of A-Z a-z 0-9 _ -")
	}
	if f.Required("type", in.Type != "") {
		f.OneOf("type", in.Type, schema.DiscountTypePercentage, schema.DiscountTypeFixed)
	}
	if f.Required("value", in.Value != nil) {
		limit := int64(schema.MaxPrice)
		if in.Type == schema.DiscountTypePercentage {
			limit = schema.MaxDiscountPercent
		}
		f.Range("value", *in.Value, 1, limit)
	}
	limits(&f, in.MinSubtotal, in.UsageLimit, in.PerCustomerLimit)
	window(&f, in.StartsAt, in.EndsAt)
	return f.Err()
}

// DiscountPatch changes a discount; absent fields are left alone. The
// window's ends are set (Set), cleared (Set with nil) or left.
type DiscountPatch struct {
	MinSubtotal      *int64
	StartsAtSet      bool
	StartsAt         *time.Time
	EndsAtSet        bool
	EndsAt           *time.Time
	UsageLimitSet    bool
	UsageLimit       *int
	PerCustomerSet   bool
	PerCustomerLimit *int
	IsActive         *bool
}

// Validate checks the fields given. The window is checked against the
// stored ends by the CHECK discount_window (a conflict).
func (p DiscountPatch) Validate() error {
	var f valid.Fields
	limits(&f, p.MinSubtotal, p.UsageLimit, p.PerCustomerLimit)
	window(&f, p.StartsAt, p.EndsAt)
	return f.Err()
}

func limits(f *valid.Fields, minSubtotal *int64, usage, perCustomer *int) {
	if minSubtotal != nil {
		f.Range("min_subtotal", *minSubtotal, 0, schema.MaxMinSubtotal)
	}
	if usage != nil {
		f.Range("usage_limit", int64(*usage), 1, schema.MaxUsageLimit)
	}
	if perCustomer != nil {
		f.Range("per_customer_limit", int64(*perCustomer), 1, schema.MaxPerCustomerLimit)
	}
}

func window(f *valid.Fields, from, to *time.Time) {
	if from != nil && to != nil {
		f.Check("ends_at", to.After(*from), "must be after starts_at")
	}
}

// CodeInput is the body of PUT /api/v1/cart/discount.
type CodeInput struct {
	Code string `json:"code"`
}

// Validate checks the code is present and not absurdly long; any other
// shape is simply a code no discount has (discount_invalid).
func (in CodeInput) Validate() error {
	var f valid.Fields
	if f.Required("code", in.Code != "") {
		f.Text("code", in.Code, 1, 200)
	}
	return f.Err()
}
