package migrate_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/schema"
	"entgo.io/ent/dialect"

	"shop/internal/migrate"
	"shop/internal/testdb"
)

// state is what a user of the database would notice of its schema: Atlas's
// inspection plus the objects it can't see (triggers, functions, views).
type state struct {
	schema  *schema.Schema
	objects []string
}

func readState(t *testing.T, db *sql.DB, dia string) state {
	t.Helper()
	ctx := context.Background()
	s, _, err := migrate.InspectDB(ctx, db, dia)
	if err != nil {
		t.Fatal(err)
	}
	q := `SELECT type || ' ' || name FROM sqlite_master WHERE type IN ('trigger', 'view') ORDER BY 1`
	if dia == dialect.Postgres {
		q = `SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal
		UNION ALL SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
			WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
		UNION ALL SELECT 'view ' || viewname FROM pg_views WHERE schemaname = current_schema()
		ORDER BY 1`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	st := state{schema: s}
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			t.Fatal(err)
		}
		st.objects = append(st.objects, o)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return st
}

// sameState fails the test when two states differ.
func sameState(t *testing.T, db *sql.DB, dia string, got, want state, what string) {
	t.Helper()
	_, diff, err := migrate.InspectDB(context.Background(), db, dia)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := diff(want.schema, got.schema)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) > 0 {
		var desc []string
		for _, c := range changes {
			desc = append(desc, fmt.Sprintf("%T %+v", c, c))
		}
		t.Fatalf("%s: the schema differs: %s", what, strings.Join(desc, "; "))
	}
	if !slices.Equal(got.objects, want.objects) {
		t.Fatalf("%s: triggers/functions/views %v, want %v", what, got.objects, want.objects)
	}
}

func mustDowns(t *testing.T, dia string) map[string]atlasmigrate.File {
	t.Helper()
	downs, err := migrate.DownFiles(dia)
	if err != nil {
		t.Fatal(err)
	}
	return downs
}

func appliedVersions(t *testing.T, db *sql.DB, dia string, dir atlasmigrate.Dir) []string {
	t.Helper()
	st, err := migrate.GetStatus(context.Background(), db, dia, dir)
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, a := range st.Applied {
		vs = append(vs, a.Version)
	}
	return vs
}

// TestEveryUpHasDown catches a migration added without its down file.
func TestEveryUpHasDown(t *testing.T) {
	t.Parallel()
	for _, dia := range testdb.Dialects {
		dir, err := migrate.Dir(dia)
		if err != nil {
			t.Fatal(err)
		}
		if err := migrate.CheckDownFiles(dir, mustDowns(t, dia)); err != nil {
			t.Errorf("%s: %v", dia, err)
		}
		// And the check can fail.
		more := copyDir(t, dir)
		writeFile(t, more, "99990101000000_new.sql", "CREATE TABLE widgets (id integer PRIMARY KEY);\n")
		if err := migrate.CheckDownFiles(more, mustDowns(t, dia)); err == nil || !strings.Contains(err.Error(), "99990101000000_new.sql has no down file") {
			t.Errorf("%s: a file without a down file: %v", dia, err)
		}
	}
}

