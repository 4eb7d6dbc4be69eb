package database

import (
	"context"
	stdsql "database/sql"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"
)

type customPlanKey struct{}

// CustomPlan marks ctx so that PostgreSQL plans the queries run with it for
// their actual arguments every time. pgx prepares and caches every
// statement; after five executions PostgreSQL may switch a prepared
// statement to its generic plan, which can't see the arguments. For a text
// search under ORDER BY … LIMIT that plan walks the sort index and filters
// every row when the term is rare (a search that matches nothing took ~1 s
// on 1,000,000 products), where a plan for the actual term reads the
// trigram index. Queries outside a transaction only.
func CustomPlan(ctx context.Context) context.Context {
	return context.WithValue(ctx, customPlanKey{}, true)
}

// planDriver runs the queries of a CustomPlan context in pgx's
// QueryExecModeExec: the unnamed statement, parsed and planned with its
// arguments, still one round trip.
type planDriver struct {
	dialect.Driver
}

func withCustomPlans(ctx context.Context, args any) any {
	if ctx.Value(customPlanKey{}) == nil {
		return args
	}
	a, ok := args.([]any)
	if !ok {
		return args
	}
	return append([]any{pgx.QueryExecModeExec}, a...)
}

// Query runs a query, planned for its arguments in a CustomPlan context.
func (d planDriver) Query(ctx context.Context, query string, args, v any) error {
	return d.Driver.Query(ctx, query, withCustomPlans(ctx, args), v)
}

// ExecContext runs a raw statement.
func (d planDriver) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	return d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	}).ExecContext(ctx, query, args...)
}

// QueryContext runs a raw query.
func (d planDriver) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	return d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	}).QueryContext(ctx, query, args...)
}
