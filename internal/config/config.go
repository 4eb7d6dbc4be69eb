// Package config reads the shop's settings from environment variables, each
// with a safe default. The README lists them all.
package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the shop.
type Config struct {
	DatabaseURL     string        // DATABASE_URL
	Addr            string        // SHOP_ADDR
	JWTSecret       string        // SHOP_JWT_SECRET
	TokenTTL        time.Duration // SHOP_TOKEN_TTL
	Currency        string        // SHOP_CURRENCY
	DBMaxOpenConns  int           // SHOP_DB_MAX_OPEN_CONNS
	DBMaxIdleConns  int           // SHOP_DB_MAX_IDLE_CONNS (at most SHOP_DB_MAX_OPEN_CONNS)
	DBConnMaxLife   time.Duration // SHOP_DB_CONN_MAX_LIFETIME
	DBConnMaxIdle   time.Duration // SHOP_DB_CONN_MAX_IDLE_TIME: an idle connection is closed after this
	DBBusyTimeout   time.Duration // SHOP_DB_BUSY_TIMEOUT (SQLite)
	CheckoutLocking string        // SHOP_CHECKOUT_LOCKING
	AuthRateLimit   int           // SHOP_AUTH_RATE_LIMIT (per minute, per client IP; 0 = off)
	// DiscountRateLimit is SHOP_DISCOUNT_RATE_LIMIT: refused discount
	// codes per minute per customer (0 = off).
	DiscountRateLimit int
	BcryptCost        int           // SHOP_BCRYPT_COST
	ShutdownTimeout   time.Duration // SHOP_SHUTDOWN_TIMEOUT
	RequestTimeout    time.Duration // SHOP_REQUEST_TIMEOUT
	// DBStatementTimeout is PostgreSQL's statement_timeout for the serving
	// processes (serve, worker): SHOP_DB_STATEMENT_TIMEOUT, by default
	// SHOP_REQUEST_TIMEOUT plus a second (a statement can't usefully
	// outlive its request; the request's own cancellation comes first);
	// 0 = the server's setting.
	DBStatementTimeout time.Duration
	LogLevel           string   // SHOP_LOG_LEVEL
	TrustProxy         bool     // SHOP_TRUST_PROXY: take the client IP from X-Forwarded-For set by a proxy on a private network
	CORSOrigins        []string // SHOP_CORS_ORIGINS: comma-separated origins browsers may call the API from; none = CORS off
	DBPooler           string   // SHOP_DB_POOLER: "transaction" behind PgBouncer in transaction mode, else "" (direct)
	DebugAddr          string   // SHOP_DEBUG_ADDR: private listener for net/http/pprof; empty (default) = off

	// Integrations (webhooks on River).
	Workers             bool          // SHOP_WORKERS: run the webhook workers in `shop serve` (false: API only)
	LowStockThreshold   int           // SHOP_LOW_STOCK_THRESHOLD: inventory.low_stock fires when stock drops below it
	WebhookAllowPrivate bool          // SHOP_WEBHOOK_ALLOW_PRIVATE: let webhooks reach loopback/private addresses
	WebhookBackoffBase  time.Duration // SHOP_WEBHOOK_BACKOFF_BASE: first retry delay, doubled each attempt
	WebhookBackoffCap   time.Duration // SHOP_WEBHOOK_BACKOFF_CAP: longest delay between attempts
	WebhookRetryWindow  time.Duration // SHOP_WEBHOOK_RETRY_WINDOW: how long a failing delivery is retried before it is failed
	WorkerPollInterval  time.Duration // SHOP_WORKER_POLL_INTERVAL: how often idle workers look for new jobs
	WorkerConcurrency   int           // SHOP_WORKER_CONCURRENCY: jobs (events, deliveries) one process works at once
}

// MinJWTSecretBytes is the shortest SHOP_JWT_SECRET the shop starts with:
// the 256 bits RFC 7518 §3.2 requires of an HS256 key.
const MinJWTSecretBytes = 32

