// Package testdb gives tests (and the migration tool) fresh databases: a new
// PostgreSQL database on the server of SHOP_TEST_POSTGRES_URL, or a new
// SQLite file, each brought up through the real migrations.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// DefaultPostgresURL is the server tests use when SHOP_TEST_POSTGRES_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PostgresAdminURL is the URL of a maintenance database on the test server.
func PostgresAdminURL() string {
	if u := os.Getenv("SHOP_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// CreatePostgres creates an empty database named prefix_<random> on the
// test server and returns its URL and a function that drops it.
func CreatePostgres(ctx context.Context, prefix string) (string, func(), error) {
	return CreatePostgresOn(ctx, PostgresAdminURL(), prefix)
}

// CreatePostgresOn is CreatePostgres on the server of adminURL (a private
// cluster's, say).
func CreatePostgresOn(ctx context.Context, adminURL, prefix string) (string, func(), error) {
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return "", nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := admin.PingContext(pingCtx); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("PostgreSQL at %s is not reachable (start it, or set SHOP_TEST_POSTGRES_URL): %w", adminURL, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := prefix + "_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
		admin.Close()
	}
	return u.String(), drop, nil
}
