package schema

import (
	"errors"
	"fmt"
	"regexp"
	"unicode"
	"unicode/utf8"

	"shop/modules/inventory/stock"
)

// Hard limits of the data, repeated from API.md so that every write path
// (REST, GraphQL, command line) is held to them by Ent's validators and, where
// it matters for correctness, by CHECK constraints in the database.
//
// Service inputs validate against the same constants (their Validate
// methods), so one limit is written once: here.
const (
	MaxPrice        = 10_000_000_000 // 10^10 minor units
	MaxStock        = stock.MaxStock // 10^9 units, the inventory module's
	MinLineQuantity = 1
	MaxLineQuantity = 1000
	MaxKeyLength    = 255

	MaxCategoryName = 100    // characters
	MaxSlug         = 100    // characters (ASCII: SlugPattern)
	MaxProductName  = 200    // characters
	MaxDescription  = 10_000 // characters, of a product
	MaxEmail        = 254    // characters
	MaxUserName     = 200    // characters
	MaxWebhookURL   = 2048   // characters
	MaxWebhookAbout = 500    // characters, a webhook's description
	MaxAPIKeyName   = 200    // characters
	MaxSKU          = 64     // characters (ASCII: SKUPattern)
	MaxOptionNames  = 3      // option names of a product
	MaxOptionText   = 50     // characters, an option's name or value
	MaxVariants     = 100    // variants of a product
)

// SlugPattern is the shape of a category slug.
var SlugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// SKUPattern is the shape of a variant's SKU.
var SKUPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// MaxRunes is a field validator of at most n characters (Ent's MaxLen
// counts bytes; API.md's limits count characters).
func MaxRunes(n int) func(string) error {
	return func(s string) error {
		if utf8.RuneCountInString(s) > n {
			return fmt.Errorf("must be at most %d characters", n)
		}
		return nil
	}
}

// Limits of discount codes (API.md, Discount codes).
const (
	MinDiscountCode        = 3                 // characters (ASCII: DiscountCodePattern)
	MaxDiscountCode        = 64                // characters
	MaxDiscountPercent     = 100               // a percentage code's value
	MaxMinSubtotal         = 1_000_000_000_000 // 10^12 minor units
	MaxUsageLimit          = 1_000_000_000     // 10^9 uses
	MaxPerCustomerLimit    = 1_000_000         // 10^6 uses per customer
	DiscountTypePercentage = "percentage"
	DiscountTypeFixed      = "fixed"
)

// DiscountCodePattern is the shape of a discount code.
var DiscountCodePattern = regexp.MustCompile(fmt.Sprintf(`^[A-Za-z0-9_-]{%d,%d}$`, MinDiscountCode, MaxDiscountCode))

// Blank reports whether s shows nothing: it has only white space and
// invisible characters (controls, format characters such as the zero-width
// space, joiners, bidi marks, the byte order mark and the soft hyphen,
// variation selectors, the other default-ignorable code points such as the
// Hangul fillers, and the braille blank). A name must not be blank; this is
// the one definition, used by the field validators (NotBlank) and the
// service inputs' Validate.
func Blank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zs, unicode.Zl, unicode.Zp,
			unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point) && r != '\u2800' {
			return false
		}
	}
	return true
}

// ErrBlank is the field validators' error for a blank name.
var ErrBlank = errors.New("must not be blank: it has only spaces or invisible characters")

// NotBlank is a field validator refusing a blank text (see Blank).
func NotBlank(s string) error {
	if Blank(s) {
		return ErrBlank
	}
	return nil
}
