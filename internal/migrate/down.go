package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/schema"
	"entgo.io/ent/dialect"

	"shop/migrations"
)

// DownSuffix ends the name of every down file: down/<up file name without
// .sql>.down.sql reverts <up file name>. Down files live in the down/
// subdirectory so Atlas (which reads only the top level *.sql files) never
// takes them for migrations and atlas.sum stays the checksum of the up files.
const DownSuffix = ".down.sql"

// DownDir is the subdirectory of a dialect's migrations holding down files.
const DownDir = "down"

// DownFileName is the name (inside DownDir) of the file that reverts up.
func DownFileName(up string) string {
	return strings.TrimSuffix(up, ".sql") + DownSuffix
}

// DownFiles returns the embedded down files of the dialect by version.
func DownFiles(dia string) (map[string]atlasmigrate.File, error) {
	return ReadDownFiles(migrations.FS, path.Join(dirName(dia), DownDir))
}

// ReadDownFiles reads the down files of one directory by version.
func ReadDownFiles(fsys fs.FS, root string) (map[string]atlasmigrate.File, error) {
	entries, err := fs.ReadDir(fsys, root)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]atlasmigrate.File{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read down files: %w", err)
	}
	downs := make(map[string]atlasmigrate.File, len(entries))
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), DownSuffix) {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(root, e.Name()))
		if err != nil {
			return nil, err
		}
		f := atlasmigrate.NewLocalFile(e.Name(), b)
		downs[f.Version()] = f
	}
	return downs, nil
}

