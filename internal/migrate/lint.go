package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlcheck"
	"ariga.io/atlas/sql/sqlclient"
	"ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"

	// Register Atlas's analyzers of each dialect (destructive, data_depend,
	// incompatible, condrop, with the dialect's own handlers).
	_ "ariga.io/atlas/sql/postgres/postgrescheck"
	_ "ariga.io/atlas/sql/sqlite/sqlitecheck"
)

// Finding is one diagnostic of Atlas's analyzers on a migration file.
type Finding struct {
	File     string // file name
	Line     int    // line of the statement in the file
	Analyzer string // e.g. destructive, data_depend
	Code     string // e.g. DS103, MF103
	Text     string
	Error    bool // an error-level finding (Atlas's default for its analyzer)
}

func (f Finding) String() string {
	level := "warning"
	if f.Error {
		level = "error"
	}
	code := ""
	if f.Code != "" {
		code = " [" + f.Code + "]"
	}
	where := f.File
	if f.Line > 0 {
		where = fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return fmt.Sprintf("%s: %s: %s%s: %s", where, level, f.Analyzer, code, f.Text)
}

// Lint runs Atlas's analyzers over the files of dir for which only returns
// true (every file when only is nil), the way `atlas migrate lint` does:
// the directory is replayed on a scratch of dev (see scratch) statement by
// statement, the schema inspected after each one, and the analyzers read the
// changes. dev is the database to replay on: any database of the dialect
// (nothing is left behind), e.g. OpenScratchSQLite or the target database.
func Lint(ctx context.Context, dev *sql.DB, dia string, dir atlasmigrate.Dir, only func(atlasmigrate.File) bool) ([]Finding, error) {
	files, err := dir.Files()
	if err != nil {
		return nil, err
	}
	name := sqlite.DriverName
	if dia == dialect.Postgres {
		name = postgres.DriverName
	}
	var findings []Finding
	err = withScratch(ctx, dev, dia, func(s *scratch) error {
		for _, f := range files {
			if only != nil && !only(f) {
				if err := s.run(ctx, f); err != nil {
					return err
				}
				continue
			}
			file, err := s.changes(ctx, f)
			if err != nil {
				return err
			}
			byPos := make(map[int]*atlasmigrate.Stmt, len(file.Changes))
			for _, c := range file.Changes {
				byPos[c.Stmt.Pos] = c.Stmt
			}
			// Analyzers are made per file: some keep state.
			azs, err := sqlcheck.AnalyzerFor(name, nil)
			if err != nil {
				return err
			}
			for _, az := range azs {
				var reports []sqlcheck.Report
				pass := &sqlcheck.Pass{
					File:     file,
					Dev:      &sqlclient.Client{Name: name, Driver: s.drv},
					Reporter: sqlcheck.ReportWriterFunc(func(r sqlcheck.Report) { reports = append(reports, r) }),
				}
				azErr := az.Analyze(ctx, pass)
				azName := "sqlite"
				if n, ok := az.(sqlcheck.NamedAnalyzer); ok {
					azName = n.Name()
				}
				for _, r := range reports {
					for _, d := range r.Diagnostics {
						if nolint(f, byPos[d.Pos], azName, d.Code) {
							continue
						}
						findings = append(findings, Finding{
							File: f.Name(), Line: lineOf(f.Bytes(), d.Pos), Analyzer: azName,
							Code: d.Code, Text: d.Text, Error: azErr != nil,
						})
					}
				}
				if azErr != nil && len(reports) == 0 && !nolint(f, nil, azName, "") {
					return fmt.Errorf("%s: %s: %w", f.Name(), azName, azErr)
				}
			}
		}
		return nil
	})
	return findings, err
}

// changes runs f on the scratch one statement at a time and returns the
// file with the schema change of every statement (an empty one for
// statements that change no schema: Atlas's SQLite analyzer reads the
// CREATE new_t / INSERT / DROP t / RENAME sequence of a table rebuild).
func (s *scratch) changes(ctx context.Context, f atlasmigrate.File) (*sqlcheck.File, error) {
	stmts, err := s.stmts(f)
	if err != nil {
		return nil, err
	}
	from, err := inspect(ctx, s.drv)
	if err != nil {
		return nil, err
	}
	file := &sqlcheck.File{File: f, From: schema.NewRealm(from)}
	cur := from
	for _, st := range stmts {
		if _, err := s.tx.ExecContext(ctx, st.Text); err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %w", f.Name(), lineOf(f.Bytes(), st.Pos), strings.TrimSpace(st.Text), err)
		}
		next, err := inspect(ctx, s.drv)
		if err != nil {
			return nil, err
		}
		diff, err := s.drv.SchemaDiff(cur, next)
		if err != nil {
			return nil, err
		}
		file.Changes = append(file.Changes, &sqlcheck.Change{Changes: diff, Stmt: st})
		cur = next
	}
	file.To = schema.NewRealm(cur)
	if file.Sum, err = s.drv.SchemaDiff(from, cur); err != nil {
		return nil, err
	}
	return file, nil
}

// lineOf is the 1-based line of byte offset pos in b.
func lineOf(b []byte, pos int) int {
	if pos > len(b) {
		pos = len(b)
	}
	return strings.Count(string(b[:max(pos, 0)]), "\n") + 1
}

// nolint reports whether an `-- atlas:nolint [names or codes]` directive,
// as the atlas CLI reads them, silences a finding of analyzer with code:
// at the top of the file (followed by an empty line) for the whole file,
// or right above the statement. Without arguments it silences everything.
// This is how a reviewed migration keeps a deliberate finding out of CI.
func nolint(f atlasmigrate.File, st *atlasmigrate.Stmt, analyzer, code string) bool {
	var dirs []string
	if d, ok := f.(interface{ Directive(string) []string }); ok {
		dirs = append(dirs, d.Directive("nolint")...)
	}
	if st != nil {
		dirs = append(dirs, st.Directive("nolint")...)
	}
	for _, d := range dirs {
		args := strings.Fields(d)
		if len(args) == 0 {
			return true
		}
		for _, a := range args {
			if a == analyzer || (code != "" && a == code) {
				return true
			}
		}
	}
	return false
}
