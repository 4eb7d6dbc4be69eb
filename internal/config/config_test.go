package config_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"shop/internal/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestLoadDefaults: with nothing set, every setting has its safe default.
func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	got, err := config.Load(env(nil))
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	want := config.Config{
		DatabaseURL:       "sqlite:shop.db",
		Addr:              ":8080",
		JWTSecret:         "",
		TokenTTL:          24 * time.Hour,
		Currency:          "USD",
		DBMaxOpenConns:    10,
		DBMaxIdleConns:    8,
		DBConnMaxLife:     30 * time.Minute,
		DBConnMaxIdle:     5 * time.Minute,
		DBBusyTimeout:     10 * time.Second,
		CheckoutLocking:   "optimistic",
		AuthRateLimit:     20,
		DiscountRateLimit: 20,
		BcryptCost:        10,
		ShutdownTimeout:   10 * time.Second,
		RequestTimeout:    30 * time.Second,
		LogLevel:          "info",
		// A statement ends a second after its request would.
		DBStatementTimeout: 31 * time.Second,
		TrustProxy:         false,
		// Integrations: workers run in serve, low stock below 5, a retry
		// schedule over more than a day.
		Workers:            true,
		LowStockThreshold:  5,
		WebhookBackoffBase: 30 * time.Second,
		WebhookBackoffCap:  6 * time.Hour,
		WebhookRetryWindow: 25 * time.Hour,
		WorkerPollInterval: time.Second,
		WorkerConcurrency:  100,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load() =\n  %+v\nwant\n  %+v", got, want)
	}
}

// TestLoadValues: each variable, when set (surrounding spaces trimmed),
// lands in its field.
func TestLoadValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, value string
		field      string
		want       any
	}{
		{"DATABASE_URL", "postgres://u@h/db", "DatabaseURL", "postgres://u@h/db"},
		{"DATABASE_URL", "  sqlite:x.db  ", "DatabaseURL", "sqlite:x.db"},
		{"SHOP_ADDR", "127.0.0.1:9000", "Addr", "127.0.0.1:9000"},
		{"SHOP_JWT_SECRET", "0123456789abcdef0123456789abcdef", "JWTSecret", "0123456789abcdef0123456789abcdef"},
		{"SHOP_TOKEN_TTL", "90m", "TokenTTL", 90 * time.Minute},
		{"SHOP_CURRENCY", "eur", "Currency", "EUR"},
		{"SHOP_CURRENCY", "GBP", "Currency", "GBP"},
		{"SHOP_DB_MAX_OPEN_CONNS", "1", "DBMaxOpenConns", 1},
		{"SHOP_DB_MAX_IDLE_CONNS", "1", "DBMaxIdleConns", 1},
		{"SHOP_DB_CONN_MAX_LIFETIME", "5m", "DBConnMaxLife", 5 * time.Minute},
		{"SHOP_DB_CONN_MAX_IDLE_TIME", "30s", "DBConnMaxIdle", 30 * time.Second},
		{"SHOP_DB_MAX_IDLE_CONNS", "10", "DBMaxIdleConns", 10},
		{"SHOP_DB_BUSY_TIMEOUT", "250ms", "DBBusyTimeout", 250 * time.Millisecond},
		{"SHOP_CHECKOUT_LOCKING", "pessimistic", "CheckoutLocking", "pessimistic"},
		{"SHOP_CHECKOUT_LOCKING", "optimistic", "CheckoutLocking", "optimistic"},
		{"SHOP_AUTH_RATE_LIMIT", "0", "AuthRateLimit", 0},
		{"SHOP_DISCOUNT_RATE_LIMIT", "3", "DiscountRateLimit", 3},
		{"SHOP_AUTH_RATE_LIMIT", " 5 ", "AuthRateLimit", 5},
		{"SHOP_BCRYPT_COST", "4", "BcryptCost", 4},
		{"SHOP_SHUTDOWN_TIMEOUT", "1s", "ShutdownTimeout", time.Second},
		{"SHOP_REQUEST_TIMEOUT", "2m", "RequestTimeout", 2 * time.Minute},
		{"SHOP_LOG_LEVEL", "debug", "LogLevel", "debug"},
		{"SHOP_TRUST_PROXY", "true", "TrustProxy", true},
		{"SHOP_TRUST_PROXY", "1", "TrustProxy", true},
		{"SHOP_TRUST_PROXY", "YES", "TrustProxy", true},
		{"SHOP_TRUST_PROXY", "on", "TrustProxy", true},
		{"SHOP_TRUST_PROXY", "false", "TrustProxy", false},
		{"SHOP_TRUST_PROXY", "0", "TrustProxy", false},
		{"SHOP_TRUST_PROXY", "no", "TrustProxy", false},
		{"SHOP_TRUST_PROXY", "Off", "TrustProxy", false},
		{"SHOP_TRUST_PROXY", "   ", "TrustProxy", false},
		{"SHOP_TOKEN_TTL", "", "TokenTTL", 24 * time.Hour},
		{"SHOP_WORKER_CONCURRENCY", "8", "WorkerConcurrency", 8},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(env(map[string]string{tt.key: tt.value}))
			if err != nil {
				t.Fatalf("Load(%s=%q) error = %v", tt.key, tt.value, err)
			}
			got := reflect.ValueOf(c).FieldByName(tt.field)
			if !got.IsValid() {
				t.Fatalf("Config has no field %s", tt.field)
			}
			if !reflect.DeepEqual(got.Interface(), tt.want) {
				t.Errorf("%s = %#v, want %#v", tt.field, got.Interface(), tt.want)
			}
		})
	}
}

