package ratelimit

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"
)

// near reports whether a wait is want, give or take the float rounding of
// golang.org/x/time/rate.
func near(got, want time.Duration) bool { return (got - want).Abs() < time.Millisecond }

// attempt is one Allow at an offset from the test's start, and its answer.
type attempt struct {
	at       time.Duration
	key      string
	wantOK   bool
	wantWait time.Duration
}

func TestLimiter_Allow(t *testing.T) {
	t.Parallel()
	s := time.Second
	tests := []struct {
		name      string
		perMinute int
		attempts  []attempt
	}{
		{"BurstThenRefused", 3, []attempt{
			{0, "ip", true, 0}, {0, "ip", true, 0}, {0, "ip", true, 0},
			{0, "ip", false, 20 * s}, // one attempt every 20 s once the burst is spent
			{0, "ip", false, 20 * s}, // a refused attempt takes nothing
		}},
		{"RefillsAtTheRate", 3, []attempt{
			{0, "ip", true, 0}, {0, "ip", true, 0}, {0, "ip", true, 0},
			{10 * s, "ip", false, 10 * s},
			{20 * s, "ip", true, 0},
			{20 * s, "ip", false, 20 * s},
			{80 * s, "ip", true, 0}, {80 * s, "ip", true, 0}, {80 * s, "ip", true, 0},
			{80 * s, "ip", false, 20 * s}, // a full bucket holds no more than the burst
		}},
		{"KeysAreIndependent", 1, []attempt{
			{0, "a", true, 0}, {0, "a", false, time.Minute},
			{0, "b", true, 0}, {0, "b", false, time.Minute},
			{time.Minute, "a", true, 0},
		}},
		{"ZeroAllowsEverything", 0, []attempt{
			{0, "ip", true, 0}, {0, "ip", true, 0}, {0, "ip", true, 0}, {0, "ip", true, 0},
		}},
		{"NegativeAllowsEverything", -1, []attempt{{0, "ip", true, 0}, {0, "ip", true, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := New(tt.perMinute)
			start := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
			for i, a := range tt.attempts {
				ok, wait := l.allowAt(a.key, start.Add(a.at))
				if ok != a.wantOK || !near(wait, a.wantWait) {
					t.Errorf("attempt %d (%q at +%s) = %v, wait %s; want %v, wait %s", i, a.key, a.at, ok, wait, a.wantOK, a.wantWait)
				}
			}
		})
	}
}

func TestLimiter_Nil(t *testing.T) {
	t.Parallel()
	var l *Limiter
	if ok, wait, err := l.Allow(context.Background(), "ip"); !ok || wait != 0 || err != nil {
		t.Errorf("nil limiter = %v, %s, %v; want allowed", ok, wait, err)
	}
}

// TestLimiter_Sweep: once a minute, keys whose bucket is full again are
// dropped (the same as never seen); a key still short of tokens is kept.
func TestLimiter_Sweep(t *testing.T) {
	t.Parallel()
	l := New(3)
	start := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	l.allowAt("idle", start)
	for range 3 {
		l.allowAt("busy", start.Add(50*time.Second)) // no sweep: the last was at start
	}
	if got := slices.Sorted(maps.Keys(l.keys)); !slices.Equal(got, []string{"busy", "idle"}) {
		t.Fatalf("keys before the sweep = %v", got)
	}
	l.allowAt("new", start.Add(61*time.Second))
	if got := slices.Sorted(maps.Keys(l.keys)); !slices.Equal(got, []string{"busy", "new"}) {
		t.Errorf("keys after the sweep = %v, want busy and new (idle's bucket is full again)", got)
	}
	// busy kept its state: it has earned half a token in 11 s.
	if ok, wait := l.allowAt("busy", start.Add(61*time.Second)); ok || !near(wait, 9*time.Second) {
		t.Errorf("busy after the sweep = %v, wait %s; want refused for 9s", ok, wait)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		wait time.Duration
		want int
	}{
		{0, 1},
		{time.Nanosecond, 1},
		{time.Second, 1},
		{time.Second + time.Millisecond, 2},
		{20 * time.Second, 20},
		{59500 * time.Millisecond, 60},
	} {
		if got := RetryAfterSeconds(tt.wait); got != tt.want {
			t.Errorf("RetryAfterSeconds(%s) = %d, want %d", tt.wait, got, tt.want)
		}
	}
}

func TestPgInterval(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{time.Minute, "60000000 microseconds"},
		{time.Minute / 20, "3000000 microseconds"},
		{time.Minute / 7, "8571428 microseconds"}, // truncated to PostgreSQL's precision
	} {
		if got := pgInterval(tt.d); got != tt.want {
			t.Errorf("pgInterval(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestFor(t *testing.T) {
	t.Parallel()
	if _, ok := For(nil, "postgres", 20).(*Shared); !ok {
		t.Error("For(postgres) is not Shared: replicas would not share the budget")
	}
	if _, ok := For(nil, "sqlite3", 20).(*Limiter); !ok {
		t.Error("For(sqlite3) is not the in-process Limiter")
	}
}
