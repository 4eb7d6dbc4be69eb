package ratelimit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"shop/internal/testdb"
)

// secondsAhead returns how far key's tat is from the database's now(), in
// seconds, and false when the key has no row.
func secondsAhead(t *testing.T, db *sql.DB, key string) (float64, bool) {
	t.Helper()
	var s float64
	err := db.QueryRow(`SELECT EXTRACT(EPOCH FROM (tat - now()))::float8 FROM rate_limit_buckets WHERE key = $1`, key).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return s, true
}

// TestShared_GCRA pins the GCRA arithmetic of allowSQL on PostgreSQL with 6
// attempts a minute (an interval of 10 s, a window of 60 s): from each
// starting tat (the key's theoretical arrival time, relative to now), one
// attempt is allowed and moves tat to max(tat, now) + 10 s, or is refused,
// changes nothing and says how long to wait (tat + 10 s - 60 s - now, at
// least a second).
func TestShared_GCRA(t *testing.T) {
	t.Parallel()
	db := testdb.New(t, dialect.Postgres).SQL
	s := NewShared(db, 6)
	none := -1e9 // no row for the key
	tests := []struct {
		name     string
		tat      float64 // seconds from now, or none
		wantOK   bool
		wantTat  float64 // seconds from now after the attempt
		wantWait time.Duration
	}{
		{"NewKey", none, true, 10, 0},
		{"FullBucket", -3600, true, 10, 0},
		{"PartlySpent", 30, true, 40, 0},
		{"LastOfTheBurst", 49, true, 59, 0},
		{"BurstSpent", 55, false, 55, 5 * time.Second},
		{"FarAhead", 60, false, 60, 10 * time.Second},
		{"WaitsAtLeastASecond", 50.5, false, 50.5, time.Second},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprintf("gcra-%d", i)
			if tt.tat != none {
				if _, err := db.Exec(`INSERT INTO rate_limit_buckets (key, tat) VALUES ($1, now() + $2 * interval '1 second')`, key, tt.tat); err != nil {
					t.Fatal(err)
				}
			}
			ok, wait, err := s.Allow(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.wantOK || (wait-tt.wantWait).Abs() > 500*time.Millisecond {
				t.Errorf("Allow = %v, wait %s; want %v, wait %s", ok, wait, tt.wantOK, tt.wantWait)
			}
			if got, _ := secondsAhead(t, db, key); got < tt.wantTat-1 || got > tt.wantTat+0.5 {
				t.Errorf("tat is now%+.1fs, want now%+.1fs", got, tt.wantTat)
			}
		})
	}
}

// TestShared_Burst: perMinute attempts in a row are allowed, the next is
// refused for one interval, and other keys are not affected.
func TestShared_Burst(t *testing.T) {
	t.Parallel()
	db := testdb.New(t, dialect.Postgres).SQL
	s := NewShared(db, 5) // an interval of 12 s
	ctx := context.Background()
	for i := range 5 {
		if ok, _, err := s.Allow(ctx, "ip"); !ok || err != nil {
			t.Fatalf("attempt %d refused (%v) within the burst", i+1, err)
		}
	}
	ok, wait, err := s.Allow(ctx, "ip")
	if ok || err != nil || (wait-12*time.Second).Abs() > time.Second {
		t.Errorf("attempt 6 = %v, wait %s, %v; want refused for 12s", ok, wait, err)
	}
	if ok, _, err := s.Allow(ctx, "other"); !ok || err != nil {
		t.Errorf("another key refused (%v)", err)
	}
}

// TestShared_Concurrent: attempts racing on one key (as from several
// replicas) are serialised by the row lock: exactly the burst is allowed.
func TestShared_Concurrent(t *testing.T) {
	t.Parallel()
	db := testdb.New(t, dialect.Postgres).SQL
	s := NewShared(db, 10)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			ok, _, err := s.Allow(context.Background(), "ip")
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 10 {
		t.Errorf("%d of 30 concurrent attempts allowed, want 10", got)
	}
}

// TestShared_Sweep: the first attempt of a process deletes the keys whose
// tat has passed (a full bucket, the same as no row) and keeps the others.
func TestShared_Sweep(t *testing.T) {
	t.Parallel()
	db := testdb.New(t, dialect.Postgres).SQL
	if _, err := db.Exec(`INSERT INTO rate_limit_buckets (key, tat) VALUES ('stale', now() - interval '1 second'), ('fresh', now() + interval '30 seconds')`); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := NewShared(db, 6).Allow(context.Background(), "ip"); !ok || err != nil {
		t.Fatalf("Allow = %v, %v", ok, err)
	}
	if _, ok := secondsAhead(t, db, "stale"); ok {
		t.Error("a key whose tat has passed was not swept")
	}
	if _, ok := secondsAhead(t, db, "fresh"); !ok {
		t.Error("a key still limited was swept")
	}
}

// TestShared_Off: no limit (perMinute 0, or no limiter) allows everything
// and writes nothing; a database error is returned, not taken as allowed.
func TestShared_Off(t *testing.T) {
	t.Parallel()
	db := testdb.New(t, dialect.Postgres).SQL
	ctx := context.Background()
	for name, s := range map[string]*Shared{"Zero": NewShared(db, 0), "Nil": nil} {
		for range 3 {
			if ok, wait, err := s.Allow(ctx, "off-"+name); !ok || wait != 0 || err != nil {
				t.Errorf("%s: Allow = %v, %s, %v; want allowed", name, ok, wait, err)
			}
		}
		if _, ok := secondsAhead(t, db, "off-"+name); ok {
			t.Errorf("%s: a row was written", name)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if ok, _, err := NewShared(db, 6).Allow(cancelled, "ip"); ok || err == nil {
		t.Errorf("Allow on a failing database = %v, %v; want refused with the error", ok, err)
	}
}
