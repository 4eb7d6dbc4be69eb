package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"

	"shop/internal/config"
	"shop/internal/database"
	"shop/internal/migrate"
)

// exitPending is the exit code of `migrate status` while migrations are
// pending, so a deploy step can gate on it.
const exitPending = 3

// exitError makes run's caller exit with code; a nil err prints nothing.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// openMigrations opens DATABASE_URL and its dialect's embedded migrations.
func openMigrations(cfg config.Config) (*database.DB, atlasmigrate.Dir, error) {
	db, err := openDB(cfg)
	if err != nil {
		return nil, nil, err
	}
	dir, err := migrate.Dir(db.Dialect)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, dir, nil
}

func migrateUpFlags(fs *flag.FlagSet) func(context.Context, deps) error {
	dryRun := fs.Bool("dry-run", false, "print the statements that would run and change nothing")
	to := fs.String("to", "", "apply up to and including this `VERSION` (default: all)")
	return func(ctx context.Context, e deps) error {
		db, dir, err := openMigrations(e.cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		return migrateUpCmd(ctx, db, dir, migrate.UpOptions{To: *to, DryRun: *dryRun}, e.stdout)
	}
}

func migrateStatusFlags(fs *flag.FlagSet) func(context.Context, deps) error {
	asJSON := fs.Bool("json", false, "print a JSON document (API.md)")
	return func(ctx context.Context, e deps) error {
		db, dir, err := openMigrations(e.cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		return migrateStatus(ctx, db, dir, *asJSON, e.stdout)
	}
}

func migrateDownFlags(fs *flag.FlagSet) func(context.Context, deps) error {
	steps := fs.Int("steps", 0, "revert this many migrations, newest first (default 1)")
	to := fs.String("to", "", "revert every migration after this `VERSION`")
	dryRun := fs.Bool("dry-run", false, "print the statements that would run and change nothing")
	force := fs.Bool("force", false, "revert even when it drops data")
	return func(ctx context.Context, e deps) error {
		stepsSet := false
		fs.Visit(func(f *flag.Flag) { stepsSet = stepsSet || f.Name == "steps" })
		if stepsSet && *steps < 1 {
			return usageError("migrate down: --steps must be at least 1")
		}
		db, dir, err := openMigrations(e.cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		return migrateDown(ctx, db, dir, migrate.DownOptions{Steps: *steps, To: *to, DryRun: *dryRun, Force: *force}, e.stdout)
	}
}

func migrateLintFlags(fs *flag.FlagSet) func(context.Context, deps) error {
	pending := fs.Bool("pending", false, "lint only the migrations not yet applied to DATABASE_URL")
	dirPath := fs.String("dir", "", "lint the migration directory at `PATH` instead of the embedded one")
	return func(ctx context.Context, e deps) error {
		return migrateLint(ctx, e.cfg, *pending, *dirPath, e.stdout)
	}
}

func migrateUpCmd(ctx context.Context, db *database.DB, dir atlasmigrate.Dir, opts migrate.UpOptions, stdout io.Writer) error {
	done, err := migrate.Apply(ctx, db.SQL, db.Dialect, dir, opts)
	if err != nil {
		return err
	}
	if len(done) == 0 {
		fmt.Fprintln(stdout, "migrations: nothing to apply, the database is up to date")
		return nil
	}
	if !opts.DryRun {
		for _, p := range done {
			fmt.Fprintf(stdout, "applied %s\n", p.Version)
		}
		return nil
	}
	for _, p := range done {
		fmt.Fprintf(stdout, "-- migration %s (%s)\n", p.Version, p.Name)
		for _, s := range p.Statements {
			fmt.Fprintln(stdout, strings.TrimSpace(s))
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "dry run: %d migrations would be applied; nothing was changed\n", len(done))
	return nil
}

// statusJSON is the document of `migrate status --json` (API.md).
type statusJSON struct {
	Current *string       `json:"current"`
	Applied []appliedJSON `json:"applied"`
	Pending []string      `json:"pending"`
}

type appliedJSON struct {
	Version     string    `json:"version"`
	Description string    `json:"description"`
	ExecutedAt  time.Time `json:"executed_at"`
}

func migrateStatus(ctx context.Context, db *database.DB, dir atlasmigrate.Dir, asJSON bool, stdout io.Writer) error {
	st, err := migrate.GetStatus(ctx, db.SQL, db.Dialect, dir)
	if err != nil {
		return err
	}
	if asJSON {
		doc := statusJSON{Applied: []appliedJSON{}, Pending: []string{}}
		if c := st.Current(); c != "" {
			doc.Current = &c
		}
		for _, a := range st.Applied {
			doc.Applied = append(doc.Applied, appliedJSON{Version: a.Version, Description: a.Description, ExecutedAt: a.ExecutedAt.UTC()})
		}
		doc.Pending = append(doc.Pending, st.PendingVersions...)
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return err
		}
	} else {
		for _, a := range st.Applied {
			fmt.Fprintf(stdout, "applied  %s %s (%s)\n", a.Version, a.Description, a.ExecutedAt.UTC().Format(time.RFC3339))
		}
		for _, p := range st.Pending {
			fmt.Fprintf(stdout, "pending  %s\n", p)
		}
		fmt.Fprintf(stdout, "%d applied, %d pending\n", len(st.Applied), len(st.Pending))
	}
	if len(st.Pending) > 0 {
		return &exitError{code: exitPending}
	}
	return nil
}

func migrateDown(ctx context.Context, db *database.DB, dir atlasmigrate.Dir, opts migrate.DownOptions, stdout io.Writer) error {
	downs, err := migrate.DownFiles(db.Dialect)
	if err != nil {
		return err
	}
	plan, err := migrate.Down(ctx, db.SQL, db.Dialect, dir, downs, opts)
	var loss *migrate.DataLossError
	refused := errors.As(err, &loss)
	if err != nil && !refused {
		return err
	}
	if len(plan) == 0 {
		fmt.Fprintln(stdout, "migrations: nothing to revert")
		return nil
	}
	for _, r := range plan {
		if !opts.DryRun && !refused {
			fmt.Fprintf(stdout, "reverted %s\n", r.Version)
			continue
		}
		fmt.Fprintf(stdout, "-- revert %s (%s/%s)\n", r.Version, migrate.DownDir, r.Name)
		for _, s := range r.Statements {
			fmt.Fprintln(stdout, strings.TrimSpace(s))
		}
		for _, l := range r.Loss {
			fmt.Fprintf(stdout, "-- drops data: %s\n", l)
		}
		fmt.Fprintln(stdout)
	}
	if refused {
		return err
	}
	if opts.DryRun {
		fmt.Fprintf(stdout, "dry run: %d migrations would be reverted; nothing was changed\n", len(plan))
	}
	return nil
}

// migrateLint runs Atlas's analyzers over the embedded directory of
// DATABASE_URL's dialect (or dirPath), replaying it on a scratch: an
// in-memory SQLite database, or a schema of DATABASE_URL's PostgreSQL
// database inside a transaction that is rolled back.
func migrateLint(ctx context.Context, cfg config.Config, pending bool, dirPath string, stdout io.Writer) error {
	_, _, dia, err := database.ParseURL(cfg.DatabaseURL, cfg.DBBusyTimeout)
	if err != nil {
		return err
	}
	var (
		dir   atlasmigrate.Dir
		downs map[string]atlasmigrate.File
	)
	if dirPath != "" {
		local, err := atlasmigrate.NewLocalDir(dirPath)
		if err != nil {
			return err
		}
		dir = local
		if downs, err = migrate.ReadDownFiles(os.DirFS(dirPath), migrate.DownDir); err != nil {
			return err
		}
	} else {
		if dir, err = migrate.Dir(dia); err != nil {
			return err
		}
		if downs, err = migrate.DownFiles(dia); err != nil {
			return err
		}
	}
	if err := atlasmigrate.Validate(dir); err != nil {
		return fmt.Errorf("migration directory: %w", err)
	}
	var only func(atlasmigrate.File) bool
	var dev *database.DB
	if dia == dialect.Postgres || pending {
		if dev, err = openDB(cfg); err != nil {
			return err
		}
		defer dev.Close()
	}
	if pending {
		st, err := migrate.GetStatus(ctx, dev.SQL, dia, dir)
		if err != nil {
			return err
		}
		set := map[string]bool{}
		for _, v := range st.PendingVersions {
			set[v] = true
		}
		only = func(f atlasmigrate.File) bool { return set[f.Version()] }
	}
	var findings []migrate.Finding
	if dia == dialect.Postgres {
		findings, err = migrate.Lint(ctx, dev.SQL, dia, dir, only)
	} else {
		scratch, oerr := migrate.OpenScratchSQLite()
		if oerr != nil {
			return oerr
		}
		defer scratch.Close()
		findings, err = migrate.Lint(ctx, scratch, dia, dir, only)
	}
	if err != nil {
		return err
	}
	if err := migrate.CheckDownFiles(dir, downs); err != nil {
		findings = append(findings, migrate.Finding{File: migrate.DownDir + "/", Analyzer: "down_files", Text: err.Error(), Error: true})
	}
	errs := 0
	for _, f := range findings {
		fmt.Fprintln(stdout, f)
		if f.Error {
			errs++
		}
	}
	fmt.Fprintf(stdout, "lint: %d findings, %d errors\n", len(findings), errs)
	if errs > 0 {
		return fmt.Errorf("lint: %d error-level findings", errs)
	}
	return nil
}

// pendingMigrations counts the embedded migrations not applied to db.
func pendingMigrations(db *database.DB) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) { return migrate.PendingCount(ctx, db.SQL, db.Dialect) }
}

// migrateUp applies every pending migration (serve --migrate).
func migrateUp(ctx context.Context, db *database.DB) ([]string, error) {
	dir, err := migrate.Dir(db.Dialect)
	if err != nil {
		return nil, err
	}
	return migrate.Up(ctx, db.SQL, db.Dialect, dir)
}
