package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"shop/ent"
	"shop/internal/testdb"
	"shop/modules/identity"
)

func TestIdentity(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		register := func(body any, invalid bool) *resp {
			return s.do(t, req{method: "POST", path: "/api/v1/auth/register", body: body, invalid: invalid})
		}

		var created struct {
			User  identity.UserJSON `json:"user"`
			Token string            `json:"token"`
		}
		register(map[string]string{"email": "Ann@Example.com", "password": "s3cret-pass", "name": "Ann"}, false).
			wantStatus(http.StatusCreated).JSON(&created)
		if created.User.Role != "customer" || created.User.Email != "ann@example.com" || created.Token == "" || created.User.ID == 0 {
			t.Fatalf("register = %+v", created)
		}
		stored := s.ent.User.GetX(t.Context(), created.User.ID)
		if stored.PasswordHash == "s3cret-pass" || !strings.HasPrefix(stored.PasswordHash, "$2") {
			t.Fatalf("password stored as %q, want a bcrypt hash", stored.PasswordHash)
		}

		t.Run("ErrEmailTaken", func(t *testing.T) {
			register(map[string]string{"email": "ann@example.com", "password": "another-pass", "name": "Ann 2"}, false).
				wantProblem(http.StatusConflict, "conflict")
		})
		t.Run("ErrValidation", func(t *testing.T) {
			p := register(map[string]string{"email": "not-an-email", "password": "short", "name": ""}, true).
				wantProblem(http.StatusUnprocessableEntity, "validation_failed")
			fields := map[string]bool{}
			for _, e := range p["errors"].([]any) {
				fields[e.(map[string]any)["field"].(string)] = true
			}
			for _, f := range []string{"email", "password", "name"} {
				if !fields[f] {
					t.Errorf("no error for %s: %v", f, p["errors"])
				}
			}
			register(map[string]string{"email": "x@example.com", "password": strings.Repeat("p", 129), "name": "X"}, true).
				wantProblem(http.StatusUnprocessableEntity, "validation_failed")
		})
		t.Run("ErrMassAssignmentOfRole", func(t *testing.T) {
			register(map[string]string{"email": "mal@example.com", "password": "password-1", "name": "Mal", "role": "admin"}, true).
				wantProblem(http.StatusBadRequest, "malformed_request")
			if n := s.ent.User.Query().CountX(t.Context()); n != 1 {
				t.Fatalf("%d users after refused registrations, want 1", n)
			}
		})
		t.Run("ErrMalformed", func(t *testing.T) {
			for _, body := range []string{`{`, `[]`, `{"email": 5}`, `{"email":"a@b.c","password":"password1","name":"A"} {}`, ``, `null`,
				`{"email":"nul@example.com","password":"password1","name":"A\u0000B"}`, "{\"email\":\"x@example.com\",\"password\":\"password1\",\"name\":\"\xff\"}"} {
				register(body, true).wantProblem(http.StatusBadRequest, "malformed_request")
			}
		})

		login := func(email, password string) *resp {
			return s.do(t, req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": email, "password": password}})
		}
		t.Run("Login", func(t *testing.T) {
			var out struct {
				User  identity.UserJSON
				Token string
			}
			login("ANN@example.com", "s3cret-pass").wantStatus(http.StatusOK).JSON(&out)
			if out.User.ID != created.User.ID || out.Token == "" {
				t.Fatalf("login = %+v", out)
			}
			var me identity.UserJSON
			s.do(t, req{method: "GET", path: "/api/v1/me", token: out.Token}).wantStatus(http.StatusOK).JSON(&me)
			if me.ID != created.User.ID || me.Email != "ann@example.com" {
				t.Fatalf("me = %+v", me)
			}
		})
		t.Run("LongAndNonASCII", func(t *testing.T) {
			// 128 characters, 256 bytes: more than bcrypt's 72-byte limit.
			password := strings.Repeat("пароль12", 16)
			name := strings.Repeat("ü", 200)
			register(map[string]string{"email": "long@example.com", "password": password, "name": name}, false).wantStatus(http.StatusCreated)
			s.do(t, req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "long@example.com", "password": password}}).wantStatus(http.StatusOK)
			s.do(t, req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "long@example.com", "password": password[:len(password)-2]}}).
				wantProblem(http.StatusUnauthorized, "unauthorized")
			register(map[string]string{"email": "long2@example.com", "password": password + "x", "name": "X"}, true).
				wantProblem(http.StatusUnprocessableEntity, "validation_failed")
		})
		t.Run("ErrWrongCredentials", func(t *testing.T) {
			wrong := login("ann@example.com", "wrong-password").wantProblem(http.StatusUnauthorized, "unauthorized")
			unknown := login("nobody@example.com", "wrong-password").wantProblem(http.StatusUnauthorized, "unauthorized")
			if wrong["detail"] != unknown["detail"] {
				t.Fatalf("wrong password says %q, unknown email says %q: must not differ", wrong["detail"], unknown["detail"])
			}
		})
		t.Run("ErrBadTokens", func(t *testing.T) {
			s.do(t, req{method: "GET", path: "/api/v1/me"}).wantProblem(http.StatusUnauthorized, "unauthorized")
			s.do(t, req{method: "GET", path: "/api/v1/me", token: "garbage"}).wantProblem(http.StatusUnauthorized, "unauthorized")
			forged := &identity.Tokens{Secret: []byte("another secret"), TTL: time.Hour}
			u := &ent.User{ID: created.User.ID, Role: "admin"}
			tok, _ := forged.Issue(u)
			s.do(t, req{method: "GET", path: "/api/v1/me", token: tok}).wantProblem(http.StatusUnauthorized, "unauthorized")
			expired := &identity.Tokens{Secret: []byte(s.cfg.JWTSecret), TTL: time.Hour, Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }}
			tok, _ = expired.Issue(u)
			s.do(t, req{method: "GET", path: "/api/v1/me", token: tok}).wantProblem(http.StatusUnauthorized, "unauthorized")
		})
	})
}

