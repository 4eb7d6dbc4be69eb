package identity

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
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

	parserOnce sync.Once
	parser     *jwt.Parser // built once (Parse), with keyFunc
	keyFunc    jwt.Keyfunc
	verified   tokenCache
}

// maxVerifiedTokens bounds Tokens' cache of verified tokens; it is emptied
// when full (each entry is a token and its principal, a few hundred bytes).
const maxVerifiedTokens = 10_000

// tokenCache remembers the principal and expiry of the tokens Parse has
// verified, so a client that sends its token with every request costs a
// map lookup and a clock read, not a base64 and JSON decode and an HMAC
// each time (docs/benchmarks.md: about a tenth of a cart request's
// allocations). It is keyed by the whole token, signature included, so
// only a token that passed every check can be found; a found token is
// still refused once it expires.
type tokenCache struct {
	mu sync.RWMutex
	m  map[string]verifiedToken
}

type verifiedToken struct {
	principal actor.Actor
	expires   time.Time
}

func (c *tokenCache) get(token string) (verifiedToken, bool) {
	c.mu.RLock()
	v, ok := c.m[token]
	c.mu.RUnlock()
	return v, ok
}

func (c *tokenCache) put(token string, v verifiedToken) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxVerifiedTokens {
		c.m = make(map[string]verifiedToken)
	}
	c.m[token] = v
	c.mu.Unlock()
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
// claims (not Current). A token verified before is found in the cache and
// only its expiry is checked again.
func (t *Tokens) Parse(token string) (actor.Actor, error) {
	if v, ok := t.verified.get(token); ok {
		if !t.now().Before(v.expires) { // jwt's rule: valid while now < exp
			return actor.Actor{}, errTokenExpired
		}
		return v.principal, nil
	}
	t.parserOnce.Do(func() {
		t.parser = jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithIssuer(issuer),
			jwt.WithExpirationRequired(),
			jwt.WithTimeFunc(t.now),
		)
		t.keyFunc = func(*jwt.Token) (any, error) { return t.Secret, nil }
	})
	var c claims
	_, err := t.parser.ParseWithClaims(token, &c, t.keyFunc)
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
	p := actor.Actor{UserID: id, Role: c.Role}
	if c.NotBefore == nil { // a token not valid yet is checked again next time
		t.verified.put(token, verifiedToken{principal: p, expires: c.ExpiresAt.Time})
	}
	return p, nil
}
