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

// exitUsage is the exit code of a command line the binary does not
// understand (an unknown command or flag, a missing argument), as for
// the standard library's flag package and most Unix tools.
const exitUsage = 2

// exitCode is the process exit code for run's error (1 unless it carries
// another: 2 for a usage error, 3 for `migrate status` with pending
// migrations) and whether to print it.
func exitCode(err error) (int, bool) {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, ee.err != nil
	}
	return 1, true
}

// usageError is a command line run does not understand: exit 2, the
// message and the command's usage on stderr.
func usageError(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// deps is what a command runs with once its flags are parsed.
type deps struct {
	cfg    config.Config
	logger *slog.Logger
	stdout io.Writer
	stderr io.Writer
}

// command is one command of the binary. flags declares its flags on fs and
// returns the action, which reads them; nothing runs (no configuration
// read, no database opened) until every flag parsed, so `--help` anywhere
// only prints the usage.
type command struct {
	name     string // "migrate up"
	synopsis string // the flags, for the usage line
	summary  string
	flags    func(fs *flag.FlagSet) func(ctx context.Context, e deps) error
}

// commands is every command, in the order of the usage text.
func commands() []command {
	return []command{
		{"serve", "[--migrate]", "serve HTTP on SHOP_ADDR (default :8080)", serveFlags},
		{"migrate up", "[--dry-run] [--to VERSION]", "apply pending migrations (or print them)", migrateUpFlags},
		{"migrate status", "[--json]", "applied and pending migrations; exit 3 while some are pending", migrateStatusFlags},
		{"migrate down", "[--steps N | --to VERSION] [--dry-run] [--force]", "revert applied migrations, newest first (default one)", migrateDownFlags},
		{"migrate lint", "[--pending] [--dir PATH]", "Atlas's analyzers over the migration files", migrateLintFlags},
		{"worker", "", "run only the webhook workers (River), no HTTP", workerFlags},
		{"seed", "", "load the demo catalog (idempotent; not for production)", seedFlags},
		{"user create", "--email E --password P [--role admin|customer] [--name N]", "create a user (the first administrator)", userCreateFlags},
	}
}

// usage is the text of `shop --help`, or of `shop <group> --help` for the
// commands under group ("migrate", "user").
func usage(group string) string {
	var b strings.Builder
	if group == "" {
		b.WriteString("usage: shop <command> [flags]\n\ncommands:\n")
	} else {
		fmt.Fprintf(&b, "usage: shop %s <command> [flags]\n\ncommands:\n", group)
	}
	for _, c := range commands() {
		if group != "" && !strings.HasPrefix(c.name, group+" ") {
			continue
		}
		line := strings.TrimSpace(c.name + " " + c.synopsis)
		if len(line) > 38 {
			fmt.Fprintf(&b, "  %s\n  %-38s %s\n", line, "", c.summary)
		} else {
			fmt.Fprintf(&b, "  %-38s %s\n", line, c.summary)
		}
	}
	b.WriteString("\nEvery command takes -h or --help. The database is DATABASE_URL: postgres://... or\n" +
		"sqlite:PATH (default sqlite:shop.db); README.md lists every setting.\n" +
		"Exit codes: 0 ok, 1 failed, 2 usage error, 3 migrations pending (migrate status).\n")
	return b.String()
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

// run is the whole program; main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage(""))
		return usageError("no command")
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, usage(""))
		return nil
	}
	var (
		cmd  *command
		rest []string
		all  = commands()
	)
	for i := range all {
		words := strings.Fields(all[i].name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == all[i].name {
			cmd, rest = &all[i], args[len(words):]
			break
		}
	}
	if cmd == nil {
		for _, c := range all {
			if group, _, ok := strings.Cut(c.name, " "); ok && group == args[0] {
				// A group ("migrate", "user") without a known verb.
				if len(args) > 1 && isHelp(args[1]) {
					fmt.Fprint(stdout, usage(group))
					return nil
				}
				fmt.Fprint(stderr, usage(group))
				if len(args) == 1 {
					return usageError("shop %s needs a command", group)
				}
				return usageError("unknown command %q", group+" "+args[1])
			}
		}
		fmt.Fprint(stderr, usage(""))
		return usageError("unknown command %q", args[0])
	}

	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	action := cmd.flags(fs)
	fs.Usage = func() {}
	printUsage := func(w io.Writer) {
		fmt.Fprintf(w, "usage: shop %s\n\n%s\n", strings.TrimSpace(cmd.name+" "+cmd.synopsis), cmd.summary)
		if hasFlags(fs) {
			fmt.Fprintln(w, "\nflags:")
			fs.SetOutput(w)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
		}
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return nil
		}
		printUsage(stderr)
		return usageError("%s: %v", cmd.name, err)
	}
	if fs.NArg() > 0 {
		printUsage(stderr)
		return usageError("%s: unexpected argument %q", cmd.name, fs.Arg(0))
	}

	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	err = action(ctx, deps{cfg: cfg, logger: newLogger(cfg.LogLevel, stderr), stdout: stdout, stderr: stderr})
	if code, _ := exitCode(err); err != nil && code == exitUsage {
		// A check of the flags together (a required one, a range), made
		// before the action touched anything.
		printUsage(stderr)
	}
	return err
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// openDB opens the database for a command (migrations, seed, users):
// statements run as long as they need.
func openDB(cfg config.Config) (*database.DB, error) {
	cfg.DBStatementTimeout = 0
	return openServingDB(cfg)
}

// openServingDB opens the database of the serving processes (serve,
// worker), whose statements end with SHOP_DB_STATEMENT_TIMEOUT.
func openServingDB(cfg config.Config) (*database.DB, error) {
	return database.Open(cfg.DatabaseURL, database.Options{
		StatementTimeout: cfg.DBStatementTimeout,
		MaxOpenConns:     cfg.DBMaxOpenConns,
		MaxIdleConns:     cfg.DBMaxIdleConns,
		ConnMaxLifetime:  cfg.DBConnMaxLife,
		ConnMaxIdleTime:  cfg.DBConnMaxIdle,
		BusyTimeout:      cfg.DBBusyTimeout,
		Pooler:           cfg.DBPooler,
	})
}
