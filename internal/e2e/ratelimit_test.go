package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"shop/internal/database"
	"shop/internal/migrate"
	"shop/internal/testdb"
)

// migratedDB opens url, brings it up through the real migrations and
// returns it: one replica's pool.
func migratedDB(t testing.TB, url string) *database.DB {
	t.Helper()
	db := testdb.Open(t, url)
	dir, err := migrate.Dir(db.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Up(context.Background(), db.SQL, db.Dialect, dir); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestRateLimit_SharedByReplicas is issue 10 item 5: two replicas on one
// PostgreSQL database share the login budget. Before: 42 wrong-password
// logins from one IP in a minute got through two replicas against a limit
// of 20. After: 20, whichever replica is asked.
func TestRateLimit_SharedByReplicas(t *testing.T) {
	url := testdb.URL(t, dialect.Postgres)
	env := []option{withEnv("SHOP_AUTH_RATE_LIMIT", "20"), withEnv("SHOP_TRUST_PROXY", "true")}
	a := newShopOn(t, migratedDB(t, url), nil, env...)
	b := newShopOn(t, migratedDB(t, url), nil, env...)
	victim := a.register(t, "Victim") // one attempt of 127.0.0.1's budget

	// limitWithin is the most a GCRA of 20 a minute may allow in elapsed:
	// the burst plus one refill every 3 s.
	limitWithin := func(burst int, elapsed time.Duration) int { return burst + int(elapsed/(3*time.Second)) }

	t.Run("PerIP", func(t *testing.T) {
		start := time.Now()
		allowed, refused := 0, 0
		for i := range 42 {
			s := []*shop{a, b}[i%2]
			r := s.do(t, req{method: "POST", path: "/api/v1/auth/login", header: map[string]string{"X-Forwarded-For": "203.0.113.7"},
				body: map[string]string{"email": victim.Email, "password": fmt.Sprintf("wrong-%d", i)}})
			switch r.Status {
			case http.StatusUnauthorized:
				allowed++
			case http.StatusTooManyRequests:
				refused++
				r.wantProblem(http.StatusTooManyRequests, "rate_limited")
				if r.Header.Get("Retry-After") == "" {
					t.Fatal("429 without Retry-After")
				}
			default:
				t.Fatalf("login %d: %d %s", i, r.Status, r.Body)
			}
		}
		if max := limitWithin(20, time.Since(start)); allowed < 20 || allowed > max {
			t.Fatalf("%d of 42 logins through two replicas were allowed, want 20..%d (limit 20 a minute)", allowed, max)
		}
		t.Logf("42 logins in %v: %d allowed, %d refused", time.Since(start).Round(time.Millisecond), allowed, refused)
	})

	t.Run("PerEmail", func(t *testing.T) {
		// A guess spread over many IPs is limited per account too.
		target := b.register(t, "Target")
		start := time.Now()
		allowed := 0
		for i := range 42 {
			s := []*shop{a, b}[i%2]
			r := s.do(t, req{method: "POST", path: "/api/v1/auth/login", header: map[string]string{"X-Forwarded-For": fmt.Sprintf("198.51.100.%d", i+1)},
				body: map[string]string{"email": target.Email, "password": fmt.Sprintf("wrong-%d", i)}})
			if r.Status == http.StatusUnauthorized {
				allowed++
			} else {
				r.wantProblem(http.StatusTooManyRequests, "rate_limited")
			}
		}
		if max := limitWithin(20, time.Since(start)); allowed < 20 || allowed > max {
			t.Fatalf("%d of 42 logins to one account were allowed, want 20..%d", allowed, max)
		}
	})

	t.Run("SQLiteInProcess", func(t *testing.T) {
		s := newShop(t, dialect.SQLite, env...)
		allowed := 0
		for i := range 25 {
			r := s.do(t, req{method: "POST", path: "/api/v1/auth/login", header: map[string]string{"X-Forwarded-For": "203.0.113.9"},
				body: map[string]string{"email": "nobody@example.com", "password": fmt.Sprintf("wrong-%d", i)}})
			if r.Status == http.StatusUnauthorized {
				allowed++
			}
		}
		if allowed < 20 || allowed > 21 {
			t.Fatalf("%d of 25 allowed on SQLite, want 20", allowed)
		}
	})
}
