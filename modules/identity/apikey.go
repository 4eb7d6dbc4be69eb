package identity

import (
	"context"

	"shop/internal/actor"
)

// APIKeyPrefix starts every API key ("sk_..."); a bearer with it is checked
// by the KeyVerifier, never parsed as a JWT.
const APIKeyPrefix = "sk_"

// KeyVerifier checks an API key against the database on every request, so
// a revoked key is refused at once on every replica. It returns the key's
// id, ErrInvalidToken for an unknown or revoked key, or another error when
// the database can't answer. The integrations module implements it.
type KeyVerifier interface {
	VerifyKey(ctx context.Context, key string) (int, error)
}

// authenticateKey puts the principal of an API key in ctx: it acts with admin
// rights, and the schema hooks record the key (not a user) as the actor.
func (t *Tokens) authenticateKey(ctx context.Context, token string) (context.Context, error) {
	if t.Keys == nil {
		return ctx, ErrInvalidToken
	}
	id, err := t.Keys.VerifyKey(ctx, token)
	if err != nil {
		return ctx, err
	}
	return withPrincipal(ctx, actor.Actor{Role: RoleAdmin, APIKeyID: id, Current: true}), nil
}
