package database

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"shop/ent"
)

// ErrRetry asks RetryTx to run the transaction again: fn saw a conflict
// that a fresh attempt settles (e.g. a concurrent insert of the same
// idempotency key, now committed).
var ErrRetry = errors.New("retry the transaction")

// Retryable reports whether err is a transient conflict between concurrent
// transactions: PostgreSQL serialization failures and deadlocks (SQLSTATE
// 40001, 40P01), SQLite's busy and locked errors, or ErrRetry.
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

// RetryTx is WithTx that runs fn again, after a short random pause, when
// the transaction fails with a Retryable error, up to attempts times in
// all. onRetry (may be nil) is told of each retry. fn must be safe to run
// again: everything it wrote was rolled back.
func RetryTx(ctx context.Context, client *ent.Client, attempts int, onRetry func(error), fn func(tx *ent.Tx) error) error {
	var err error
	for i := 0; i < max(attempts, 1); i++ {
		if i > 0 {
			if onRetry != nil {
				onRetry(err)
			}
			// Jitter grows with the attempt so colliding transactions spread out.
			pause := time.Duration(rand.Int64N(int64(2*time.Millisecond)<<min(i, 6))) + time.Millisecond
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pause):
			}
		}
		err = WithTx(ctx, client, fn)
		if err == nil || !Retryable(err) {
			return err
		}
	}
	return err
}

// DefaultAttempts is how often an ordinary write transaction is run when it
// collides with concurrent ones.
const DefaultAttempts = 5

// Write runs fn in one write transaction, retried on transient conflicts
// (DefaultAttempts in all), passing it the transaction's client, and
// returns fn's result. It is how handlers run a module's write.
func Write[T any](ctx context.Context, client *ent.Client, fn func(db *ent.Client) (T, error)) (T, error) {
	var out T
	err := RetryTx(ctx, client, DefaultAttempts, nil, func(tx *ent.Tx) (err error) {
		out, err = fn(tx.Client())
		return err
	})
	return out, err
}

// Exec is Write for a fn with no result.
func Exec(ctx context.Context, client *ent.Client, fn func(db *ent.Client) error) error {
	return RetryTx(ctx, client, DefaultAttempts, nil, func(tx *ent.Tx) error { return fn(tx.Client()) })
}
