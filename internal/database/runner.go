package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"shop/ent"
	"shop/ent/user"
	"shop/internal/actor"
	"shop/internal/events"
)

// Runner is the one way the shop runs a write: REST handlers, GraphQL
// mutations and the command line all open their transactions with it. Each
// attempt gets a fresh events.Outbox in its context (events.FromContext),
// whose events are inserted as River jobs inside the transaction just
// before COMMIT; a transaction that fails with a transient conflict
// (Retryable) is run again, after a short random pause, up to Attempts
// times in all.
type Runner struct {
	// Client is the database's client; reads use it directly.
	Client   *ent.Client
	settings events.Settings
	inserter *events.Inserter
	onRetry  func(error)
}

// Attempts is how often a write transaction is run when it collides with
// concurrent ones (the first run included).
const Attempts = 10

// NewRunner returns the runner of client, whose events are built with s.
func NewRunner(client *ent.Client, s events.Settings) (*Runner, error) {
	ins, err := events.NewInserter(client.Dialect())
	if err != nil {
		return nil, err
	}
	return &Runner{Client: client, settings: s, inserter: ins}, nil
}

// OnRetry returns a copy of r that calls f with the error of each attempt
// it runs again (a metric of contention).
func (r *Runner) OnRetry(f func(error)) *Runner {
	c := *r
	c.onRetry = f
	return &c
}

// Tx runs fn in one transaction: committed, with the events fn added to the
// outbox of its ctx, when fn returns nil; rolled back when fn returns an
// error or panics; run again when the error is Retryable. fn must use the
// ctx it is given (it carries the outbox) and be safe to run again:
// everything it wrote was rolled back.
func (r *Runner) Tx(ctx context.Context, fn func(ctx context.Context, tx *ent.Tx) error) error {
	return r.explain(ctx, r.retry(ctx, func() error { return r.once(ctx, fn) }))
}

// Do runs fn on the plain client, outside a transaction, with the retry
// policy of Tx: for a single guarded statement that records no event and
// needs no transaction (a cart line). There is no outbox in its ctx.
func (r *Runner) Do(ctx context.Context, fn func(ctx context.Context, db *ent.Client) error) error {
	return r.explain(ctx, r.retry(ctx, func() error { return fn(ctx, r.Client) }))
}

// retry runs attempt until it succeeds, fails with an error that is not
// Retryable, or has run Attempts times.
func (r *Runner) retry(ctx context.Context, attempt func() error) error {
	var err error
	for i := 0; i < Attempts; i++ {
		if i > 0 {
			if r.onRetry != nil {
				r.onRetry(err)
			}
			// Jitter grows with the attempt so colliding transactions spread out.
			pause := time.Duration(rand.Int64N(int64(2*time.Millisecond)<<min(i, 6))) + time.Millisecond
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pause):
			}
		}
		err = attempt()
		if err == nil || !Retryable(err) {
			return err
		}
	}
	return err
}

// Write runs fn through r.Tx, passing it the transaction's client, and
// returns fn's result. It is how handlers run a module's write.
func Write[T any](ctx context.Context, r *Runner, fn func(ctx context.Context, db *ent.Client) (T, error)) (T, error) {
	var out T
	err := r.Tx(ctx, func(ctx context.Context, tx *ent.Tx) (err error) {
		out, err = fn(ctx, tx.Client())
		return err
	})
	return out, err
}

// Exec is Write for a fn with no result.
func (r *Runner) Exec(ctx context.Context, fn func(ctx context.Context, db *ent.Client) error) error {
	return r.Tx(ctx, func(ctx context.Context, tx *ent.Tx) error { return fn(ctx, tx.Client()) })
}

// explain tells apart, on SQLite, whose foreign key a failed write
// violated: SQLite does not name the key, so a read on this failure path
// asks whether the acting user still exists. If not, the write failed
// because the token's user is gone (ErrUnknownUser, 401); otherwise the
// violation stays what it is (a conflict, 409: every other reference is
// checked before it is written, so only a concurrent change gets here).
// PostgreSQL names the constraint (UnknownUser), so needs no read.
func (r *Runner) explain(ctx context.Context, err error) error {
	uid := actor.From(ctx).UserID
	if uid == 0 || !sqliteForeignKey(err) {
		return err
	}
	exists, rerr := r.Client.User.Query().Where(user.ID(uid)).Exist(ctx)
	if rerr != nil || exists {
		return err
	}
	return ErrUnknownUser().Wrap(err)
}

// maxBeginRetries bounds the retries of a BEGIN refused with
// driver.ErrBadConn.
const maxBeginRetries = 32

// once runs one attempt of fn in a transaction of its own, with an outbox.
func (r *Runner) once(ctx context.Context, fn func(ctx context.Context, tx *ent.Tx) error) error {
	tx, err := r.Client.Tx(ctx)
	// BEGIN on a pooled connection that died since its last use (closed
	// under a request whose client went away) fails with ErrBadConn.
	// database/sql tries three connections, but when the pool is at its
	// limit a waiting BEGIN is handed released connections, which after a
	// burst of cancelled requests may all be dead. Nothing ran: try again,
	// each attempt drops one dead connection.
	for try := 0; try < maxBeginRetries && errors.Is(err, driver.ErrBadConn); try++ {
		tx, err = r.Client.Tx(ctx)
	}
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if v := recover(); v != nil {
			_ = tx.Rollback()
			panic(v)
		}
	}()
	out := events.NewOutbox(r.settings)
	out.Attach(r.inserter, tx.Client().SQLTx())
	err = fn(events.NewContext(ctx, out), tx)
	if err == nil {
		err = out.Flush(ctx, r.inserter, tx.Client().SQLTx())
	}
	if err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		if errors.Is(err, sql.ErrTxDone) {
			// Closed under us, not by us (fn succeeded and nothing else
			// ends this transaction), and rolled back: by its request's
			// end (the client went away, or the deadline passed), or
			// because its connection was lost.
			if cerr := ctx.Err(); cerr != nil {
				err = errors.Join(err, cerr)
			} else {
				err = errors.Join(err, errTxLost)
			}
		}
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// ErrRetry asks the runner to run the transaction again: fn saw a conflict
// that a fresh attempt settles (e.g. a concurrent insert of the same
// idempotency key, now committed).
var ErrRetry = errors.New("retry the transaction")

// Retryable reports whether err is a transient conflict between concurrent
// transactions: PostgreSQL serialization failures and deadlocks (SQLSTATE
// 40001, 40P01), SQLite's busy and locked errors, or ErrRetry. It is the
// runner's one retry policy (a dead pooled connection at BEGIN is retried
// at once, inside an attempt).
func Retryable(err error) bool {
	if errors.Is(err, ErrRetry) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		c := lite.Code() & 0xff
		return c == 5 || c == 6 // SQLITE_BUSY, SQLITE_LOCKED
	}
	return false
}

// Now is the current time in UTC at microsecond precision, the finest both
// databases store, so a value read back equals the value written.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
