package testdb

import (
	"errors"
	"os"
	"testing"

	"shop/internal/pgbouncer"
)

// RequirePgBouncerEnv names the variable that makes a missing pgbouncer a
// test failure instead of a skip. CI (.ci/run) installs pgbouncer and sets
// it, so the PgBouncer path can't silently stop being tested there.
const RequirePgBouncerEnv = "SHOP_TEST_REQUIRE_PGBOUNCER"

// PgBouncer is a pgbouncer process in transaction mode in front of the test
// PostgreSQL server, on a random free port, for one test.
type PgBouncer struct {
	*pgbouncer.PgBouncer
}

// StartPgBouncer starts pgbouncer (internal/pgbouncer: pool_mode=transaction,
// auth_type=trust) in front of the server of PostgresAdminURL and stops it
// when the test ends. Without the binary it skips, or fails when
// RequirePgBouncerEnv is set.
func StartPgBouncer(t testing.TB) *PgBouncer {
	t.Helper()
	b, err := pgbouncer.Start(PostgresAdminURL(), pgbouncer.Options{})
	if errors.Is(err, pgbouncer.ErrNotInstalled) {
		if os.Getenv(RequirePgBouncerEnv) != "" {
			t.Fatalf("pgbouncer is not installed but %s is set (apt-get install pgbouncer)", RequirePgBouncerEnv)
		}
		t.Skipf("pgbouncer is not installed (apt-get install pgbouncer); set %s=1 to make this a failure", RequirePgBouncerEnv)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	return &PgBouncer{b}
}

// URL rewrites a database URL of the test server to go through pgbouncer.
func (b *PgBouncer) URL(t testing.TB, direct string) string {
	t.Helper()
	u, err := b.PgBouncer.URL(direct)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
