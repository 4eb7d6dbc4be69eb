package database

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unreachable reports whether err means the database could not be reached
// or dropped the connection (refused, reset, shut down, too many clients),
// rather than refusing what was asked. Such a request may succeed if sent
// again later: the HTTP layer answers it 503 unavailable with Retry-After.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	// Any failure to open a connection, whatever the server said while
	// refusing it (55000 database not accepting connections, 3D000 no such
	// database, 28P01 authentication, 57P03 starting up...): no request got
	// to run, and the server, not the client, has to change. Checked first,
	// since the PgError it wraps would otherwise be judged as a statement's.
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		// Class 08: connection exception; 57P01..03: the server is shutting
		// down or starting; 53300: too many connections.
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" ||
			pg.Code == "57P03" || pg.Code == "53300"
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	// The server closed the connection mid-conversation: pgx reports a bare
	// unexpected EOF (request bodies never get here: Bind turns their read
	// errors into malformed_request).
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, errTxLost) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// QueryCanceled reports whether err is a statement PostgreSQL cancelled
// (57014): at statement_timeout, or because its request's context ended and
// the driver sent a cancel request. Either way the request ran past its
// deadline (or its client left): 503 unavailable with Retry-After, not 500.
func QueryCanceled(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "57014"
}

// SchemaChanged reports whether err is a statement that failed because the
// schema changed under it (a migration applied or reverted while serving):
// a relation, column, type or function that is gone (42P01, 42703, 42704,
// 42883), a cached plan whose result type changed (0A000 "cached plan must
// not change result type"), a type the server's caches no longer know
// (XX000 "cache lookup failed for type"); on SQLite "no such table" or
// "no such column". Sent again once the migration is done, the request
// may succeed: it is 503 unavailable with Retry-After, never 500.
func SchemaChanged(err error) bool {
	if err == nil {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "42P01", "42703", "42704", "42883":
			return true
		case "0A000":
			return strings.Contains(pg.Message, "cached plan must not change result type")
		case "XX000":
			return strings.Contains(pg.Message, "cache lookup failed")
		}
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQL logic error: no such table") || strings.Contains(msg, "SQL logic error: no such column")
}

// errTxLost marks a commit refused because database/sql had already closed
// the transaction under it: its connection went bad mid-transaction.
var errTxLost = errors.New("the transaction's connection was lost")

// UnknownUser reports whether err is a PostgreSQL foreign-key violation of
// a reference to a user: the signed-in user named by a still valid token no
// longer exists, so the write it asked for can't record them. The
// constraint names the users table (Ent names it <table>_users_<edge>).
// SQLite does not say which key failed; the runner decides there with a
// read (Runner.explain).
func UnknownUser(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23503" && strings.Contains(pg.ConstraintName, "_users_")
}

// sqliteForeignKey reports whether err is SQLite's foreign-key violation.
func sqliteForeignKey(err error) bool {
	var lite interface{ Code() int }
	return errors.As(err, &lite) && lite.Code() == 787 // SQLITE_CONSTRAINT_FOREIGNKEY
}
