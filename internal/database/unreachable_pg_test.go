package database_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5/pgconn"

	"shop/internal/apperr"
	"shop/internal/database"
	"shop/internal/testdb"
)

// TestUnreachableConnect: real connection-phase failures from a real
// PostgreSQL are unreachable (503), whatever SQLSTATE the server refused
// the connection with. Before, a refusal carrying a PgError that is not a
// connection code (55000 "database is not currently accepting
// connections", 3D000 "database does not exist") was answered 500.
func TestUnreachableConnect(t *testing.T) {
	scratch := testdb.URL(t, dialect.Postgres)
	u, err := url.Parse(scratch)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")

	admin, err := sql.Open("pgx", testdb.PostgresAdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	// Only the scratch database of this test is changed.
	if _, err := admin.Exec(`ALTER DATABASE "` + name + `" ALLOW_CONNECTIONS false`); err != nil {
		t.Fatal(err)
	}

	missing := *u
	missing.Path = "/" + name + "_missing"
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := *u
	refused.Host = closed.Addr().String()
	closed.Close()

	for _, tc := range []struct {
		name, url, sqlstate string
	}{
		{"not accepting connections", scratch, "55000"},
		{"no such database", missing.String(), "3D000"},
		{"refused", refused.String(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := database.Open(tc.url, database.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			_, err = db.Client.Product.Query().All(context.Background())
			if err == nil {
				t.Fatal("the query succeeded")
			}
			var pg *pgconn.PgError
			if tc.sqlstate != "" && (!errors.As(err, &pg) || pg.Code != tc.sqlstate) {
				t.Fatalf("error %v, want SQLSTATE %s", err, tc.sqlstate)
			}
			if !database.Unreachable(err) {
				t.Errorf("Unreachable(%v) = false", err)
			}
			if got := database.Translate(err).Code; got != apperr.Unavailable {
				t.Errorf("From(%v).Code = %s, want %s", err, got, apperr.Unavailable)
			}
		})
	}
}
