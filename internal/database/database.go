// Package database opens the shop's database, PostgreSQL through pgx or
// embedded SQLite, and runs functions inside one transaction.
package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver
	_ "modernc.org/sqlite"           // registers the "sqlite" driver

	"shop/ent"
)

// Options tune the connection pool.
type Options struct {
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	ConnMaxIdleTime time.Duration // an idle connection is closed after this
	BusyTimeout     time.Duration // SQLite only
	// Pooler is "transaction" when PostgreSQL is reached through a pooler
	// in transaction mode (PgBouncer pool_mode=transaction): successive
	// statements may run on different server connections, so pgx must not
	// keep named prepared statements (its statement cache) on them.
	Pooler string
	// StatementTimeout is PostgreSQL's statement_timeout on every
	// connection of the pool (0: the server's): the serving processes set
	// it from SHOP_REQUEST_TIMEOUT, so no statement outlives its request
	// even where a cancel request can't reach it. Behind a transaction
	// pooler, which refuses startup parameters, set it on the role instead
	// (docs/operations.md).
	StatementTimeout time.Duration
}

// DB is an open database: the Ent client and the pool under it.
type DB struct {
	Client  *ent.Client
	SQL     *sql.DB
	Dialect string // dialect.Postgres or dialect.SQLite
}

// Close closes the client and the pool.
func (db *DB) Close() error { return db.Client.Close() }

// Open opens the database named by rawURL: postgres://… or sqlite:PATH.
func Open(rawURL string, opt Options) (*DB, error) { return open(rawURL, opt, nil) }

// open is Open with, if wrap is set, the pool's connector wrapped
// (OpenCounting).
func open(rawURL string, opt Options, wrap func(driver.Connector) driver.Connector) (*DB, error) {
	driverName, dsn, dia, err := ParseURL(rawURL, opt.BusyTimeout)
	if err != nil {
		return nil, err
	}
	if dia == dialect.Postgres && opt.Pooler == PoolerTransaction {
		if dsn, err = withoutStatementCache(dsn); err != nil {
			return nil, err
		}
	}
	var sqlDB *sql.DB
	if dia == dialect.Postgres {
		conn, err := pgConnector(dsn, opt)
		if err != nil {
			return nil, err
		}
		if wrap != nil {
			conn = wrap(conn)
		}
		sqlDB = sql.OpenDB(conn)
	} else if sqlDB, err = sql.Open(driverName, dsn); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if wrap != nil && dia != dialect.Postgres {
		var conn driver.Connector = dsnConnector{sqlDB.Driver(), dsn}
		if dc, ok := sqlDB.Driver().(driver.DriverContext); ok {
			if conn, err = dc.OpenConnector(dsn); err != nil {
				return nil, fmt.Errorf("open database: %w", err)
			}
		}
		_ = sqlDB.Close() // unused: sql.Open connects lazily
		sqlDB = sql.OpenDB(wrap(conn))
	}
	if opt.MaxOpenConns > 0 {
		sqlDB.SetMaxOpenConns(opt.MaxOpenConns)
	}
	if opt.MaxIdleConns > 0 {
		sqlDB.SetMaxIdleConns(opt.MaxIdleConns)
	}
	if opt.ConnMaxLifetime > 0 {
		sqlDB.SetConnMaxLifetime(opt.ConnMaxLifetime)
	}
	if opt.ConnMaxIdleTime > 0 {
		sqlDB.SetConnMaxIdleTime(opt.ConnMaxIdleTime)
	}
	var drv dialect.Driver = entsql.OpenDB(dia, sqlDB)
	if dia == dialect.Postgres {
		drv = planDriver{drv} // honours CustomPlan (plans.go)
	}
	return &DB{Client: ent.NewClient(ent.Driver(drv)), SQL: sqlDB, Dialect: dia}, nil
}

// pgConnector is pgx's connector for dsn with three changes. A context that
// ends sends PostgreSQL a cancel request for the running statement (pgx's
// default only closes the socket, and the backend runs on, unseen, until
// it next writes) and, a second later if the server has not answered,
// closes the connection. These two only without a transaction pooler in
// between: a cancel request sent through PgBouncer in transaction mode
// left the pool with connections the pooler had closed (TestPgBouncerTransactionMode:
// 503s after a cancelled load), so there pgx's default stands and the role's
// statement_timeout (README: SHOP_DB_STATEMENT_TIMEOUT) bounds statements.
// And, also only without a pooler, once the schema changes under the pool
// every connection drops its prepared statements before its next use
// (stalePlans). Every connection, pooled or not, encodes lib/pq's arrays
// as the slices they hold (pqarrays.go).
func pgConnector(dsn string, opt Options) (driver.Connector, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if opt.Pooler == PoolerTransaction {
		return stdlib.GetConnector(*cfg, stdlib.OptionAfterConnect(encodePQArraysNatively)), nil
	}
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: time.Second}
	}
	if opt.StatementTimeout > 0 {
		if _, set := cfg.RuntimeParams["statement_timeout"]; !set {
			cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(opt.StatementTimeout.Milliseconds(), 10)
		}
	}
	stale := newStalePlans()
	stale.install(cfg)
	afterConnect := func(ctx context.Context, c *pgx.Conn) error {
		if err := encodePQArraysNatively(ctx, c); err != nil {
			return err
		}
		return stale.afterConnect(ctx, c)
	}
	return stdlib.GetConnector(*cfg, stdlib.OptionAfterConnect(afterConnect), stdlib.OptionResetSession(stale.resetSession)), nil
}

// dsnConnector is the connector of a driver without one (database/sql's
// own for sql.Open).
type dsnConnector struct {
	drv driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

// ParseURL maps DATABASE_URL to a database/sql driver name, its DSN and the
// Ent dialect. SQLite gets the pragmas the shop relies on: foreign keys,
// WAL, a busy timeout and immediate (write-locking) transactions, so that
// concurrent writers queue instead of failing with SQLITE_BUSY.
func ParseURL(rawURL string, busyTimeout time.Duration) (driverName, dsn, dia string, err error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return "pgx", rawURL, dialect.Postgres, nil
	case strings.HasPrefix(rawURL, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "//")
		if path == "" {
			return "", "", "", errors.New("DATABASE_URL: sqlite: needs a path, e.g. sqlite:shop.db")
		}
		if busyTimeout <= 0 {
			busyTimeout = 10 * time.Second
		}
		q := url.Values{}
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
		q.Set("_time_format", "sqlite")
		return "sqlite", "file:" + path + "?" + q.Encode(), dialect.SQLite, nil
	default:
		return "", "", "", fmt.Errorf("DATABASE_URL: want postgres://… or sqlite:PATH, got %q", redact(rawURL))
	}
}

// PoolerTransaction is SHOP_DB_POOLER's value for PgBouncer (or any pooler)
// in transaction mode.
const PoolerTransaction = "transaction"

// withoutStatementCache sets pgx's default_query_exec_mode=exec on a
// postgres:// URL, unless the URL already chooses a mode: every query is
// prepared unnamed and described in the same round trip, so no statement
// outlives the transaction that made it (named, cached statements fail
// behind a transaction pooler with "prepared statement already exists").
// The shop keeps no other session state: its advisory locks are
// transaction-scoped and it never SETs a session variable.
func withoutStatementCache(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL: %w", err)
	}
	q := u.Query()
	if q.Get("default_query_exec_mode") == "" {
		q.Set("default_query_exec_mode", "exec")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// redact hides a password in a URL before it is shown.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