// Load reads the configuration through getenv (os.Getenv in main, a map in
// tests). It fails on a value that is present but malformed.
func Load(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		DatabaseURL:       r.str("DATABASE_URL", "sqlite:shop.db"),
		Addr:              r.str("SHOP_ADDR", ":8080"),
		JWTSecret:         r.str("SHOP_JWT_SECRET", ""),
		TokenTTL:          r.dur("SHOP_TOKEN_TTL", 24*time.Hour),
		Currency:          strings.ToUpper(r.str("SHOP_CURRENCY", "USD")),
		DBMaxOpenConns:    r.int("SHOP_DB_MAX_OPEN_CONNS", 10),
		DBMaxIdleConns:    r.int("SHOP_DB_MAX_IDLE_CONNS", -1), // -1: unset, four fifths of the open limit (below)
		DBConnMaxLife:     r.dur("SHOP_DB_CONN_MAX_LIFETIME", 30*time.Minute),
		DBConnMaxIdle:     r.dur("SHOP_DB_CONN_MAX_IDLE_TIME", 5*time.Minute),
		DBBusyTimeout:     r.dur("SHOP_DB_BUSY_TIMEOUT", 10*time.Second),
		CheckoutLocking:   r.str("SHOP_CHECKOUT_LOCKING", "optimistic"),
		AuthRateLimit:     r.int("SHOP_AUTH_RATE_LIMIT", 20),
		DiscountRateLimit: r.int("SHOP_DISCOUNT_RATE_LIMIT", 20),
		BcryptCost:        r.int("SHOP_BCRYPT_COST", 10),
		ShutdownTimeout:   r.dur("SHOP_SHUTDOWN_TIMEOUT", 10*time.Second),
		RequestTimeout:    r.dur("SHOP_REQUEST_TIMEOUT", 30*time.Second),
		LogLevel:          r.str("SHOP_LOG_LEVEL", "info"),
		TrustProxy:        r.bool("SHOP_TRUST_PROXY", false),
		CORSOrigins:       r.list("SHOP_CORS_ORIGINS"),
		DBPooler:          strings.ToLower(r.str("SHOP_DB_POOLER", "")),
		DebugAddr:         r.str("SHOP_DEBUG_ADDR", ""),

		Workers:             r.bool("SHOP_WORKERS", true),
		LowStockThreshold:   r.int("SHOP_LOW_STOCK_THRESHOLD", 5),
		WebhookAllowPrivate: r.bool("SHOP_WEBHOOK_ALLOW_PRIVATE", false),
		WebhookBackoffBase:  r.dur("SHOP_WEBHOOK_BACKOFF_BASE", 30*time.Second),
		WebhookBackoffCap:   r.dur("SHOP_WEBHOOK_BACKOFF_CAP", 6*time.Hour),
		WebhookRetryWindow:  r.dur("SHOP_WEBHOOK_RETRY_WINDOW", 25*time.Hour),
		WorkerPollInterval:  r.dur("SHOP_WORKER_POLL_INTERVAL", time.Second),
		WorkerConcurrency:   r.int("SHOP_WORKER_CONCURRENCY", 100),
	}
	c.DBStatementTimeout = r.dur("SHOP_DB_STATEMENT_TIMEOUT", c.RequestTimeout+time.Second)
	if r.err != nil {
		return Config{}, r.err
	}
	if c.DBStatementTimeout < 0 {
		return Config{}, fmt.Errorf("SHOP_DB_STATEMENT_TIMEOUT: want 0 (off) or a positive duration, got %s", c.DBStatementTimeout)
	}
	if len(c.Currency) != 3 {
		return Config{}, fmt.Errorf("SHOP_CURRENCY: want a 3-letter ISO 4217 code, got %q", c.Currency)
	}
	if c.CheckoutLocking != "optimistic" && c.CheckoutLocking != "pessimistic" {
		return Config{}, fmt.Errorf("SHOP_CHECKOUT_LOCKING: want optimistic or pessimistic, got %q", c.CheckoutLocking)
	}
	if c.DBMaxOpenConns < 1 {
		return Config{}, fmt.Errorf("SHOP_DB_MAX_OPEN_CONNS: want at least 1, got %d", c.DBMaxOpenConns)
	}
	switch {
	case c.DBMaxIdleConns == -1:
		// Unset: four fifths of the open limit (below it, at least 1), so idle
		// processes don't keep a server's slots filled, and idle ones
		// expire after SHOP_DB_CONN_MAX_IDLE_TIME. Not much lower: a cap
		// below the concurrent connections of a steady load closes one and
		// opens another (a new PostgreSQL backend) on every burst
		// (measured: W1 at C=8 went from 243 to 162 iterations/s with 5
		// of 20); a saturated pool hands a released connection straight to
		// a waiting request, so the cap costs nothing at the open limit.
		c.DBMaxIdleConns = max(1, c.DBMaxOpenConns-max(1, c.DBMaxOpenConns/5))
	case c.DBMaxIdleConns < 1 || c.DBMaxIdleConns > c.DBMaxOpenConns:
		return Config{}, fmt.Errorf("SHOP_DB_MAX_IDLE_CONNS: want 1..SHOP_DB_MAX_OPEN_CONNS (%d), got %d", c.DBMaxOpenConns, c.DBMaxIdleConns)
	}
	if c.DBConnMaxIdle <= 0 || c.DBConnMaxLife <= 0 {
		return Config{}, fmt.Errorf("SHOP_DB_CONN_MAX_IDLE_TIME and SHOP_DB_CONN_MAX_LIFETIME: want positive durations")
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < MinJWTSecretBytes {
		// An HMAC-SHA256 key shorter than the hash is guessable offline
		// from any one token (RFC 7518 §3.2 requires at least 256 bits).
		return Config{}, fmt.Errorf("SHOP_JWT_SECRET: want at least %d bytes (e.g. `openssl rand -hex 32`), got %d", MinJWTSecretBytes, len(c.JWTSecret))
	}
	if c.DBPooler != "" && c.DBPooler != "none" && c.DBPooler != "session" && c.DBPooler != "transaction" {
		return Config{}, fmt.Errorf("SHOP_DB_POOLER: want transaction, session or none, got %q", c.DBPooler)
	}
	if c.DiscountRateLimit < 0 {
		return Config{}, fmt.Errorf("SHOP_DISCOUNT_RATE_LIMIT: want 0 or more, got %d", c.DiscountRateLimit)
	}
	if c.AuthRateLimit < 0 {
		return Config{}, fmt.Errorf("SHOP_AUTH_RATE_LIMIT: want 0 or more, got %d", c.AuthRateLimit)
	}
	if c.WebhookBackoffBase <= 0 || c.WebhookBackoffCap < c.WebhookBackoffBase || c.WebhookRetryWindow <= 0 {
		return Config{}, fmt.Errorf("SHOP_WEBHOOK_BACKOFF_BASE, _CAP and SHOP_WEBHOOK_RETRY_WINDOW: want 0 < base <= cap and a positive window")
	}
	if c.WorkerPollInterval < 100*time.Millisecond {
		// River refuses a poll interval shorter than its fetch cooldown
		// (100 ms), and would only say so when the workers start.
		return Config{}, fmt.Errorf("SHOP_WORKER_POLL_INTERVAL: want at least 100ms, got %s", c.WorkerPollInterval)
	}
	if c.LowStockThreshold < 0 {
		return Config{}, fmt.Errorf("SHOP_LOW_STOCK_THRESHOLD: want 0 or more, got %d", c.LowStockThreshold)
	}
	if c.WorkerConcurrency < 1 || c.WorkerConcurrency > 10000 {
		return Config{}, fmt.Errorf("SHOP_WORKER_CONCURRENCY: want 1..10000, got %d", c.WorkerConcurrency)
	}
	return c, nil
}

type reader struct {
	getenv func(string) string
	err    error
}

func (r *reader) str(key, def string) string {
	if v := strings.TrimSpace(r.getenv(key)); v != "" {
		return v
	}
	return def
}

func (r *reader) int(key string, def int) int {
	v := strings.TrimSpace(r.getenv(key))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("%s: want an integer, got %q", key, v)
	}
	return n
}

func (r *reader) bool(key string, def bool) bool {
	switch v := strings.ToLower(strings.TrimSpace(r.getenv(key))); v {
	case "":
		return def
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	default:
		if r.err == nil {
			r.err = fmt.Errorf("%s: want true or false, got %q", key, v)
		}
		return def
	}
}

func (r *reader) dur(key string, def time.Duration) time.Duration {
	v := strings.TrimSpace(r.getenv(key))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("%s: want a duration like 30s or 24h, got %q", key, v)
	}
	return d
}

// list reads a comma-separated list; blanks are dropped.
func (r *reader) list(key string) []string {
	var out []string
	for _, v := range strings.Split(r.getenv(key), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