// TestLoadBadValues: a value that is present but malformed is an error that
// names the variable, never a silent default.
func TestLoadBadValues(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, value string }{
		{"SHOP_TOKEN_TTL", "24"},
		{"SHOP_TOKEN_TTL", "one day"},
		{"SHOP_CURRENCY", "EURO"},
		{"SHOP_CURRENCY", "US"},
		{"SHOP_DB_MAX_OPEN_CONNS", "0"},
		{"SHOP_WORKER_CONCURRENCY", "0"},
		{"SHOP_WORKER_POLL_INTERVAL", "50ms"},
		{"SHOP_LOW_STOCK_THRESHOLD", "-1"},
		{"SHOP_WORKER_CONCURRENCY", "many"},
		{"SHOP_DB_MAX_OPEN_CONNS", "-1"},
		{"SHOP_DB_MAX_OPEN_CONNS", "many"},
		{"SHOP_DB_MAX_IDLE_CONNS", "1.5"},
		{"SHOP_DB_MAX_IDLE_CONNS", "11"}, // above the open limit (10)
		{"SHOP_DB_MAX_IDLE_CONNS", "0"},
		{"SHOP_DB_CONN_MAX_IDLE_TIME", "0s"},
		{"SHOP_DB_CONN_MAX_IDLE_TIME", "soon"},
		{"SHOP_JWT_SECRET", "x"},
		{"SHOP_JWT_SECRET", "s3cret"},
		{"SHOP_JWT_SECRET", "0123456789abcdef0123456789abcde"}, // 31 bytes
		{"SHOP_DB_CONN_MAX_LIFETIME", "forever"},
		{"SHOP_DB_BUSY_TIMEOUT", "10"},
		{"SHOP_CHECKOUT_LOCKING", "none"},
		{"SHOP_CHECKOUT_LOCKING", "Optimistic"},
		{"SHOP_AUTH_RATE_LIMIT", "-1"},
		{"SHOP_AUTH_RATE_LIMIT", "20/min"},
		{"SHOP_BCRYPT_COST", "high"},
		{"SHOP_SHUTDOWN_TIMEOUT", "10 s"},
		{"SHOP_REQUEST_TIMEOUT", "x"},
		{"SHOP_TRUST_PROXY", "maybe"},
		{"SHOP_TRUST_PROXY", "2"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(env(map[string]string{tt.key: tt.value}))
			if err == nil {
				t.Fatalf("Load(%s=%q) = %+v, want an error", tt.key, tt.value, c)
			}
			if !strings.Contains(err.Error(), tt.key) {
				t.Errorf("error %q does not name %s", err, tt.key)
			}
			if !reflect.DeepEqual(c, config.Config{}) {
				t.Errorf("Load returned a partial config with its error: %+v", c)
			}
		})
	}
}

// TestLoadIdleConns: unset, the idle connections are four fifths of the
// open limit (below it, not so low that a steady load churns connections)
// and expire when idle.
func TestLoadIdleConns(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(nil))
	if err != nil || c.DBMaxIdleConns != 8 || c.DBMaxOpenConns != 10 || c.DBMaxIdleConns >= c.DBMaxOpenConns || c.DBConnMaxIdle <= 0 {
		t.Fatalf("defaults: idle %d, open %d, idle time %s (%v)", c.DBMaxIdleConns, c.DBMaxOpenConns, c.DBConnMaxIdle, err)
	}
	c, err = config.Load(env(map[string]string{"SHOP_DB_MAX_OPEN_CONNS": "2"}))
	if err != nil || c.DBMaxIdleConns != 1 {
		t.Fatalf("open 2: idle %d (%v), want 1", c.DBMaxIdleConns, err)
	}
	c, err = config.Load(env(map[string]string{"SHOP_DB_MAX_OPEN_CONNS": "1"}))
	if err != nil || c.DBMaxIdleConns != 1 {
		t.Fatalf("open 1: idle %d (%v), want 1", c.DBMaxIdleConns, err)
	}
}

// TestLoadFirstErrorWins: with several bad values, the error names one of
// them (the first read), and Load still fails.
func TestLoadFirstErrorWins(t *testing.T) {
	t.Parallel()
	_, err := config.Load(env(map[string]string{
		"SHOP_TOKEN_TTL":   "bad",
		"SHOP_BCRYPT_COST": "bad",
	}))
	if err == nil || !strings.Contains(err.Error(), "SHOP_TOKEN_TTL") {
		t.Fatalf("Load error = %v, want one naming SHOP_TOKEN_TTL", err)
	}
}
