package schema

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"shop/internal/apperr"
)

// TestErrors: the schema's refusals are coded errors with the problem
// members API.md gives them, found through wrapping (before, apperr
// translated the schema's own error types into these).
func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        *apperr.Error
		code       apperr.Code
		wantExtra  map[string]any
		wantFields []string
	}{
		{"transition", errTransition("shipped", "pending"), apperr.InvalidStatusTransition,
			map[string]any{"from": "shipped", "to": "pending"}, nil},
		{"concurrent change", errConcurrentChange(7), apperr.Conflict, nil, nil},
		{"category cycle", errCategoryCycle(), apperr.ValidationFailed, nil, []string{"parent_id"}},
		{"category in use", errCategoryInUse(), apperr.Conflict, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var e *apperr.Error
			if !errors.As(fmt.Errorf("save: %w", tt.err), &e) || e != tt.err {
				t.Fatalf("%v is not found through wrapping", tt.err)
			}
			if e.Code != tt.code {
				t.Fatalf("Code = %q, want %q", e.Code, tt.code)
			}
			if e.Message == "" {
				t.Error("empty message")
			}
			if !reflect.DeepEqual(e.Extra, tt.wantExtra) {
				t.Errorf("Extra = %v, want %v", e.Extra, tt.wantExtra)
			}
			var fields []string
			for _, f := range e.Fields {
				fields = append(fields, f.Field)
			}
			if !reflect.DeepEqual(fields, tt.wantFields) {
				t.Errorf("fields = %v, want %v", fields, tt.wantFields)
			}
		})
	}
	// Each refusal is a new value: adding a member to one changes no other.
	errTransition("a", "b").With("x", 1)
	if _, ok := errTransition("a", "b").Extra["x"]; ok {
		t.Error("errTransition shares its members between calls")
	}
}
