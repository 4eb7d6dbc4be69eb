package ratelimit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Shared is a limiter whose state lives in PostgreSQL (table
// rate_limit_buckets), so every replica on the database shares one budget
// per key. It is GCRA, the token bucket of Limiter expressed as one
// timestamp per key: each attempt is one atomic upsert that moves the
// key's theoretical arrival time (tat) forward by the emission interval,
// or, when that would pass the burst, changes nothing and is refused.
type Shared struct {
	db        *sql.DB
	perMinute int
	sweptAt   atomic.Int64 // unix seconds of the last sweep by this process
}

// NewShared returns a shared limiter of perMinute attempts per key per
// minute (bursts of perMinute) on a PostgreSQL database. A zero perMinute
// allows everything.
func NewShared(db *sql.DB, perMinute int) *Shared {
	return &Shared{db: db, perMinute: perMinute}
}

// allowSQL takes one attempt in one statement: $2 is the emission interval
// (a minute / perMinute), $3 the window (a minute). A new key starts at
// now() + interval; an existing one moves from max(tat, now()) by the
// interval, but only while that stays within the window of now(). A
// refused attempt updates nothing and returns no row. Row locks on the key
// serialise concurrent attempts of every replica.
const allowSQL = `INSERT INTO rate_limit_buckets AS b (key, tat) VALUES ($1, now() + $2::interval)
ON CONFLICT (key) DO UPDATE SET tat = GREATEST(b.tat, now()) + $2::interval
WHERE GREATEST(b.tat, now()) + $2::interval <= now() + $3::interval
RETURNING tat`

// Allow takes one attempt for key. When refused it returns how long until
// the next attempt would be allowed.
func (s *Shared) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	if s == nil || s.perMinute <= 0 {
		return true, 0, nil
	}
	interval := time.Minute / time.Duration(s.perMinute)
	iv, win := pgInterval(interval), pgInterval(time.Minute)
	s.sweep(ctx)
	var tat time.Time
	err := s.db.QueryRowContext(ctx, allowSQL, key, iv, win).Scan(&tat)
	if err == nil {
		return true, 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, 0, fmt.Errorf("rate limit: %w", err)
	}
	// Refused: the next attempt fits once tat + interval - window has passed.
	var wait float64
	err = s.db.QueryRowContext(ctx,
		`SELECT EXTRACT(EPOCH FROM (tat + $2::interval - $3::interval - now()))::float8 FROM rate_limit_buckets WHERE key = $1`,
		key, iv, win).Scan(&wait)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, 0, fmt.Errorf("rate limit: %w", err)
	}
	return false, max(time.Duration(wait*float64(time.Second)), time.Second), nil
}

// sweep deletes, at most once a minute per process, the keys whose tat has
// passed: their bucket is full again, the same as no row.
func (s *Shared) sweep(ctx context.Context) {
	now := time.Now().Unix()
	last := s.sweptAt.Load()
	if now-last < 60 || !s.sweptAt.CompareAndSwap(last, now) {
		return
	}
	_, _ = s.db.ExecContext(ctx, `DELETE FROM rate_limit_buckets WHERE tat < now()`)
}

func pgInterval(d time.Duration) string {
	return fmt.Sprintf("%d microseconds", d.Microseconds())
}

// Peek reports whether key has an attempt left, taking none: the
// condition of allowSQL's conflict arm, read.
func (s *Shared) Peek(ctx context.Context, key string) (bool, time.Duration, error) {
	if s == nil || s.perMinute <= 0 {
		return true, 0, nil
	}
	interval := time.Minute / time.Duration(s.perMinute)
	var (
		ok   bool
		wait float64
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT GREATEST(tat, now()) + $2::interval <= now() + $3::interval,
		EXTRACT(EPOCH FROM (tat + $2::interval - $3::interval - now()))::float8 FROM rate_limit_buckets WHERE key = $1`,
		key, pgInterval(interval), pgInterval(time.Minute)).Scan(&ok, &wait)
	if errors.Is(err, sql.ErrNoRows) {
		return true, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("rate limit: %w", err)
	}
	if ok {
		return true, 0, nil
	}
	return false, max(time.Duration(wait*float64(time.Second)), time.Second), nil
}
