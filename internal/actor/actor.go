// Package actor carries who is acting, and from which request, through a
// context, so that hooks deep in the schema can record it (ledger, audit log)
// without every call site passing it along. Actor is the one principal type:
// the identity module's middleware puts the signed-in user or the API key
// in it, and every decision about who may do what reads it from there.
package actor

import "context"

// Actor is the origin of a write. A zero UserID is the system (the command
// line, migrations, seeding).
type Actor struct {
	UserID    int
	Role      string
	RequestID string
	IP        string
	APIKeyID  int // the API key that acts, when an integration does (UserID is then 0)
	// Current is true when Role was read from the database during this
	// request (identity.Current, or a credential checked there, like an
	// API key), false when it is a token's claim, which may be stale.
	Current bool
}

// IsSystem reports whether the write comes from the system, not a user or
// an API key.
func (a Actor) IsSystem() bool { return a.UserID == 0 && a.APIKeyID == 0 }

// APIKeyIDPtr returns the acting API key's id for a nullable column, nil
// when no key acts.
func (a Actor) APIKeyIDPtr() *int {
	if a.APIKeyID == 0 {
		return nil
	}
	id := a.APIKeyID
	return &id
}

// UserIDPtr returns the user id for a nullable column, nil for the system.
func (a Actor) UserIDPtr() *int {
	if a.UserID == 0 {
		return nil
	}
	id := a.UserID
	return &id
}

type ctxKey struct{}

// With returns a context that carries a.
func With(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// From returns the actor of ctx, the system if there is none.
func From(ctx context.Context) Actor {
	a, _ := ctx.Value(ctxKey{}).(Actor)
	return a
}