// CheckDownFiles fails when an up file of dir has no down file in downs, or
// a down file reverts no up file: a revert must never find a hole.
func CheckDownFiles(dir atlasmigrate.Dir, downs map[string]atlasmigrate.File) error {
	files, err := dir.Files()
	if err != nil {
		return err
	}
	var problems []string
	ups := make(map[string]bool, len(files))
	for _, f := range files {
		ups[f.Version()] = true
		d, ok := downs[f.Version()]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s has no down file %s/%s", f.Name(), DownDir, DownFileName(f.Name())))
		case d.Name() != DownFileName(f.Name()):
			problems = append(problems, fmt.Sprintf("%s: its down file is named %s, want %s", f.Name(), d.Name(), DownFileName(f.Name())))
		}
	}
	for v, d := range downs {
		if !ups[v] {
			problems = append(problems, fmt.Sprintf("%s/%s reverts no migration", DownDir, d.Name()))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// DownOptions chooses what Down reverts.
type DownOptions struct {
	// Steps reverts this many of the newest applied migrations (default 1).
	Steps int
	// To reverts every applied migration newer than this applied version.
	To string
	// DryRun runs the revert in a transaction that is rolled back.
	DryRun bool
	// Force reverts even when it drops tables or columns holding rows.
	Force bool
}

// Reverted is one migration Down reverted (or would revert).
type Reverted struct {
	Version    string
	Name       string // the down file
	Statements []string
	Loss       []DataLoss // data the revert drops
}

// DataLoss is a dropped table (Column empty) or column holding Rows rows.
type DataLoss struct {
	Table  string
	Column string
	Rows   int64
}

func (l DataLoss) String() string {
	if l.Column == "" {
		return fmt.Sprintf("table %q holds %d rows", l.Table, l.Rows)
	}
	return fmt.Sprintf("column %q.%q holds %d non-null values", l.Table, l.Column, l.Rows)
}

// DataLossError refuses a revert that would drop data without Force. Plan
// is the whole revert, with the statements and the row counts.
type DataLossError struct {
	Plan []Reverted
}

func (e *DataLossError) Error() string {
	var parts []string
	for _, r := range e.Plan {
		for _, l := range r.Loss {
			parts = append(parts, fmt.Sprintf("%s: %s", r.Version, l))
		}
	}
	return "refused: the revert drops data (" + strings.Join(parts, "; ") + "); rerun with --force to drop it"
}

// Down reverts applied migrations newest first by running their down files,
// all in one transaction under the same lock as Apply, and deletes their
// revisions. A database whose history differs from dir is refused, as is a
// revert that drops tables or columns holding rows unless opts.Force: each
// down file runs first under a savepoint, the schema before and after is
// compared (Atlas inspection), and the rows of what it dropped are counted.
func Down(ctx context.Context, db *sql.DB, dia string, dir atlasmigrate.Dir, downs map[string]atlasmigrate.File, opts DownOptions) ([]Reverted, error) {
	if opts.Steps < 0 {
		return nil, errors.New("--steps must be at least 1")
	}
	if opts.Steps > 0 && opts.To != "" {
		return nil, errors.New("give --steps or --to, not both")
	}
	var plan []Reverted
	errDryRun := errors.New("dry run")
	err := retried(ctx, func() error {
		plan = nil
		return withConn(ctx, db, dia, func(conn *sql.Conn) error {
			return inTx(ctx, conn, func(tx *sql.Tx) error {
				return downOnce(ctx, tx, dia, dir, downs, opts, &plan, errDryRun)
			})
		})
	})
	if errors.Is(err, errDryRun) {
		return plan, nil
	}
	var loss *DataLossError
	if errors.As(err, &loss) {
		return plan, err
	}
	if err != nil {
		return nil, err
	}
	return plan, nil
}

// downOnce is one attempt of Down in tx, appending what it reverted to plan.
func downOnce(ctx context.Context, tx *sql.Tx, dia string, dir atlasmigrate.Dir, downs map[string]atlasmigrate.File, opts DownOptions, plan *[]Reverted, errDryRun error) error {
	if err := lock(ctx, tx, dia); err != nil {
		return err
	}
	if err := lockTables(ctx, tx, dia); err != nil {
		return err
	}
	store, err := newRevisionStore(ctx, tx, dia, false)
	if err != nil {
		return err
	}
	if err := store.verifyApplied(ctx, dir); err != nil {
		return err
	}
	revs, err := store.ReadRevisions(ctx)
	if err != nil {
		return err
	}
	targets, err := downTargets(revs, opts)
	if err != nil {
		return err
	}
	drv, err := atlasDriver(tx, dia)
	if err != nil {
		return err
	}
	lost := false
	for _, r := range targets {
		f, ok := downs[r.Version]
		if !ok {
			return fmt.Errorf("migration %s has no down file: it can't be reverted", r.Version)
		}
		step, err := revert(ctx, tx, drv, dia, f)
		if err != nil {
			return fmt.Errorf("revert %s: %w", r.Version, err)
		}
		step.Version = r.Version
		if err := store.DeleteRevision(ctx, r.Version); err != nil {
			return err
		}
		lost = lost || len(step.Loss) > 0
		*plan = append(*plan, step)
	}
	switch {
	case lost && !opts.Force:
		return &DataLossError{Plan: *plan}
	case opts.DryRun:
		return errDryRun
	}
	return nil
}

// downTargets picks the revisions to revert, newest first.
func downTargets(revs []*atlasmigrate.Revision, opts DownOptions) ([]*atlasmigrate.Revision, error) {
	if len(revs) == 0 {
		return nil, errors.New("no migration is applied: nothing to revert")
	}
	for _, r := range revs {
		if r.Error != "" || r.Applied != r.Total {
			return nil, fmt.Errorf("migration %s is partially applied: fix it before reverting", r.Version)
		}
	}
	n := 1
	switch {
	case opts.To != "":
		i := sort.Search(len(revs), func(i int) bool { return revs[i].Version >= opts.To })
		if i == len(revs) || revs[i].Version != opts.To {
			return nil, fmt.Errorf("migration %s is not applied: --to takes an applied version", opts.To)
		}
		n = len(revs) - 1 - i
		if n == 0 {
			return nil, nil
		}
	case opts.Steps > 0:
		n = opts.Steps
		if n > len(revs) {
			return nil, fmt.Errorf("--steps %d: only %d migrations are applied", n, len(revs))
		}
	}
	targets := make([]*atlasmigrate.Revision, 0, n)
	for i := len(revs) - 1; i >= len(revs)-n; i-- {
		targets = append(targets, revs[i])
	}
	return targets, nil
}

// revert runs one down file on tx: first under a savepoint, to see what it
// drops and count the rows there, then for real.
func revert(ctx context.Context, tx *sql.Tx, drv atlasmigrate.Driver, dia string, f atlasmigrate.File) (Reverted, error) {
	step := Reverted{Name: f.Name()}
	stmts, err := atlasmigrate.FileStmts(drv, f)
	if err != nil {
		return step, err
	}
	step.Statements = stmts
	before, err := inspect(ctx, drv)
	if err != nil {
		return step, err
	}
	if _, err := tx.ExecContext(ctx, "SAVEPOINT shop_down"); err != nil {
		return step, err
	}
	if err := execAll(ctx, tx, stmts); err != nil {
		return step, err
	}
	after, err := inspect(ctx, drv)
	if err != nil {
		return step, err
	}
	if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT shop_down"); err != nil {
		return step, err
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT shop_down"); err != nil {
		return step, err
	}
	changes, err := drv.SchemaDiff(before, after)
	if err != nil {
		return step, err
	}
	if step.Loss, err = countLoss(ctx, tx, changes); err != nil {
		return step, err
	}
	if err := execAll(ctx, tx, stmts); err != nil {
		return step, err
	}
	return step, foreignKeyCheck(ctx, tx, dia)
}

func execAll(ctx context.Context, tx *sql.Tx, stmts []string) error {
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", strings.TrimSpace(s), err)
		}
	}
	return nil
}

