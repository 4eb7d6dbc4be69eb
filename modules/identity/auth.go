package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"shop/ent"
	"shop/ent/user"
	"shop/internal/actor"
	"shop/internal/apperr"
)

// Authenticate checks email and password and returns the user. A wrong
// password and an unknown email both return the same unauthorized error
// after the same bcrypt work, so neither the message nor the timing tells
// which emails exist. Errors: validation_failed, unauthorized.
func (s *Service) Authenticate(ctx context.Context, db *ent.Client, c Credentials) (*ent.User, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	u, err := db.User.Query().Where(user.Email(NormalizeEmail(c.Email))).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("find user: %w", err)
	}
	hash := s.dummyHash()
	if u != nil {
		hash = []byte(u.PasswordHash)
	}
	// The comparison runs whether or not the user exists.
	match := bcrypt.CompareHashAndPassword(hash, prehash(c.Password)) == nil
	if !match || u == nil {
		return nil, apperr.New(apperr.Unauthorized, "wrong email or password")
	}
	return u, nil
}

// dummyHash is a hash of the service's cost to compare against when the
// email is unknown.
func (s *Service) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		s.dummy, _ = bcrypt.GenerateFromPassword(prehash("not a password of anyone"), s.cost())
	})
	return s.dummy
}

// withPrincipal returns ctx whose actor (request id, IP) acts as p: the
// signed-in user, or an API key.
func withPrincipal(ctx context.Context, p actor.Actor) context.Context {
	a := actor.From(ctx)
	a.UserID, a.Role, a.APIKeyID, a.Current = p.UserID, p.Role, p.APIKeyID, p.Current
	return actor.With(ctx, a)
}

// Principal returns who acts in ctx, and whether anyone signed in (a user
// or an API key).
func Principal(ctx context.Context) (actor.Actor, bool) {
	a := actor.From(ctx)
	return a, !a.IsSystem()
}

// errNoUser is the cause of userGone's answer.
var errNoUser = errors.New("the token's user is not in the database")

// userGone answers a token whose user no longer exists (401).
func userGone() error {
	return apperr.New(apperr.Unauthorized, "the user of this token no longer exists").Wrap(errNoUser)
}

// Current returns the principal of ctx with its role as the database holds
// it now: one primary-key read, unless it was read already in this request
// (Current). It is the one function every admin decision reads the role
// through. Errors: unauthorized when no one signed in or the token's user
// no longer exists.
func Current(ctx context.Context, db *ent.Client) (actor.Actor, error) {
	p, ok := Principal(ctx)
	if !ok {
		return p, apperr.New(apperr.Unauthorized, "sign in: send Authorization: Bearer <token>")
	}
	if p.Current {
		return p, nil
	}
	role, err := db.User.Query().Where(user.ID(p.UserID)).Select(user.FieldRole).String(ctx)
	if ent.IsNotFound(err) {
		return p, userGone()
	}
	if err != nil {
		return p, fmt.Errorf("read role: %w", err)
	}
	p.Role, p.Current = role, true
	return p, nil
}

// IsAdmin reports whether the principal of ctx is an administrator now
// (through Current). A token that claims only the customer role is not
// read: rights are lost at once, a promotion takes effect with the next
// token. A token whose user is gone is no administrator.
func IsAdmin(ctx context.Context, db *ent.Client) (bool, error) {
	if p, ok := Principal(ctx); !ok || p.Role != RoleAdmin {
		return false, nil
	}
	p, err := Current(ctx, db)
	if errors.Is(err, errNoUser) {
		return false, nil
	}
	return err == nil && p.Role == RoleAdmin, err
}

// UserID is the id of the signed-in user of c, 0 if none. Routes behind
// RequireUser always have one.
func UserID(c echo.Context) int {
	p, _ := Principal(c.Request().Context())
	return p.UserID
}

// invalidTokenKey marks a request that sent a bearer token that failed.
type invalidTokenKey struct{}

