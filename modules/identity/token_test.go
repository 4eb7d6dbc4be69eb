package identity_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"shop/ent"
	"shop/ent/user"
	"shop/internal/actor"
	"shop/modules/identity"
)

var (
	secret = []byte("test-secret-0123456789abcdef")
	t0     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func tokensAt(now time.Time) *identity.Tokens {
	return &identity.Tokens{Secret: secret, TTL: time.Hour, Now: func() time.Time { return now }}
}

// sign makes a token by hand, to forge the cases Issue never makes.
func sign(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

// good is the claims of a valid admin token at t0.
func good() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": "shop", "sub": "5", "role": "admin",
		"iat": t0.Unix(), "exp": t0.Add(time.Hour).Unix(),
	}
}

func with(c jwt.MapClaims, key string, v any) jwt.MapClaims {
	c[key] = v
	if v == nil {
		delete(c, key)
	}
	return c
}

// TestTokenRoundTrip: what Issue signs, Parse accepts until it expires, and
// it carries the user's id and role.
func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		u    *ent.User
		at   time.Duration // after issue
	}{
		{"customer, at once", &ent.User{ID: 1, Role: user.RoleCustomer}, 0},
		{"admin, at once", &ent.User{ID: 77, Role: user.RoleAdmin}, 0},
		{"customer, just before expiry", &ent.User{ID: 2, Role: user.RoleCustomer}, time.Hour - time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, err := tokensAt(t0).Issue(tt.u)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			if strings.Count(tok, ".") != 2 {
				t.Fatalf("Issue = %q, want a compact JWS", tok)
			}
			v, err := tokensAt(t0.Add(tt.at)).Parse(tok)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if v.UserID != tt.u.ID || v.Role != string(tt.u.Role) {
				t.Errorf("Parse = %+v, want user %d role %s", v, tt.u.ID, tt.u.Role)
			}
		})
	}
}

// TestTokenRejected: every token that is expired, forged, signed another
// way or malformed is ErrInvalidToken and an empty viewer.
func TestTokenRejected(t *testing.T) {
	t.Parallel()
	issued, err := tokensAt(t0).Issue(&ent.User{ID: 5, Role: user.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token string
		at    time.Time
	}{
		{"expired", issued, t0.Add(time.Hour + time.Second)},
		{"long expired", issued, t0.Add(30 * 24 * time.Hour)},
		{"wrong secret", sign(t, jwt.SigningMethodHS256, []byte("another-secret"), good()), t0},
		{"wrong alg HS384", sign(t, jwt.SigningMethodHS384, secret, good()), t0},
		{"wrong alg HS512", sign(t, jwt.SigningMethodHS512, secret, good()), t0},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good()), t0},
		{"tampered payload", tamper(issued), t0},
		{"signature stripped", issued[:strings.LastIndex(issued, ".")+1], t0},
		{"wrong issuer", sign(t, jwt.SigningMethodHS256, secret, with(good(), "iss", "evil")), t0},
		{"no issuer", sign(t, jwt.SigningMethodHS256, secret, with(good(), "iss", nil)), t0},
		{"no expiry", sign(t, jwt.SigningMethodHS256, secret, with(good(), "exp", nil)), t0},
		{"not yet valid", sign(t, jwt.SigningMethodHS256, secret, with(good(), "nbf", t0.Add(time.Minute).Unix())), t0},
		{"subject not a number", sign(t, jwt.SigningMethodHS256, secret, with(good(), "sub", "alice")), t0},
		{"subject zero", sign(t, jwt.SigningMethodHS256, secret, with(good(), "sub", "0")), t0},
		{"subject negative", sign(t, jwt.SigningMethodHS256, secret, with(good(), "sub", "-5")), t0},
		{"no subject", sign(t, jwt.SigningMethodHS256, secret, with(good(), "sub", nil)), t0},
		{"unknown role", sign(t, jwt.SigningMethodHS256, secret, with(good(), "role", "root")), t0},
		{"no role", sign(t, jwt.SigningMethodHS256, secret, with(good(), "role", nil)), t0},
		{"empty", "", t0},
		{"garbage", "not-a-token", t0},
		{"three garbage parts", "a.b.c", t0},
		{"bearer prefix kept", "Bearer " + issued, t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := tokensAt(tt.at).Parse(tt.token)
			if !errors.Is(err, identity.ErrInvalidToken) {
				t.Errorf("Parse error = %v, want ErrInvalidToken", err)
			}
			if v != (actor.Actor{}) {
				t.Errorf("Parse viewer = %+v, want none", v)
			}
		})
	}
}

// TestTokenRejected_AfterAccepted: one Tokens that has accepted a token
// (and remembers it) still refuses it once it expires, refuses every
// altered copy of it, and accepts it again from another server's Tokens
// only by checking it there.
func TestTokenRejected_AfterAccepted(t *testing.T) {
	t.Parallel()
	now := t0
	tk := &identity.Tokens{Secret: secret, TTL: time.Hour, Now: func() time.Time { return now }}
	tok, err := tk.Issue(&ent.User{ID: 5, Role: user.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second Parse is answered from the cache
		if v, err := tk.Parse(tok); err != nil || v.UserID != 5 || v.Role != identity.RoleAdmin {
			t.Fatalf("Parse = %+v, %v; want user 5, admin", v, err)
		}
	}
	for name, bad := range map[string]string{
		"tampered payload":   tamper(tok),
		"signature stripped": tok[:strings.LastIndex(tok, ".")+1],
		"one more character": tok + "A",
	} {
		if v, err := tk.Parse(bad); !errors.Is(err, identity.ErrInvalidToken) || v != (actor.Actor{}) {
			t.Errorf("%s: Parse = %+v, %v; want ErrInvalidToken", name, v, err)
		}
	}
	now = t0.Add(time.Hour - time.Second)
	if _, err := tk.Parse(tok); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	now = t0.Add(time.Hour)
	if v, err := tk.Parse(tok); !errors.Is(err, identity.ErrInvalidToken) || v != (actor.Actor{}) {
		t.Fatalf("at expiry: Parse = %+v, %v; want ErrInvalidToken", v, err)
	}
	other := &identity.Tokens{Secret: []byte("another-secret"), TTL: time.Hour, Now: func() time.Time { return t0 }}
	if _, err := other.Parse(tok); !errors.Is(err, identity.ErrInvalidToken) {
		t.Fatalf("another secret: Parse error = %v, want ErrInvalidToken", err)
	}
}

// tamper flips the role in a token's payload without re-signing it.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		panic(err)
	}
	p := strings.Replace(string(b), `"role":"admin"`, `"role":"customer"`, 1)
	if p == string(b) {
		panic("tamper: no role in payload " + p)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(p))
	return strings.Join(parts, ".")
}

// TestTokenForgedIsValidWithRightSecret is the control for "wrong secret":
// the same hand-made claims signed with the right secret are accepted, so
// the rejections above are about what they change.
func TestTokenForgedIsValidWithRightSecret(t *testing.T) {
	t.Parallel()
	v, err := tokensAt(t0).Parse(sign(t, jwt.SigningMethodHS256, secret, good()))
	if err != nil || v != (actor.Actor{UserID: 5, Role: identity.RoleAdmin}) {
		t.Fatalf("Parse(hand-signed good token) = %+v, %v", v, err)
	}
}
