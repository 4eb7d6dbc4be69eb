package apperr_test

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"shop/internal/apperr"
)

// TestHTTPStatus pins every code of API.md to its status; an unknown code is
// a 500, never a 2xx.
func TestHTTPStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code apperr.Code
		want int
	}{
		{apperr.MalformedRequest, http.StatusBadRequest},
		{apperr.Unauthorized, http.StatusUnauthorized},
		{apperr.Forbidden, http.StatusForbidden},
		{apperr.NotFound, http.StatusNotFound},
		{apperr.MethodNotAllowed, http.StatusMethodNotAllowed},
		{apperr.InsufficientStock, http.StatusConflict},
		{apperr.InvalidStatusTransition, http.StatusConflict},
		{apperr.ProductUnavailable, http.StatusConflict},
		{apperr.PriceChanged, http.StatusConflict},
		{apperr.Conflict, http.StatusConflict},
		{apperr.VersionConflict, http.StatusPreconditionFailed},
		{apperr.ValidationFailed, http.StatusUnprocessableEntity},
		{apperr.EmptyCart, http.StatusUnprocessableEntity},
		{apperr.IdempotencyKeyReused, http.StatusUnprocessableEntity},
		{apperr.RateLimited, http.StatusTooManyRequests},
		{apperr.UnsupportedMediaType, http.StatusUnsupportedMediaType},
		{apperr.Unavailable, http.StatusServiceUnavailable},
		{apperr.Internal, http.StatusInternalServerError},
		{apperr.Code("no_such_code"), http.StatusInternalServerError},
		{apperr.Code(""), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			t.Parallel()
			if got := tt.code.HTTPStatus(); got != tt.want {
				t.Errorf("%q.HTTPStatus() = %d, want %d", tt.code, got, tt.want)
			}
		})
	}
}

// TestConstructors: New formats its message, Validation carries its
// fields, With adds problem-document members.
func TestConstructors(t *testing.T) {
	t.Parallel()
	e := apperr.New(apperr.NotFound, "no product %d", 7)
	if e.Code != apperr.NotFound || e.Message != "no product 7" || e.Err != nil {
		t.Errorf("New = %+v", e)
	}
	if got, want := e.Error(), "not_found: no product 7"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if e.With("id", 7).With("kind", "product") != e || !reflect.DeepEqual(e.Extra, map[string]any{"id": 7, "kind": "product"}) {
		t.Errorf("With: Extra = %#v", e.Extra)
	}

	v := apperr.Validation(apperr.Field("email", "is required"), apperr.Field("name", "is too long"))
	if v.Code != apperr.ValidationFailed || v.Code.HTTPStatus() != http.StatusUnprocessableEntity {
		t.Errorf("Validation code = %q", v.Code)
	}
	want := []apperr.FieldError{{Field: "email", Message: "is required"}, {Field: "name", Message: "is too long"}}
	if !reflect.DeepEqual(v.Fields, want) {
		t.Errorf("Validation fields = %#v, want %#v", v.Fields, want)
	}
}

// TestWrapping: an *Error keeps its cause for logs and errors.Is, and is
// found again through fmt.Errorf wrapping (database.Translate returns it
// as it is: TestTranslate_Pure).
func TestWrapping(t *testing.T) {
	t.Parallel()
	cause := errors.New("dial tcp: connection refused")
	e := &apperr.Error{Code: apperr.Unavailable, Message: "try again", Err: cause}
	if !errors.Is(e, cause) {
		t.Error("errors.Is(e, cause) = false")
	}
	if got := e.Error(); !strings.Contains(got, "unavailable") || !strings.Contains(got, "connection refused") {
		t.Errorf("Error() = %q, want code and cause", got)
	}
	wrapped := fmt.Errorf("checkout: %w", fmt.Errorf("tx: %w", e))
	var got *apperr.Error
	if !errors.As(wrapped, &got) || got != e {
		t.Fatalf("errors.As through two wraps = %v", got)
	}
}
