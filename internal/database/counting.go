package database

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"
)

// Counter counts every statement a pool opened by OpenCounting sends to the
// database, below database/sql: BEGIN, COMMIT/ROLLBACK and each Exec and
// Query, whoever sends it — Ent, and libraries that write on the *sql.Tx
// under an Ent transaction (the events' INSERT through Client.SQLTx(),
// River's own statements), which a wrapper of Ent's driver would not see. Pool
// housekeeping (pings, session resets) is not counted.
// Before, if set, runs before each statement; change it only while no
// statement runs.
type Counter struct {
	N      atomic.Int64
	Before func(ctx context.Context, n int64, query string)
}

func (c *Counter) count(ctx context.Context, query string) {
	n := c.N.Add(1)
	if c.Before != nil {
		c.Before(ctx, n, query)
	}
}

// OpenCounting is Open on a pool whose connections count every statement
// in the returned Counter.
func OpenCounting(rawURL string, opt Options) (*DB, *Counter, error) {
	c := &Counter{}
	db, err := open(rawURL, opt, func(conn driver.Connector) driver.Connector {
		return countingConnector{Connector: conn, c: c}
	})
	return db, c, err
}

type countingConnector struct {
	driver.Connector
	c *Counter
}

func (cc countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := cc.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, c: cc.c}, nil
}

// countingConn counts the statements of one connection. The shop's drivers
// (pgx stdlib, modernc sqlite) implement the context interfaces, so every
// statement goes through ExecContext, QueryContext or BeginTx here; the
// optional interfaces they implement are passed on (pgx's
// CheckNamedValue lets River send arrays).
type countingConn struct {
	driver.Conn
	c *Counter
}

func (cn *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ex, ok := cn.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	cn.c.count(ctx, query)
	return ex.ExecContext(ctx, query, args)
}

func (cn *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := cn.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	cn.c.count(ctx, query)
	return q.QueryContext(ctx, query, args)
}

func (cn *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	p, ok := cn.Conn.(driver.ConnPrepareContext)
	if !ok {
		return nil, errors.New("database: counting needs a driver with PrepareContext")
	}
	st, err := p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &countingStmt{Stmt: st, c: cn.c, query: query}, nil
}

func (cn *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	b, ok := cn.Conn.(driver.ConnBeginTx)
	if !ok {
		return nil, errors.New("database: counting needs a driver with BeginTx")
	}
	cn.c.count(ctx, "BEGIN")
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return countingDriverTx{Tx: tx, c: cn.c, ctx: ctx}, nil
}

func (cn *countingConn) CheckNamedValue(v *driver.NamedValue) error {
	if ch, ok := cn.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(v)
	}
	return driver.ErrSkip
}

func (cn *countingConn) Ping(ctx context.Context) error {
	if p, ok := cn.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (cn *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := cn.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (cn *countingConn) IsValid() bool {
	if v, ok := cn.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

type countingDriverTx struct {
	driver.Tx
	c   *Counter
	ctx context.Context
}

func (t countingDriverTx) Commit() error {
	t.c.count(t.ctx, "COMMIT")
	return t.Tx.Commit()
}

func (t countingDriverTx) Rollback() error {
	t.c.count(t.ctx, "ROLLBACK")
	return t.Tx.Rollback()
}

// countingStmt counts each execution of a prepared statement.
type countingStmt struct {
	driver.Stmt
	c     *Counter
	query string
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	ex, ok := s.Stmt.(driver.StmtExecContext)
	if !ok {
		return nil, errors.New("database: counting needs a driver with StmtExecContext")
	}
	s.c.count(ctx, s.query)
	return ex.ExecContext(ctx, args)
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.Stmt.(driver.StmtQueryContext)
	if !ok {
		return nil, errors.New("database: counting needs a driver with StmtQueryContext")
	}
	s.c.count(ctx, s.query)
	return q.QueryContext(ctx, args)
}
