// Package ratelimit limits attempts per key (a client IP, an email) with a
// token bucket per key. It protects against brute force. On PostgreSQL the
// buckets live in the database (Shared), so all replicas share them; on
// SQLite, which serves one process, they live in memory (Limiter).
package ratelimit

import (
	"context"
	"database/sql"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter allows perMinute attempts per key per minute, in bursts of up to
// perMinute. A zero perMinute allows everything.
type Limiter struct {
	perMinute int
	mu        sync.Mutex
	keys      map[string]*rate.Limiter
	sweptAt   time.Time
}

// New returns a limiter of perMinute attempts per key.
func New(perMinute int) *Limiter {
	return &Limiter{perMinute: perMinute, keys: map[string]*rate.Limiter{}}
}

// Allow takes one attempt for key. When refused it returns how long until
// the next attempt would be allowed. It never fails.
func (l *Limiter) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	ok, wait := l.allowAt(key, time.Now())
	return ok, wait, nil
}

// allowAt is Allow at the time now (the tests' clock).
func (l *Limiter) allowAt(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.perMinute <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	lim, ok := l.keys[key]
	if !ok {
		lim = rate.NewLimiter(rate.Every(time.Minute/time.Duration(l.perMinute)), l.perMinute)
		l.keys[key] = lim
	}
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Attempts is what a caller needs of a limiter: Limiter or Shared.
type Attempts interface {
	Allow(ctx context.Context, key string) (ok bool, wait time.Duration, err error)
}

// For returns the limiter fit for the database: Shared on PostgreSQL
// (replicas share it), Limiter on SQLite (one process).
func For(db *sql.DB, dialect string, perMinute int) Attempts {
	if dialect == "postgres" {
		return NewShared(db, perMinute)
	}
	return New(perMinute)
}

// RetryAfterSeconds rounds a wait up to whole seconds for a Retry-After header.
func RetryAfterSeconds(d time.Duration) int {
	return int(math.Max(1, math.Ceil(d.Seconds())))
}

// sweep drops keys whose bucket is full again, once a minute, so the map
// does not grow with every client ever seen.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.sweptAt) < time.Minute {
		return
	}
	l.sweptAt = now
	for k, lim := range l.keys {
		if lim.TokensAt(now) >= float64(l.perMinute) {
			delete(l.keys, k)
		}
	}
}

// Peeker is a limiter that can tell whether key has an attempt left
// without taking it: for limits on failures (refused discount codes),
// checked before the attempt and spent only when it fails.
type Peeker interface {
	Peek(ctx context.Context, key string) (ok bool, wait time.Duration, err error)
}

// Peek reports whether key has an attempt left, taking none.
func (l *Limiter) Peek(_ context.Context, key string) (bool, time.Duration, error) {
	if l == nil || l.perMinute <= 0 {
		return true, 0, nil
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.keys[key]
	if !ok {
		return true, 0, nil
	}
	tokens := lim.TokensAt(now)
	if tokens >= 1 {
		return true, 0, nil
	}
	return false, time.Duration((1 - tokens) * float64(time.Minute/time.Duration(l.perMinute))), nil
}
