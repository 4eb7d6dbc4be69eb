package migrate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
)

// revisionTable records applied migrations. The Atlas library ships no
// database-backed revision store (the CLI's is internal), so this is ours.
const revisionTable = "atlas_schema_revisions"

// revisionStore implements atlasmigrate.RevisionReadWriter on one transaction.
type revisionStore struct {
	tx      *sql.Tx
	dialect string
	missing bool // the table does not exist (a read-only store on a new database)
}

var _ atlasmigrate.RevisionReadWriter = (*revisionStore)(nil)

// newRevisionStore opens the revision table; with create it makes the table
// if needed (only Up does, under the migration lock), without it a missing
// table reads as no revisions.
func newRevisionStore(ctx context.Context, tx *sql.Tx, dia string, create bool) (*revisionStore, error) {
	s := &revisionStore{tx: tx, dialect: dia}
	if !create {
		exists, err := s.exists(ctx)
		if err != nil {
			return nil, err
		}
		s.missing = !exists
		return s, nil
	}
	ddl := `CREATE TABLE IF NOT EXISTS ` + revisionTable + ` (
		version varchar(255) NOT NULL PRIMARY KEY,
		description varchar(255) NOT NULL,
		type integer NOT NULL,
		applied integer NOT NULL,
		total integer NOT NULL,
		executed_at varchar(64) NOT NULL,
		execution_time bigint NOT NULL,
		error text NOT NULL,
		error_stmt text NOT NULL,
		hash varchar(255) NOT NULL,
		partial_hashes text NOT NULL,
		operator_version varchar(255) NOT NULL
	)`
	if _, err := tx.ExecContext(ctx, ddl); err != nil {
		return nil, fmt.Errorf("create revision table: %w", err)
	}
	return s, nil
}

func (s *revisionStore) exists(ctx context.Context) (bool, error) {
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if s.dialect == dialect.Postgres {
		q = `SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?`
	}
	var n int
	if err := s.tx.QueryRowContext(ctx, s.rebind(q), revisionTable).Scan(&n); err != nil {
		return false, fmt.Errorf("find revision table: %w", err)
	}
	return n > 0, nil
}

// Ident names the revision table so Atlas ignores it when it checks that a
// new database is clean.
func (s *revisionStore) Ident() *atlasmigrate.TableIdent {
	if s.dialect == dialect.Postgres {
		return &atlasmigrate.TableIdent{Name: revisionTable, Schema: "public"}
	}
	return &atlasmigrate.TableIdent{Name: revisionTable}
}

const revisionColumns = `version, description, type, applied, total, executed_at, execution_time, error, error_stmt, hash, partial_hashes, operator_version`

