package migrate_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"

	"shop/internal/migrate"
	"shop/internal/testdb"
)

// TestApply_DryRun: the plan names every pending file with its statements,
// and nothing changes, not even the revision table.
func TestApply_DryRun(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		db := testdb.Open(t, testdb.URL(t, dia))
		dir, _ := migrate.Dir(dia)
		files := mustFiles(t, dir)
		empty := readState(t, db.SQL, dia)

		plan, err := migrate.Apply(ctx, db.SQL, dia, dir, migrate.UpOptions{DryRun: true})
		if err != nil || len(plan) != len(files) {
			t.Fatalf("dry run: %v %v", plan, err)
		}
		for i, p := range plan {
			if p.Version != files[i].Version() || len(p.Statements) == 0 || !strings.Contains(string(files[i].Bytes()), strings.TrimSpace(strings.TrimSuffix(p.Statements[0], ";"))) {
				t.Fatalf("plan %d = %+v, want the statements of %s", i, p, files[i].Name())
			}
		}
		if !revisionTableMissing(t, db.SQL, dia) {
			t.Fatal("a dry run created the revision table")
		}
		sameState(t, db.SQL, dia, readState(t, db.SQL, dia), empty, "after a dry run")

		if _, err := migrate.Apply(ctx, db.SQL, dia, dir, migrate.UpOptions{To: files[0].Version()}); err != nil {
			t.Fatal(err)
		}
		plan, err = migrate.Apply(ctx, db.SQL, dia, dir, migrate.UpOptions{DryRun: true, To: files[1].Version()})
		if err != nil || len(plan) != 1 || plan[0].Version != files[1].Version() {
			t.Fatalf("dry run --to the second: %v %v", plan, err)
		}
		if got := appliedVersions(t, db.SQL, dia, dir); len(got) != 1 {
			t.Fatalf("applied after a dry run: %v", got)
		}
	})
}

func revisionTableMissing(t *testing.T, db *sql.DB, dia string) bool {
	t.Helper()
	_, err := db.ExecContext(context.Background(), "SELECT count(*) FROM atlas_schema_revisions")
	return err != nil
}

// TestApply_To: --to stops where asked; a version that is not pending is
// refused without changing anything.
func TestApply_To(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		db := testdb.Open(t, testdb.URL(t, dia))
		dir, _ := migrate.Dir(dia)
		files := mustFiles(t, dir)

		if _, err := migrate.Apply(ctx, db.SQL, dia, dir, migrate.UpOptions{To: "19990101000000"}); err == nil || !strings.Contains(err.Error(), "19990101000000") {
			t.Fatalf("up --to an unknown version: %v", err)
		}
		done, err := migrate.Apply(ctx, db.SQL, dia, dir, migrate.UpOptions{To: files[0].Version()})
		if err != nil || len(done) != 1 || done[0].Version != files[0].Version() {
			t.Fatalf("up --to %s: %v %v", files[0].Version(), done, err)
		}
		st, err := migrate.GetStatus(ctx, db.SQL, dia, dir)
		if err != nil || len(st.Applied) != 1 || len(st.PendingVersions) != len(files)-1 || st.PendingVersions[0] != files[1].Version() {
			t.Fatalf("status after up --to: %+v %v", st, err)
		}
		if st.Current() != files[0].Version() {
			t.Fatalf("current %q", st.Current())
		}
		if _, err := migrate.Apply(ctx, db.SQL, dia, dir, migrate.UpOptions{To: files[0].Version()}); err == nil {
			t.Fatal("up --to an applied version: no error")
		}
		done, err = migrate.Apply(ctx, db.SQL, dia, dir, migrate.UpOptions{})
		if err != nil || len(done) != len(files)-1 {
			t.Fatalf("up the rest: %v %v", done, err)
		}
	})
}