func TestLogin_RateLimited(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia, withEnv("SHOP_AUTH_RATE_LIMIT", "3"))
		u := s.register(t, "Rita") // 1 attempt from this IP
		for i := 0; i < 2; i++ {
			s.do(t, req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": u.Email, "password": "wrong-password"}}).
				wantProblem(http.StatusUnauthorized, "unauthorized")
		}
		r := s.do(t, req{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": u.Email, "password": "password-Rita"}})
		r.wantProblem(http.StatusTooManyRequests, "rate_limited")
		if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Fatalf("Retry-After = %q", ra)
		}
		s.do(t, req{method: "POST", path: "/api/v1/auth/register", body: map[string]string{"email": "new@example.com", "password": "password-1", "name": "N"}}).
			wantProblem(http.StatusTooManyRequests, "rate_limited")
	})
}

// TestLogin_RateLimitedPerEmail: guesses at one account from many client
// IPs are limited by the account's own bucket.
func TestLogin_RateLimitedPerEmail(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia, withEnv("SHOP_AUTH_RATE_LIMIT", "3"), withEnv("SHOP_TRUST_PROXY", "true"))
		victim := s.register(t, "Victim")
		login := func(ip, email string) *resp {
			return s.do(t, req{method: "POST", path: "/api/v1/auth/login", header: map[string]string{"X-Forwarded-For": ip},
				body: map[string]string{"email": email, "password": "wrong-password"}})
		}
		for i := 1; i <= 3; i++ {
			login("203.0.113."+strconv.Itoa(i), victim.Email).wantProblem(http.StatusUnauthorized, "unauthorized")
		}
		r := login("203.0.113.99", victim.Email)
		r.wantProblem(http.StatusTooManyRequests, "rate_limited")
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		// Another account from a fresh IP is not affected.
		login("198.51.100.7", "someone-else@example.com").wantProblem(http.StatusUnauthorized, "unauthorized")
	})
}
