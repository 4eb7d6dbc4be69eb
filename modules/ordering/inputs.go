package ordering

import (
	"shop/internal/valid"
	"shop/schema"
)

// StatusChange is an admin's move of an order to another status (REST:
// the POST body; GraphQL: setOrderStatus's status, which its enum already
// holds to the same list). SetStatus validates it first.
type StatusChange struct {
	Status string `json:"status"`
}

// Validate checks that the status is one of schema.Statuses.
func (s StatusChange) Validate() error {
	var f valid.Fields
	if f.Required("status", s.Status != "") {
		f.OneOf("status", s.Status, schema.Statuses...)
	}
	return f.Err()
}

// Validate checks expected_total (the body's one member; the user and the
// key come from the token and the Idempotency-Key header, which the HTTP
// handler checks).
func (in CheckoutInput) Validate() error {
	var f valid.Fields
	if in.ExpectedTotal != nil {
		f.Check("expected_total", *in.ExpectedTotal >= 0, "must be at least 0")
	}
	return f.Err()
}
