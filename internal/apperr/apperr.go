// Package apperr is the shop's one error type: a stable code that the HTTP
// layer maps to a status and renders as an RFC 9457 problem document.
//
// It is a leaf (standard library only), so that every layer, the schema's
// hooks included, can return coded errors. What Ent's and the database
// drivers' errors mean is decided in one place above it,
// database.Translate.
package apperr

import (
	"fmt"
	"net/http"
)

// Code is the stable, machine-readable name of an error (API.md, Error codes).
type Code string

// The codes of API.md.
const (
	MalformedRequest        Code = "malformed_request"
	Unauthorized            Code = "unauthorized"
	Forbidden               Code = "forbidden"
	NotFound                Code = "not_found"
	MethodNotAllowed        Code = "method_not_allowed"
	InsufficientStock       Code = "insufficient_stock"
	InvalidStatusTransition Code = "invalid_status_transition"
	ProductUnavailable      Code = "product_unavailable"
	PriceChanged            Code = "price_changed"
	Conflict                Code = "conflict"
	VersionConflict         Code = "version_conflict"
	ValidationFailed        Code = "validation_failed"
	EmptyCart               Code = "empty_cart"
	IdempotencyKeyReused    Code = "idempotency_key_reused"
	RateLimited             Code = "rate_limited"
	Unavailable             Code = "unavailable"
	Internal                Code = "internal"
	DiscountInvalid         Code = "discount_invalid"
	DiscountExhausted       Code = "discount_exhausted"
	DiscountNotApplicable   Code = "discount_not_applicable"
	UnsupportedMediaType    Code = "unsupported_media_type"
	VariantRequired         Code = "variant_required"
	StockChanged            Code = "stock_changed"
)

var statuses = map[Code]int{
	MalformedRequest:        http.StatusBadRequest,
	Unauthorized:            http.StatusUnauthorized,
	Forbidden:               http.StatusForbidden,
	NotFound:                http.StatusNotFound,
	MethodNotAllowed:        http.StatusMethodNotAllowed,
	InsufficientStock:       http.StatusConflict,
	InvalidStatusTransition: http.StatusConflict,
	ProductUnavailable:      http.StatusConflict,
	VariantRequired:         http.StatusUnprocessableEntity,
	StockChanged:            http.StatusConflict,
	PriceChanged:            http.StatusConflict,
	Conflict:                http.StatusConflict,
	VersionConflict:         http.StatusPreconditionFailed,
	ValidationFailed:        http.StatusUnprocessableEntity,
	EmptyCart:               http.StatusUnprocessableEntity,
	IdempotencyKeyReused:    http.StatusUnprocessableEntity,
	RateLimited:             http.StatusTooManyRequests,
	Unavailable:             http.StatusServiceUnavailable,
	Internal:                http.StatusInternalServerError,
	DiscountInvalid:         http.StatusUnprocessableEntity,
	DiscountExhausted:       http.StatusConflict,
	DiscountNotApplicable:   http.StatusUnprocessableEntity,
	UnsupportedMediaType:    http.StatusUnsupportedMediaType,
}

// HTTPStatus is the HTTP status of a code.
func (c Code) HTTPStatus() int {
	if s, ok := statuses[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// FieldError is one failed field of a validation_failed error.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a domain error with a code, a message safe to show a client, and
// the extra members its problem document carries (items, from/to, ...).
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	Extra   map[string]any
	Err     error // the cause, logged, never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// With returns e with one more member for the problem document.
func (e *Error) With(key string, value any) *Error {
	if e.Extra == nil {
		e.Extra = map[string]any{}
	}
	e.Extra[key] = value
	return e
}

// Wrap records cause as e's cause (logged, never shown) and returns e.
// Keeping the cause lets database.Translate see what the database said: a
// module that turns a database error into its own code still gets a
// vanished user or an unreachable database answered as such.
func (e *Error) Wrap(cause error) *Error {
	e.Err = cause
	return e
}

// New returns an error with a code and a client-safe message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Validation returns a validation_failed error for the given fields.
func Validation(fields ...FieldError) *Error {
	return &Error{Code: ValidationFailed, Message: "the request has invalid fields", Fields: fields}
}

// Field is a shorthand for one FieldError.
func Field(field, message string) FieldError { return FieldError{Field: field, Message: message} }
