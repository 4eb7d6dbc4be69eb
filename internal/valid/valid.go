// Package valid is what service inputs' Validate methods are written with:
// it collects failed fields, in the order they are checked, as one
// validation_failed error (422, `errors[]` named by the JSON field names).
// Each field reports its first failure only.
//
// The limits are the callers' (constants of package schema); this package
// only words the messages, so one rule reads the same through REST, GraphQL
// and the command line.
package valid

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"shop/internal/apperr"
)

// Fields collects an input's failed fields.
type Fields []apperr.FieldError

// Err is nil when no field failed, else validation_failed with the fields.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return apperr.Validation(f...)
}

// Check adds field with message unless ok; it reports ok. A field that
// has already failed is not checked again: each field reports its first
// failure, so `Required` then `Text` read as one rule.
func (f *Fields) Check(field string, ok bool, message string) bool {
	for _, e := range *f {
		if e.Field == field {
			return false
		}
	}
	if !ok {
		*f = append(*f, apperr.Field(field, message))
	}
	return ok
}

// Add records one more failure of field, whether or not it failed
// already: for a list whose every bad item is worth naming.
func (f *Fields) Add(field, message string) {
	*f = append(*f, apperr.Field(field, message))
}

// Required fails a field that is absent (or empty text).
func (f *Fields) Required(field string, present bool) bool {
	return f.Check(field, present, "is required")
}

// Text checks that s has min to max characters (runes, as API.md counts).
func (f *Fields) Text(field, s string, min, max int) bool {
	n := utf8.RuneCountInString(s)
	return f.Check(field, n >= min, fmt.Sprintf("must be at least %d characters", min)) &&
		f.Check(field, n <= max, fmt.Sprintf("must be at most %d characters", max))
}

// NotBlank fails a text that shows nothing (blank: the caller's
// schema.Blank, spaces and invisible characters only).
func (f *Fields) NotBlank(field string, blank bool) bool {
	return f.Check(field, !blank, "must not be blank: it has only spaces or invisible characters")
}

// Range checks that min <= v <= max.
func (f *Fields) Range(field string, v, min, max int64) bool {
	return f.Check(field, v >= min, fmt.Sprintf("must be at least %d", min)) &&
		f.Check(field, v <= max, fmt.Sprintf("must be at most %d", max))
}

// NotZero fails a zero number.
func (f *Fields) NotZero(field string, v int64) bool {
	return f.Check(field, v != 0, "must not be 0")
}

// OneOf checks that v is one of allowed.
func (f *Fields) OneOf(field, v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return f.Check(field, false, "must be one of: "+strings.Join(allowed, ", "))
}

var emails = validator.New()

// Email checks that s is an email address (RFC 5322's addr-spec, as
// go-playground/validator reads it).
func (f *Fields) Email(field, s string) bool {
	return f.Check(field, emails.Var(s, "email") == nil, "must be an email address")
}
