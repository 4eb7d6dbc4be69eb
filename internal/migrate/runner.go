// Package migrate applies the embedded versioned migrations with the Atlas
// library (no atlas CLI needed) and generates new ones from the Ent schema.
package migrate

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5/pgconn"

	"shop/internal/database"
	"shop/migrations"
)

// advisoryLockKey identifies the shop's migration lock on PostgreSQL.
const advisoryLockKey = 7_462_431_001

// Applied is one applied migration.
type Applied struct {
	Version     string
	Description string
	ExecutedAt  time.Time
}

// Status lists the applied and the pending migrations.
type Status struct {
	Applied []Applied
	Pending []string // file names
	// PendingVersions are the versions of Pending.
	PendingVersions []string
}

// Current is the newest applied version, or "" when none is.
func (s Status) Current() string {
	if len(s.Applied) == 0 {
		return ""
	}
	return s.Applied[len(s.Applied)-1].Version
}

// Dir returns the embedded migration directory of the dialect.
func Dir(dia string) (atlasmigrate.Dir, error) {
	return memDir(migrations.FS, dirName(dia))
}

func memDir(fsys fs.FS, root string) (atlasmigrate.Dir, error) {
	entries, err := fs.ReadDir(fsys, root)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	dir := &atlasmigrate.MemDir{}
	for _, e := range entries {
		if e.IsDir() { // down/ holds the revert files (see DownFiles)
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(root, e.Name()))
		if err != nil {
			return nil, err
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, err
		}
	}
	return dir, nil
}

// UpOptions narrows an Apply.
type UpOptions struct {
	// To stops after this version (it must be pending); empty applies all.
	To string
	// DryRun returns the plan and changes nothing, not even the revision
	// table: it takes no lock and writes nothing.
	DryRun bool
}

// Planned is one migration file Apply ran (or would run, in a dry run).
type Planned struct {
	Version    string
	Name       string
	Statements []string
}

// Up applies every pending migration of dir and returns the versions it
// applied (Apply with no options).
func Up(ctx context.Context, db *sql.DB, dia string, dir atlasmigrate.Dir) ([]string, error) {
	done, err := Apply(ctx, db, dia, dir, UpOptions{})
	if err != nil {
		return nil, err
	}
	versions := make([]string, len(done))
	for i, p := range done {
		versions[i] = p.Version
	}
	return versions, nil
}

// Apply runs the pending migrations of dir, up to and including opts.To.
// All of them run in one transaction that first takes the migration lock
// (a transaction-scoped advisory lock on PostgreSQL, which also holds behind
// PgBouncer in transaction mode; the immediate write transaction on SQLite),
// so replicas that start at once migrate once, and a failing file leaves
// the database as it was. A database whose applied history differs from
// dir (a version dir doesn't have, a file changed after it ran) is refused.
func Apply(ctx context.Context, db *sql.DB, dia string, dir atlasmigrate.Dir, opts UpOptions) ([]Planned, error) {
	if opts.DryRun {
		return planUp(ctx, db, dia, dir, opts.To)
	}
	var done []Planned
	err := retried(ctx, func() error {
		done = nil
		return applyOnce(ctx, db, dia, dir, opts, &done)
	})
	if err != nil {
		return nil, err
	}
	return done, nil
}

// applyOnce is one attempt of Apply, appending what it applied to done.
func applyOnce(ctx context.Context, db *sql.DB, dia string, dir atlasmigrate.Dir, opts UpOptions, done *[]Planned) error {
	return withConn(ctx, db, dia, func(conn *sql.Conn) error {
		return inTx(ctx, conn, func(tx *sql.Tx) error {
			if err := lock(ctx, tx, dia); err != nil {
				return err
			}
			ex, _, err := verifiedExecutor(ctx, tx, dia, dir, true)
			if err != nil {
				return err
			}
			if err := checkTarget(ctx, ex, opts.To); err != nil {
				return err
			}
			for {
				// A fresh executor per file: it reads the revisions anew.
				ex, _, err := executor(ctx, tx, dia, dir, true)
				if err != nil {
					return err
				}
				pending, err := ex.Pending(ctx)
				if errors.Is(err, atlasmigrate.ErrNoPendingFiles) {
					return nil
				}
				if err != nil {
					return historyError(err)
				}
				f := pending[0]
				if opts.To != "" && f.Version() > opts.To {
					return nil
				}
				if err := ex.Execute(ctx, f); err != nil {
					return fmt.Errorf("apply %s: %w", f.Name(), err)
				}
				if err := foreignKeyCheck(ctx, tx, dia); err != nil {
					return fmt.Errorf("apply %s: %w", f.Name(), err)
				}
				*done = append(*done, Planned{Version: f.Version(), Name: f.Name()})
			}
		})
	})
}

