package identity

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"shop/ent"
	"shop/internal/actor"
	"shop/internal/ratelimit"
)

const issuer = "shop"

// Tokens issues and checks signed JWTs (HS256) with an expiry.
type Tokens struct {
	Secret []byte
	TTL    time.Duration
	Now    func() time.Time // nil: time.Now
	Keys   KeyVerifier      // checks "sk_" API keys; nil refuses them
	// Failures limits failed credentials per client (ClientKey), with the
	// budget of login and register; nil limits nothing.
	Failures ratelimit.Attempts
}

type claims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

func (t *Tokens) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Issue returns a token for u.
func (t *Tokens) Issue(u *ent.User) (string, error) {
	now := t.now()
	c := claims{
		Role: string(u.Role),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   strconv.Itoa(u.ID),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.TTL)),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.Secret)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}

// ErrInvalidToken is returned for a token that is malformed, forged or expired.
var ErrInvalidToken = errors.New("invalid or expired token")

// errTokenExpired is an ErrInvalidToken that we signed but has expired.
var errTokenExpired = fmt.Errorf("%w: expired", ErrInvalidToken)

// Parse checks a token and returns its principal: the user and the role it
// claims (not Current).
func (t *Tokens) Parse(token string) (actor.Actor, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.Secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.now),
	)
	if errors.Is(err, jwt.ErrTokenExpired) {
		return actor.Actor{}, errTokenExpired
	}
	if err != nil {
		return actor.Actor{}, ErrInvalidToken
	}
	id, err := strconv.Atoi(c.Subject)
	if err != nil || id <= 0 || (c.Role != RoleCustomer && c.Role != RoleAdmin) {
		return actor.Actor{}, ErrInvalidToken
	}
	return actor.Actor{UserID: id, Role: c.Role}, nil
}