// TestSafety: up and down refuse a database whose applied history differs
// from the directory, naming the version.
func TestSafety(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		db := testdb.New(t, dia)
		dir, _ := migrate.Dir(dia)
		files := mustFiles(t, dir)
		downs := mustDowns(t, dia)
		last := files[len(files)-1]

		// A binary that doesn't know the newest applied migration.
		older := &atlasmigrate.MemDir{}
		for _, f := range files[:len(files)-1] {
			if err := older.WriteFile(f.Name(), f.Bytes()); err != nil {
				t.Fatal(err)
			}
		}
		resum(t, older)
		// A file changed after it was applied (and re-hashed).
		changed := copyDir(t, dir)
		writeFile(t, changed, last.Name(), string(last.Bytes())+"\n-- edited\n")
		// A file older than the newest applied one, never applied.
		outOfOrder := copyDir(t, dir)
		writeFile(t, outOfOrder, "20000101000000_late.sql", "CREATE TABLE late (id integer PRIMARY KEY);\n")

		for name, d := range map[string]atlasmigrate.Dir{"older binary": older, "changed file": changed, "out of order": outOfOrder} {
			want := last.Version()
			if name == "out of order" {
				want = "20000101000000"
			}
			if _, err := migrate.Up(ctx, db.SQL, dia, d); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("up, %s: %v, want a refusal naming %s", name, err, want)
			}
			if name == "out of order" {
				continue // down reverts what is applied; the new file is not
			}
			if _, err := migrate.Down(ctx, db.SQL, dia, d, downs, migrate.DownOptions{}); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("down, %s: %v, want a refusal naming %s", name, err, want)
			}
		}
		if got := appliedVersions(t, db.SQL, dia, dir); len(got) != len(files) {
			t.Fatalf("refusals changed the revisions: %v", got)
		}
	})
}

// TestUpDown_Serialize: down waits for the migration lock held by another
// transaction, and a concurrent up and down each run whole, one after the
// other, leaving a schema that matches the revisions.
func TestUpDown_Serialize(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: holds migration locks across processes; make test runs it")
	}
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		url := testdb.URL(t, dia)
		db := testdb.Open(t, url)
		dir, _ := migrate.Dir(dia)
		files := mustFiles(t, dir)
		downs := mustDowns(t, dia)
		if _, err := migrate.Up(ctx, db.SQL, dia, dir); err != nil {
			t.Fatal(err)
		}
		full := readState(t, db.SQL, dia)

		// Hold the lock the way up does.
		holder := testdb.Open(t, url)
		tx, err := holder.SQL.BeginTx(ctx, nil) // BEGIN IMMEDIATE on SQLite
		if err != nil {
			t.Fatal(err)
		}
		if dia == dialect.Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7462431001)"); err != nil {
				t.Fatal(err)
			}
		}
		done := make(chan error, 1)
		go func() {
			_, err := migrate.Down(ctx, db.SQL, dia, dir, downs, migrate.DownOptions{})
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("down finished while another transaction held the migration lock: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("down after the lock was released: %v", err)
		}
		if got := appliedVersions(t, db.SQL, dia, dir); len(got) != len(files)-1 {
			t.Fatalf("applied after down: %v", got)
		}

		for round := range 3 {
			if _, err := migrate.Up(ctx, db.SQL, dia, dir); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var upErr, downErr error
			upDB, downDB := testdb.Open(t, url), testdb.Open(t, url)
			wg.Add(2)
			go func() { defer wg.Done(); _, upErr = migrate.Up(ctx, upDB.SQL, dia, dir) }()
			go func() {
				defer wg.Done()
				_, downErr = migrate.Down(ctx, downDB.SQL, dia, dir, downs, migrate.DownOptions{})
			}()
			wg.Wait()
			if upErr != nil || downErr != nil {
				t.Fatalf("round %d: up %v, down %v", round, upErr, downErr)
			}
			// Either order is fine; a mix is not.
			switch got := appliedVersions(t, db.SQL, dia, dir); len(got) {
			case len(files):
				sameState(t, db.SQL, dia, readState(t, db.SQL, dia), full, "down then up")
			case len(files) - 1:
				if _, err := migrate.Up(ctx, db.SQL, dia, dir); err != nil {
					t.Fatal(err)
				}
				sameState(t, db.SQL, dia, readState(t, db.SQL, dia), full, "up then down, then up again")
			default:
				t.Fatalf("round %d: applied %v", round, got)
			}
		}
	})
}