// Authenticate is the Echo middleware that reads `Authorization: Bearer`,
// and puts the viewer in the request context. Routes that need a user add
// RequireUser or RequireAdmin after it. A credential that fails is not an
// error here: public routes ignore it, RequireUser answers 401.
func (t *Tokens) Authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		if h == "" {
			return next(c)
		}
		ctx := c.Request().Context()
		scheme, token, ok := strings.Cut(h, " ")
		// API keys (integrations): checked against the database.
		if ok && strings.EqualFold(scheme, "Bearer") && strings.HasPrefix(strings.TrimSpace(token), APIKeyPrefix) {
			kctx, err := t.authenticateKey(ctx, strings.TrimSpace(token))
			if err != nil && !errors.Is(err, ErrInvalidToken) {
				return err
			}
			if err != nil {
				if err := t.failed(c); err != nil {
					return err
				}
				kctx = context.WithValue(ctx, invalidTokenKey{}, true)
			}
			c.SetRequest(c.Request().WithContext(kctx))
			return next(c)
		}
		if p, err := t.principal(h); err == nil {
			ctx = withPrincipal(ctx, p)
		} else {
			// A token we signed that has expired is no guess: a client
			// that keeps sending its old token is not charged for it.
			if !errors.Is(err, errTokenExpired) {
				if err := t.failed(c); err != nil {
					return err
				}
			}
			ctx = context.WithValue(ctx, invalidTokenKey{}, true)
		}
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// failed charges a credential that failed (an unknown or revoked API key,
// a forged or malformed token) to the client's attempts, the budget that
// login and register spend (Tokens.Failures), so guessing credentials
// costs what guessing passwords does. Over the budget it is 429
// rate_limited with Retry-After, before any more lookups.
func (t *Tokens) failed(c echo.Context) error {
	return limit(c, t.Failures, ClientKey(c))
}

// principal is the one place that turns an Authorization header with a
// JWT into a principal: the signed token's claims, trusted until it expires.
func (t *Tokens) principal(header string) (actor.Actor, error) {
	scheme, credential, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return actor.Actor{}, ErrInvalidToken
	}
	return t.Parse(strings.TrimSpace(credential))
}

// RequireUser refuses a request without a valid token: 401 unauthorized.
func RequireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, ok := Principal(c.Request().Context())
		if !ok {
			return unauthorized(c)
		}
		if p.UserID == 0 {
			return apperr.New(apperr.Forbidden, "an API key acts on admin routes only; a shopper signs in")
		}
		return next(c)
	}
}

// RequireAdmin refuses anonymous requests (401) and anyone who is not an
// administrator now (403). Admin rights are read from the user's current
// role in db on every request, one primary-key read, so a demoted admin is
// refused at once and a token whose user no longer exists is 401, however
// long the token has to run. Customer routes keep trusting the token (no
// round trip); admin traffic is small. The role is read by Current, once
// per request (an API key's was checked with the key).
func RequireAdmin(db *ent.Client) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			if _, ok := Principal(ctx); !ok {
				return unauthorized(c)
			}
			p, err := Current(ctx, db)
			if errors.Is(err, errNoUser) {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="shop"`)
			}
			if err != nil {
				return err
			}
			c.SetRequest(c.Request().WithContext(withPrincipal(ctx, p)))
			if p.Role != RoleAdmin {
				return apperr.New(apperr.Forbidden, "this needs an administrator")
			}
			return next(c)
		}
	}
}

// RefuseAPIKey answers 403 forbidden to an API key: it stands after
// RequireAdmin on the routes only a signed-in admin may call (the API-key
// routes), so a leaked key can neither mint a key that outlives its own
// revocation nor revoke others.
func RefuseAPIKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := NotAPIKey(c.Request().Context()); err != nil {
			return err
		}
		return next(c)
	}
}

// NotAPIKey returns forbidden when the principal of ctx is an API key: the
// one rule RefuseAPIKey and the GraphQL reads of API keys share.
func NotAPIKey(ctx context.Context) error {
	if p, ok := Principal(ctx); ok && p.APIKeyID != 0 {
		return apperr.New(apperr.Forbidden, "API keys are managed by a signed-in admin; an API key may not create, list or revoke keys")
	}
	return nil
}

func unauthorized(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="shop"`)
	if bad, _ := c.Request().Context().Value(invalidTokenKey{}).(bool); bad {
		return apperr.New(apperr.Unauthorized, "the bearer token is invalid or expired")
	}
	return apperr.New(apperr.Unauthorized, "sign in: send Authorization: Bearer <token>")
}
