package valid_test

import (
	"errors"
	"slices"
	"testing"

	"shop/internal/apperr"
	"shop/internal/valid"
)

func TestFields(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check func(f *valid.Fields)
		want  []apperr.FieldError
	}{
		{"None", func(f *valid.Fields) { f.Text("name", "ok", 1, 2) }, nil},
		{"Required", func(f *valid.Fields) { f.Required("name", false) }, []apperr.FieldError{{Field: "name", Message: "is required"}}},
		{"TextTooShort", func(f *valid.Fields) { f.Text("name", "", 1, 5) }, []apperr.FieldError{{Field: "name", Message: "must be at least 1 characters"}}},
		{"TextCountsRunes", func(f *valid.Fields) { f.Text("name", "üüü", 1, 3) }, nil},
		{"TextTooLong", func(f *valid.Fields) { f.Text("name", "üüüü", 1, 3) }, []apperr.FieldError{{Field: "name", Message: "must be at most 3 characters"}}},
		{"RangeLow", func(f *valid.Fields) { f.Range("price", 0, 1, 10) }, []apperr.FieldError{{Field: "price", Message: "must be at least 1"}}},
		{"RangeHigh", func(f *valid.Fields) { f.Range("price", 11, 1, 10) }, []apperr.FieldError{{Field: "price", Message: "must be at most 10"}}},
		{"NotZero", func(f *valid.Fields) { f.NotZero("q", 0) }, []apperr.FieldError{{Field: "q", Message: "must not be 0"}}},
		{"OneOf", func(f *valid.Fields) { f.OneOf("r", "x", "a", "b") }, []apperr.FieldError{{Field: "r", Message: "must be one of: a, b"}}},
		{"Email", func(f *valid.Fields) { f.Email("email", "not-an-email") }, []apperr.FieldError{{Field: "email", Message: "must be an email address"}}},
		{"EmailOK", func(f *valid.Fields) { f.Email("email", "ann@example.com") }, nil},
		{"FirstFailurePerField", func(f *valid.Fields) {
			f.Required("name", false)
			f.Text("name", "", 1, 5)
			f.Range("price", 0, 1, 10)
		}, []apperr.FieldError{{Field: "name", Message: "is required"}, {Field: "price", Message: "must be at least 1"}}},
		{"AddKeepsEvery", func(f *valid.Fields) {
			f.Add("events", "a")
			f.Add("events", "b")
		}, []apperr.FieldError{{Field: "events", Message: "a"}, {Field: "events", Message: "b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var f valid.Fields
			tc.check(&f)
			err := f.Err()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Err() = %v, want nil", err)
				}
				return
			}
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.ValidationFailed || !slices.Equal(ae.Fields, tc.want) {
				t.Fatalf("Err() = %#v, want validation_failed %v", err, tc.want)
			}
		})
	}
}
