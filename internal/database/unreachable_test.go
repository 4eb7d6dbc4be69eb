package database

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestUnreachable(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("boom"), false},
		{"admin shutdown", fmt.Errorf("query: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"too many clients", &pgconn.PgError{Code: "53300"}, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, false},
		// 55000 from a statement (not while connecting) is the statement's fault.
		{"object not in prerequisite state", &pgconn.PgError{Code: "55000"}, false},
		{"refused", fmt.Errorf("begin: %w", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), true},
		{"conn closed", fmt.Errorf("x: %w", pgconn.ErrConnClosed), true},
	} {
		if got := Unreachable(tc.err); got != tc.want {
			t.Errorf("%s: Unreachable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestUnknownUser(t *testing.T) {
	if !UnknownUser(fmt.Errorf("add: %w", &pgconn.PgError{Code: "23503", ConstraintName: "cart_items_users_cart_items"})) {
		t.Error("a users foreign key is an unknown user")
	}
	if UnknownUser(&pgconn.PgError{Code: "23503", ConstraintName: "cart_items_products_cart_items"}) {
		t.Error("a products foreign key is not an unknown user")
	}
	if UnknownUser(&pgconn.PgError{Code: "23505", ConstraintName: "cart_items_users_cart_items"}) {
		t.Error("a unique violation is not an unknown user")
	}
}

func TestPoolerTransaction(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u@h:1/db":                                         "default_query_exec_mode=exec",
		"postgres://u@h:1/db?sslmode=disable":                         "default_query_exec_mode=exec",
		"postgres://u@h:1/db?default_query_exec_mode=simple_protocol": "default_query_exec_mode=simple_protocol",
	} {
		got, err := withoutStatementCache(in)
		if err != nil || !strings.Contains(got, want) || strings.Count(got, "default_query_exec_mode") != 1 {
			t.Errorf("%s → %s (%v), want %s", in, got, err, want)
		}
	}
}