// countLoss counts the rows of the dropped tables and the non-null values
// of the dropped columns among changes (taken before they ran).
func countLoss(ctx context.Context, tx *sql.Tx, changes []schema.Change) ([]DataLoss, error) {
	var loss []DataLoss
	count := func(l DataLoss, q string) error {
		if err := tx.QueryRowContext(ctx, q).Scan(&l.Rows); err != nil {
			return fmt.Errorf("count rows of %s: %w", l.Table, err)
		}
		if l.Rows > 0 {
			loss = append(loss, l)
		}
		return nil
	}
	for _, c := range changes {
		switch c := c.(type) {
		case *schema.DropTable:
			if err := count(DataLoss{Table: c.T.Name}, "SELECT count(*) FROM "+quote(c.T.Name)); err != nil {
				return nil, err
			}
		case *schema.ModifyTable:
			for _, mc := range c.Changes {
				if d, ok := mc.(*schema.DropColumn); ok {
					q := "SELECT count(*) FROM " + quote(c.T.Name) + " WHERE " + quote(d.C.Name) + " IS NOT NULL"
					if err := count(DataLoss{Table: c.T.Name, Column: d.C.Name}, q); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return loss, nil
}

// quote is an SQL identifier in double quotes (both dialects take them).
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// inspect reads the current schema of the connection (public on
// PostgreSQL, main on SQLite), the revision table left out.
func inspect(ctx context.Context, drv atlasmigrate.Driver) (*schema.Schema, error) {
	s, err := drv.InspectSchema(ctx, "", nil)
	if err != nil {
		return nil, fmt.Errorf("inspect schema: %w", err)
	}
	tables := s.Tables[:0]
	for _, t := range s.Tables {
		if t.Name != revisionTable {
			tables = append(tables, t)
		}
	}
	s.Tables = tables
	return s, nil
}

func dirName(dia string) string {
	if dia == dialect.Postgres {
		return "postgres"
	}
	return "sqlite"
}

// lockTables takes every table of the schema at once, in one LOCK TABLE,
// before a revert on PostgreSQL. A revert drops and alters tables one
// after another; taking their locks as it goes, it would hold one (say
// river_job, for an index) while transactions of the serving shop that
// wait on it hold the next it needs (order_items): a cycle on every
// attempt. Taking them all first, in the order the serving shop's hot
// transactions take them (idempotency_keys, then cart_items: a checkout
// with an Idempotency-Key claims its key first, then takes the cart; a
// cart change starts at cart_items), it waits only for the transactions
// in flight to end, and new ones queue behind it. With cart_items first, a
// checkout holding its key's table and waiting for the cart formed a cycle
// with the revert on nearly every attempt under load. A cycle with some
// other order of tables ends in lock_timeout and the whole revert runs
// again (retried). The shop's requests wait meanwhile, or answer 503.
func lockTables(ctx context.Context, tx *sql.Tx, dia string) error {
	if dia != dialect.Postgres {
		return nil
	}
	var tables string
	err := tx.QueryRowContext(ctx, `SELECT string_agg(quote_ident(tablename), ', ' ORDER BY tablename <> 'idempotency_keys', tablename <> 'cart_items', tablename)
		FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables)
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "LOCK TABLE "+tables+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	return nil
}