// attempts is how often a migration's transaction runs when it collides
// with the transactions of a serving shop (the first run included).
const attempts = 30

// retried runs fn, one migration transaction, again while it fails with a
// transient conflict (database.Retryable): a migration applied or reverted
// under load takes ACCESS EXCLUSIVE locks table after table while checkouts
// hold locks on some of the same tables, and PostgreSQL may pick the
// migration as the victim of the deadlock (40P01). Its transaction was
// rolled back whole, so running it again is safe.
//
// On PostgreSQL each statement of it also waits at most lockTimeout for a
// lock (lock): a migration that takes ACCESS EXCLUSIVE locks table after
// table under load would otherwise wait, holding the tables it has, for
// checkouts that wait on those, until the deadlock detector aborts one
// side. Giving up first (55P03) and running again later lets the
// checkouts in flight finish; it is retried like a deadlock.
func retried(ctx context.Context, fn func() error) error {
	for i := 1; ; i++ {
		err := fn()
		if err == nil || i == attempts || !(database.Retryable(err) || lockNotAvailable(err)) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(min(time.Duration(i)*100*time.Millisecond, time.Second)):
		}
	}
}

// lockTimeout is how long a migration's statement waits for a lock before
// its transaction gives up and runs again (retried): shorter than
// PostgreSQL's default deadlock_timeout (1 s), so a migration waiting in a
// cycle with checkouts steps back before the detector picks a victim.
const lockTimeout = 500 * time.Millisecond

// lockNotAvailable reports PostgreSQL's 55P03: a lock not granted within
// lock_timeout.
func lockNotAvailable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "55P03"
}

// planUp lists what Apply would run, reading only.
func planUp(ctx context.Context, db *sql.DB, dia string, dir atlasmigrate.Dir, to string) ([]Planned, error) {
	var plan []Planned
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	err = readTx(ctx, conn, func(tx *sql.Tx) error {
		ex, _, err := verifiedExecutor(ctx, tx, dia, dir, false)
		if err != nil {
			return err
		}
		if err := checkTarget(ctx, ex, to); err != nil {
			return err
		}
		pending, err := ex.Pending(ctx)
		if errors.Is(err, atlasmigrate.ErrNoPendingFiles) {
			return nil
		}
		if err != nil {
			return historyError(err)
		}
		drv, err := atlasDriver(tx, dia)
		if err != nil {
			return err
		}
		for _, f := range pending {
			if to != "" && f.Version() > to {
				break
			}
			stmts, err := atlasmigrate.FileStmts(drv, f)
			if err != nil {
				return fmt.Errorf("read %s: %w", f.Name(), err)
			}
			plan = append(plan, Planned{Version: f.Version(), Name: f.Name(), Statements: stmts})
		}
		return nil
	})
	return plan, err
}

// checkTarget refuses a --to version that is not a pending file.
func checkTarget(ctx context.Context, ex *atlasmigrate.Executor, to string) error {
	if to == "" {
		return nil
	}
	pending, err := ex.Pending(ctx)
	if err != nil && !errors.Is(err, atlasmigrate.ErrNoPendingFiles) {
		return historyError(err)
	}
	for _, f := range pending {
		if f.Version() == to {
			return nil
		}
	}
	return fmt.Errorf("migration %s is not pending (unknown or already applied)", to)
}

// historyError names the files of a non-linear history.
func historyError(err error) error {
	var nl *atlasmigrate.HistoryNonLinearError
	if errors.As(err, &nl) && len(nl.OutOfOrder) > 0 {
		return fmt.Errorf("migration %s is older than the newest applied one but was never applied (added out of order): %w", nl.OutOfOrder[0].Version(), err)
	}
	return err
}

// lock takes the migration lock for the rest of tx. On SQLite the
// immediate transaction already is the lock.
func lock(ctx context.Context, tx *sql.Tx, dia string) error {
	if dia != dialect.Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", advisoryLockKey); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	// After the advisory lock, which may wait for another migration as
	// long as that one runs.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", lockTimeout.Milliseconds())); err != nil {
		return fmt.Errorf("migration lock timeout: %w", err)
	}
	return nil
}