// ReadRevisions returns every revision, oldest version first.
func (s *revisionStore) ReadRevisions(ctx context.Context) ([]*atlasmigrate.Revision, error) {
	if s.missing {
		return nil, nil
	}
	rows, err := s.tx.QueryContext(ctx, `SELECT `+revisionColumns+` FROM `+revisionTable+` ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("read revisions: %w", err)
	}
	defer rows.Close()
	var revs []*atlasmigrate.Revision
	for rows.Next() {
		r, err := scanRevision(rows)
		if err != nil {
			return nil, err
		}
		revs = append(revs, r)
	}
	return revs, rows.Err()
}

// ReadRevision returns one revision, or atlasmigrate.ErrRevisionNotExist.
func (s *revisionStore) ReadRevision(ctx context.Context, version string) (*atlasmigrate.Revision, error) {
	if s.missing {
		return nil, atlasmigrate.ErrRevisionNotExist
	}
	row := s.tx.QueryRowContext(ctx, s.rebind(`SELECT `+revisionColumns+` FROM `+revisionTable+` WHERE version = ?`), version)
	r, err := scanRevision(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, atlasmigrate.ErrRevisionNotExist
	}
	return r, err
}

// WriteRevision inserts or replaces a revision.
func (s *revisionStore) WriteRevision(ctx context.Context, r *atlasmigrate.Revision) error {
	if s.missing {
		return errors.New("write revision: the revision table does not exist")
	}
	partial, err := json.Marshal(r.PartialHashes)
	if err != nil {
		return err
	}
	if _, err := s.tx.ExecContext(ctx, s.rebind(`DELETE FROM `+revisionTable+` WHERE version = ?`), r.Version); err != nil {
		return fmt.Errorf("write revision: %w", err)
	}
	_, err = s.tx.ExecContext(ctx, s.rebind(`INSERT INTO `+revisionTable+` (`+revisionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		r.Version, r.Description, int(r.Type), r.Applied, r.Total, r.ExecutedAt.UTC().Format(time.RFC3339Nano),
		int64(r.ExecutionTime), r.Error, r.ErrorStmt, r.Hash, string(partial), r.OperatorVersion)
	if err != nil {
		return fmt.Errorf("write revision: %w", err)
	}
	return nil
}

// DeleteRevision removes a revision.
func (s *revisionStore) DeleteRevision(ctx context.Context, version string) error {
	_, err := s.tx.ExecContext(ctx, s.rebind(`DELETE FROM `+revisionTable+` WHERE version = ?`), version)
	return err
}

// verifyApplied refuses a directory whose files no longer match what was
// applied: a file edited after it ran would leave databases that claim the
// same version with different schemas.
func (s *revisionStore) verifyApplied(ctx context.Context, dir atlasmigrate.Dir) error {
	if err := atlasmigrate.Validate(dir); err != nil {
		return fmt.Errorf("migration directory: %w", err)
	}
	sum, err := dir.Checksum()
	if err != nil {
		return err
	}
	files, err := dir.Files()
	if err != nil {
		return err
	}
	byVersion := make(map[string]string, len(files))
	for _, f := range files {
		h, err := sum.SumByName(f.Name())
		if err != nil {
			return err
		}
		byVersion[f.Version()] = h
	}
	revs, err := s.ReadRevisions(ctx)
	if err != nil {
		return err
	}
	if len(revs) > 0 {
		applied := make(map[string]bool, len(revs))
		for _, r := range revs {
			applied[r.Version] = true
		}
		newest := revs[len(revs)-1].Version
		for _, f := range files {
			if f.Version() < newest && !applied[f.Version()] {
				return fmt.Errorf("migration %s is older than the newest applied one (%s) but was never applied: it was added out of order; give it a later version", f.Version(), newest)
			}
		}
	}
	for _, r := range revs {
		h, ok := byVersion[r.Version]
		switch {
		case !ok:
			return fmt.Errorf("migration %s is applied but missing from this binary (is the binary older than the database?)", r.Version)
		case r.Hash != "" && r.Hash != h:
			return fmt.Errorf("migration %s: %w: the file changed after it was applied", r.Version, atlasmigrate.ErrChecksumMismatch)
		}
	}
	return nil
}

type scanner interface{ Scan(...any) error }

func scanRevision(sc scanner) (*atlasmigrate.Revision, error) {
	var (
		r          atlasmigrate.Revision
		typ        int
		executedAt string
		execTime   int64
		partial    string
	)
	err := sc.Scan(&r.Version, &r.Description, &typ, &r.Applied, &r.Total, &executedAt, &execTime,
		&r.Error, &r.ErrorStmt, &r.Hash, &partial, &r.OperatorVersion)
	if err != nil {
		return nil, err
	}
	r.Type = atlasmigrate.RevisionType(typ)
	r.ExecutionTime = time.Duration(execTime)
	if r.ExecutedAt, err = time.Parse(time.RFC3339Nano, executedAt); err != nil {
		return nil, fmt.Errorf("revision %s: executed_at: %w", r.Version, err)
	}
	if err := json.Unmarshal([]byte(partial), &r.PartialHashes); err != nil {
		return nil, fmt.Errorf("revision %s: partial hashes: %w", r.Version, err)
	}
	return &r, nil
}

// rebind turns ? placeholders into $1, $2, … for PostgreSQL.
func (s *revisionStore) rebind(q string) string {
	if s.dialect != dialect.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}