// TestDown_RoundTrip: every down file takes the schema back exactly to the
// state before its up file (Atlas's inspection plus triggers and
// functions), and up → down --steps 1 → up leaves the schema of a fresh up,
// with the rows of tables the reverted migrations didn't touch kept.
func TestDown_RoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: replays every migration up and down; make test runs it")
	}
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		db := testdb.Open(t, testdb.URL(t, dia))
		dir, err := migrate.Dir(dia)
		if err != nil {
			t.Fatal(err)
		}
		files := mustFiles(t, dir)
		downs := mustDowns(t, dia)
		states := []state{readState(t, db.SQL, dia)}
		for _, f := range files {
			done, err := migrate.Apply(ctx, db.SQL, dia, dir, migrate.UpOptions{To: f.Version()})
			if err != nil || len(done) != 1 || done[0].Version != f.Version() {
				t.Fatalf("up --to %s: %v %v", f.Version(), done, err)
			}
			states = append(states, readState(t, db.SQL, dia))
		}
		fresh := testdb.New(t, dia)
		sameState(t, db.SQL, dia, states[len(files)], readState(t, fresh.SQL, dia), "up one at a time vs a fresh up")

		if _, err := db.SQL.ExecContext(ctx, `INSERT INTO users (created_at, updated_at, email, password_hash, name, role) VALUES (CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'kept@example.com', 'x', 'Kept', 'customer')`); err != nil {
			t.Fatal(err)
		}

		t.Run("DownStepsOneUp", func(t *testing.T) {
			plan, err := migrate.Down(ctx, db.SQL, dia, dir, downs, migrate.DownOptions{Steps: 1})
			if err != nil || len(plan) != 1 || plan[0].Version != files[len(files)-1].Version() {
				t.Fatalf("down --steps 1: %v %v", plan, err)
			}
			sameState(t, db.SQL, dia, readState(t, db.SQL, dia), states[len(files)-1], "after down --steps 1")
			if got := appliedVersions(t, db.SQL, dia, dir); len(got) != len(files)-1 {
				t.Fatalf("applied after down: %v", got)
			}
			if _, err := migrate.Up(ctx, db.SQL, dia, dir); err != nil {
				t.Fatal(err)
			}
			sameState(t, db.SQL, dia, readState(t, db.SQL, dia), readState(t, fresh.SQL, dia), "up → down --steps 1 → up vs a fresh up")
			var n int
			if err := db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE email = 'kept@example.com'`).Scan(&n); err != nil || n != 1 {
				t.Fatalf("the user row after down and up: %d %v", n, err)
			}
		})

		t.Run("EachDownFile", func(t *testing.T) {
			// Down one step at a time to the first migration (which would
			// drop the row above), comparing with the state before each file.
			for i := len(files) - 1; i >= 1; i-- {
				plan, err := migrate.Down(ctx, db.SQL, dia, dir, downs, migrate.DownOptions{})
				if err != nil || len(plan) != 1 || plan[0].Version != files[i].Version() {
					t.Fatalf("down (default one step) from %s: %v %v", files[i].Version(), plan, err)
				}
				sameState(t, db.SQL, dia, readState(t, db.SQL, dia), states[i], "after reverting "+files[i].Name())
			}
			// Then all the way, with --force for the row.
			if _, err := migrate.Down(ctx, db.SQL, dia, dir, downs, migrate.DownOptions{Force: true}); err != nil {
				t.Fatal(err)
			}
			sameState(t, db.SQL, dia, readState(t, db.SQL, dia), states[0], "after reverting everything")
			if got := appliedVersions(t, db.SQL, dia, dir); len(got) != 0 {
				t.Fatalf("applied after reverting all: %v", got)
			}
			if _, err := migrate.Up(ctx, db.SQL, dia, dir); err != nil {
				t.Fatal(err)
			}
			sameState(t, db.SQL, dia, readState(t, db.SQL, dia), readState(t, fresh.SQL, dia), "up after reverting everything")
		})
	})
}

// TestDown_Target: --to keeps VERSION and reverts what is newer; a dry run
// changes nothing; bad targets are refused.
func TestDown_Target(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		db := testdb.New(t, dia)
		dir, _ := migrate.Dir(dia)
		files := mustFiles(t, dir)
		downs := mustDowns(t, dia)
		before := readState(t, db.SQL, dia)

		plan, err := migrate.Down(ctx, db.SQL, dia, dir, downs, migrate.DownOptions{To: files[0].Version(), DryRun: true})
		if err != nil || len(plan) != len(files)-1 || plan[0].Version != files[len(files)-1].Version() || len(plan[0].Statements) == 0 {
			t.Fatalf("down --to first --dry-run: %+v %v", plan, err)
		}
		sameState(t, db.SQL, dia, readState(t, db.SQL, dia), before, "after a dry run")
		if got := appliedVersions(t, db.SQL, dia, dir); len(got) != len(files) {
			t.Fatalf("a dry run changed the revisions: %v", got)
		}

		for _, bad := range []migrate.DownOptions{{To: "19990101000000"}, {Steps: len(files) + 1}, {Steps: -1}, {Steps: 1, To: files[0].Version()}} {
			if _, err := migrate.Down(ctx, db.SQL, dia, dir, downs, bad); err == nil {
				t.Errorf("down %+v: no error", bad)
			}
		}

		plan, err = migrate.Down(ctx, db.SQL, dia, dir, downs, migrate.DownOptions{To: files[0].Version()})
		if err != nil || len(plan) != len(files)-1 {
			t.Fatalf("down --to first: %v %v", plan, err)
		}
		if got := appliedVersions(t, db.SQL, dia, dir); !slices.Equal(got, []string{files[0].Version()}) {
			t.Fatalf("applied after down --to %s: %v", files[0].Version(), got)
		}
	})
}

// TestDown_RefusesDataLoss: a revert that drops a table or a column
// holding rows is refused with its statements and the row counts, and
// changes nothing; --force reverts it.
func TestDown_RefusesDataLoss(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		db := testdb.New(t, dia)
		dir, _ := migrate.Dir(dia)
		files := mustFiles(t, dir)
		downs := mustDowns(t, dia)
		for _, email := range []string{"a@example.com", "b@example.com"} {
			if _, err := db.SQL.ExecContext(ctx, `INSERT INTO users (created_at, updated_at, email, password_hash, name, role) VALUES (CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '`+email+`', 'x', 'A', 'customer')`); err != nil {
				t.Fatal(err)
			}
		}
		before := readState(t, db.SQL, dia)

		plan, err := migrate.Down(ctx, db.SQL, dia, dir, downs, migrate.DownOptions{Steps: len(files)})
		var loss *migrate.DataLossError
		if !errors.As(err, &loss) {
			t.Fatalf("down over tables with rows: %v, want a refusal", err)
		}
		last := plan[len(plan)-1]
		if !slices.ContainsFunc(last.Statements, func(s string) bool { return strings.Contains(s, "DROP TABLE") && strings.Contains(s, "users") }) {
			t.Fatalf("the refusal does not show the statements: %v", last.Statements)
		}
		if !slices.Contains(last.Loss, migrate.DataLoss{Table: "users", Rows: 2}) || !strings.Contains(err.Error(), `table "users" holds 2 rows`) {
			t.Fatalf("the refusal does not count the rows: %+v / %v", last.Loss, err)
		}
		sameState(t, db.SQL, dia, readState(t, db.SQL, dia), before, "after a refused down")
		if got := appliedVersions(t, db.SQL, dia, dir); len(got) != len(files) {
			t.Fatalf("a refused down changed the revisions: %v", got)
		}

		// A dropped column with values is refused too; an empty one is not.
		col := copyDir(t, dir)
		writeFile(t, col, "99990101000000_user_note.sql", "ALTER TABLE users ADD COLUMN note varchar(20) NULL;\n")
		colDowns := mustDowns(t, dia)
		colDowns["99990101000000"] = atlasmigrate.NewLocalFile("99990101000000_user_note.down.sql", []byte("ALTER TABLE users DROP COLUMN note;\n"))
		if _, err := migrate.Up(ctx, db.SQL, dia, col); err != nil {
			t.Fatal(err)
		}
		if _, err := migrate.Down(ctx, db.SQL, dia, col, colDowns, migrate.DownOptions{DryRun: true}); err != nil {
			t.Fatalf("down of an empty column: %v", err)
		}
		if _, err := db.SQL.ExecContext(ctx, `UPDATE users SET note = 'hi' WHERE email = 'a@example.com'`); err != nil {
			t.Fatal(err)
		}
		_, err = migrate.Down(ctx, db.SQL, dia, col, colDowns, migrate.DownOptions{})
		if !errors.As(err, &loss) || !strings.Contains(err.Error(), `column "users"."note" holds 1 non-null values`) {
			t.Fatalf("down of a column with a value: %v, want a refusal", err)
		}
		if _, err := migrate.Down(ctx, db.SQL, dia, col, colDowns, migrate.DownOptions{Force: true}); err != nil {
			t.Fatalf("down --force: %v", err)
		}
		sameState(t, db.SQL, dia, readState(t, db.SQL, dia), before, "after reverting the column")

		if _, err := migrate.Down(ctx, db.SQL, dia, dir, downs, migrate.DownOptions{Steps: len(files), Force: true}); err != nil {
			t.Fatalf("down --force: %v", err)
		}
		if got := appliedVersions(t, db.SQL, dia, dir); len(got) != 0 {
			t.Fatalf("applied after down --force: %v", got)
		}
		if _, err := db.SQL.ExecContext(ctx, "SELECT count(*) FROM users"); err == nil {
			t.Fatal("users survived down --force")
		}
	})
}

func copyDir(t *testing.T, dir atlasmigrate.Dir) *atlasmigrate.MemDir {
	t.Helper()
	mem := &atlasmigrate.MemDir{}
	for _, f := range mustFiles(t, dir) {
		if err := mem.WriteFile(f.Name(), f.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	resum(t, mem)
	return mem
}

// writeFile adds a migration file and re-hashes the directory.
func writeFile(t *testing.T, dir *atlasmigrate.MemDir, name, content string) {
	t.Helper()
	if err := dir.WriteFile(name, []byte(content)); err != nil {
		t.Fatal(err)
	}
	resum(t, dir)
}

func resum(t *testing.T, dir *atlasmigrate.MemDir) {
	t.Helper()
	sum, err := atlasmigrate.NewHashFile(mustFiles(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := atlasmigrate.WriteSumFile(dir, sum); err != nil {
		t.Fatal(err)
	}
}
