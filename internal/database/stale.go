package database

import (
	"context"
	"database/sql/driver"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// stalePlans drops every pooled connection's prepared statements once any
// connection of the pool saw the schema change (SchemaChanged: a relation,
// column or type gone, a cached plan whose result type changed, a type OID
// the server no longer knows).
//
// pgx prepares and caches every statement per connection. A migration
// applied or reverted while the shop serves can leave those statements
// stale: a statement prepared before `migrate down` and not run until after
// `migrate up` still names the old OIDs of the types it was prepared with
// (XX000 "cache lookup failed for type") or plans for a result type that
// changed (0A000). pgx drops a statement only once it has failed, on the
// connection where it failed, so after `up` every (connection, statement)
// pair failed once: 503s for seconds. Instead, the first such error on any
// connection bumps the pool's generation, and every connection whose caches
// are older runs DEALLOCATE ALL (pgx.Conn.DeallocateAll, which also clears
// its statement and description caches) before its next use. During a
// revert the errors go on and connections keep resetting, so by the time
// `up` commits no connection holds a statement from before the revert.
//
// Not behind a transaction pooler: there the pool prepares nothing it
// keeps (default_query_exec_mode=exec), and DEALLOCATE ALL would reach a
// server connection other clients share.
type stalePlans struct {
	gen atomic.Uint64
}

// plansGen is the key, in a connection's pgconn.CustomData (touched only by
// the goroutine that holds the connection), of the generation its caches
// date from.
const plansGen = "shop.plans_gen"

func newStalePlans() *stalePlans { return &stalePlans{} }

// install hooks s into cfg; the connector must also run s.afterConnect
// after each connect and s.resetSession before each reuse.
func (s *stalePlans) install(cfg *pgx.ConnConfig) {
	prev := cfg.OnPgError
	cfg.OnPgError = func(c *pgconn.PgConn, e *pgconn.PgError) bool {
		if SchemaChanged(e) {
			s.gen.Add(1)
		}
		if prev != nil {
			return prev(c, e)
		}
		return true
	}
}

// afterConnect records that a new connection's caches are current.
func (s *stalePlans) afterConnect(_ context.Context, c *pgx.Conn) error {
	c.PgConn().CustomData()[plansGen] = s.gen.Load()
	return nil
}

// resetSession runs before a pooled connection is reused: it drops the
// connection's prepared statements if the schema changed since they were
// made. A connection that can't is discarded.
func (s *stalePlans) resetSession(ctx context.Context, c *pgx.Conn) error {
	g := s.gen.Load()
	data := c.PgConn().CustomData()
	if seen, ok := data[plansGen].(uint64); ok && seen == g {
		return nil
	}
	if err := c.DeallocateAll(ctx); err != nil {
		return driver.ErrBadConn
	}
	data[plansGen] = g
	return nil
}
