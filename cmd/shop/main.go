// Command shop is the shop's one binary: serve, migrate, seed, user.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"shop/internal/config"
	"shop/internal/database"

	_ "shop/ent/runtime" // hooks, interceptors, defaults and validators
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		code, msg := exitCode(err)
		if msg {
			fmt.Fprintln(os.Stderr, "shop:", err)
		}
		os.Exit(code)
	}
}

// exitCode is the process exit code for run's error (1 unless it carries
// another, like `migrate status` with pending migrations) and whether to
// print it.
func exitCode(err error) (int, bool) {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, ee.err != nil
	}
	return 1, !errors.Is(err, flag.ErrHelp)
}

const usage = `usage: shop <command> [flags]

commands:
  serve [--migrate]                      serve HTTP on SHOP_ADDR (default :8080)
  migrate up [--dry-run] [--to VERSION]  apply pending migrations (or print them)
  migrate status [--json]                applied and pending migrations; exit 3 while some are pending
  migrate down [--steps N | --to VERSION] [--dry-run] [--force]
                                         revert applied migrations, newest first (default one)
  migrate lint [--pending] [--dir PATH]  Atlas's analyzers over the migration files
  worker                                 run only the webhook workers (River), no HTTP
  seed                                   load the demo catalog (idempotent)
  user create --email E --password P --role admin|customer [--name N]

The database is DATABASE_URL: postgres://... or sqlite:PATH (default sqlite:shop.db).
`

// run is the whole program; main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg.LogLevel, stderr)
	switch args[0] {
	case "serve":
		return serve(ctx, cfg, logger, args[1:], stdout)
	case "migrate":
		return migrateCmd(ctx, cfg, args[1:], stdout)
	case "worker":
		return workerCmd(ctx, cfg, logger)
	case "seed":
		return seedCmd(ctx, cfg, stdout)
	case "user":
		return userCmd(ctx, cfg, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

func openDB(cfg config.Config) (*database.DB, error) {
	return database.Open(cfg.DatabaseURL, database.Options{
		MaxOpenConns:    cfg.DBMaxOpenConns,
		MaxIdleConns:    cfg.DBMaxIdleConns,
		ConnMaxLifetime: cfg.DBConnMaxLife,
		BusyTimeout:     cfg.DBBusyTimeout,
		Pooler:          cfg.DBPooler,
	})
}
