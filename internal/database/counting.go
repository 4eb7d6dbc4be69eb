package database

import (
	"context"
	stdsql "database/sql"
	"sync/atomic"

	"entgo.io/ent/dialect"
)

// CountingDriver wraps an Ent driver and counts every statement sent to the
// database, BEGIN and COMMIT/ROLLBACK included. Before, if set, runs before
// each statement (tests use it to inject faults at a chosen point).
type CountingDriver struct {
	dialect.Driver
	N      atomic.Int64
	Before func(ctx context.Context, n int64, query string)
}

func (d *CountingDriver) count(ctx context.Context, query string) {
	n := d.N.Add(1)
	if d.Before != nil {
		d.Before(ctx, n, query)
	}
}

// Exec counts and runs a statement.
func (d *CountingDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.count(ctx, query)
	return d.Driver.Exec(ctx, query, args, v)
}

// Query counts and runs a query.
func (d *CountingDriver) Query(ctx context.Context, query string, args, v any) error {
	d.count(ctx, query)
	return d.Driver.Query(ctx, query, args, v)
}

// ExecContext counts and runs a raw statement.
func (d *CountingDriver) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	d.count(ctx, query)
	return d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	}).ExecContext(ctx, query, args...)
}

// QueryContext counts and runs a raw query.
func (d *CountingDriver) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	d.count(ctx, query)
	return d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	}).QueryContext(ctx, query, args...)
}

// Tx counts BEGIN and returns a counting transaction.
func (d *CountingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	d.count(ctx, "BEGIN")
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, d: d, ctx: ctx}, nil
}

type countingTx struct {
	dialect.Tx
	d   *CountingDriver
	ctx context.Context
}

// Unwrap returns the wrapped transaction (ent.Client.SQLTx reaches the
// *sql.Tx under it).
func (t *countingTx) Unwrap() dialect.Tx { return t.Tx }

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	t.d.count(ctx, query)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	t.d.count(ctx, query)
	return t.Tx.Query(ctx, query, args, v)
}

func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	t.d.count(ctx, query)
	return t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	}).ExecContext(ctx, query, args...)
}

func (t *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	t.d.count(ctx, query)
	return t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	}).QueryContext(ctx, query, args...)
}

func (t *countingTx) Commit() error {
	t.d.count(t.ctx, "COMMIT")
	return t.Tx.Commit()
}

func (t *countingTx) Rollback() error {
	t.d.count(t.ctx, "ROLLBACK")
	return t.Tx.Rollback()
}