// GetStatus reads which migrations of dir are applied and which are pending.
func GetStatus(ctx context.Context, db *sql.DB, dia string, dir atlasmigrate.Dir) (Status, error) {
	var st Status
	conn, err := db.Conn(ctx)
	if err != nil {
		return st, err
	}
	defer conn.Close()
	err = inTx(ctx, conn, func(tx *sql.Tx) error {
		ex, store, err := verifiedExecutor(ctx, tx, dia, dir, false)
		if err != nil {
			return err
		}
		revs, err := store.ReadRevisions(ctx)
		if err != nil {
			return err
		}
		for _, r := range revs {
			st.Applied = append(st.Applied, Applied{Version: r.Version, Description: r.Description, ExecutedAt: r.ExecutedAt})
		}
		pending, err := ex.Pending(ctx)
		if err != nil && !errors.Is(err, atlasmigrate.ErrNoPendingFiles) {
			return historyError(err)
		}
		for _, f := range pending {
			st.Pending = append(st.Pending, f.Name())
			st.PendingVersions = append(st.PendingVersions, f.Version())
		}
		return nil
	})
	return st, err
}

// atlasDriver opens the Atlas driver of the dialect on one transaction.
func atlasDriver(tx *sql.Tx, dia string) (atlasmigrate.Driver, error) {
	var (
		drv atlasmigrate.Driver
		err error
	)
	if dia == dialect.Postgres {
		drv, err = postgres.Open(tx)
	} else {
		drv, err = sqlite.Open(tx)
	}
	if err != nil {
		return nil, fmt.Errorf("open migration driver: %w", err)
	}
	return drv, nil
}

// verifiedExecutor is an executor over dir whose applied history has been
// checked against dir (verifyApplied): what up, its dry run and status start
// from.
func verifiedExecutor(ctx context.Context, tx *sql.Tx, dia string, dir atlasmigrate.Dir, write bool) (*atlasmigrate.Executor, *revisionStore, error) {
	ex, store, err := executor(ctx, tx, dia, dir, write)
	if err != nil {
		return nil, nil, err
	}
	if err := store.verifyApplied(ctx, dir); err != nil {
		return nil, nil, err
	}
	return ex, store, nil
}

func executor(ctx context.Context, tx *sql.Tx, dia string, dir atlasmigrate.Dir, write bool) (*atlasmigrate.Executor, *revisionStore, error) {
	drv, err := atlasDriver(tx, dia)
	if err != nil {
		return nil, nil, err
	}
	store, err := newRevisionStore(ctx, tx, dia, write)
	if err != nil {
		return nil, nil, err
	}
	ex, err := atlasmigrate.NewExecutor(drv, dir, store, atlasmigrate.WithOperatorVersion("shop"))
	if err != nil {
		return nil, nil, err
	}
	return ex, store, nil
}

// withConn runs fn on one connection. On SQLite, table rebuilds (how SQLite
// alters tables) need foreign keys off, which SQLite ignores inside a
// transaction: they are turned off on this connection for the run, and
// checked after each file (foreignKeyCheck).
func withConn(ctx context.Context, db *sql.DB, dia string, fn func(*sql.Conn) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migration connection: %w", err)
	}
	defer conn.Close()
	if dia == dialect.Postgres {
		return fn(conn)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = off"); err != nil {
		return err
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = on"); err != nil {
			// Never hand the pool a connection without foreign keys.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return fn(conn)
}

// readTx runs fn in a transaction that is always rolled back.
func readTx(ctx context.Context, conn *sql.Conn, fn func(*sql.Tx) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	return fn(tx)
}

func inTx(ctx context.Context, conn *sql.Conn, fn func(*sql.Tx) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// PendingCount is how many embedded migrations of the dialect are not
// applied to db.
func PendingCount(ctx context.Context, db *sql.DB, dia string) (int, error) {
	dir, err := Dir(dia)
	if err != nil {
		return 0, err
	}
	st, err := GetStatus(ctx, db, dia, dir)
	if err != nil {
		return 0, err
	}
	return len(st.Pending), nil
}

// foreignKeyCheck fails if a migration left SQLite rows whose foreign keys
// point nowhere (checked by hand because they were off while it ran).
func foreignKeyCheck(ctx context.Context, tx *sql.Tx, dia string) error {
	if dia == dialect.Postgres {
		return nil
	}
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		return errors.New("the migration left rows with broken foreign keys")
	}
	return rows.Err()
}
