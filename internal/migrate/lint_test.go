package migrate_test

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"

	"shop/internal/migrate"
	"shop/internal/testdb"
)

// lintDev is the database lint replays on: the test's PostgreSQL database
// (in a scratch schema, rolled back) or an in-memory SQLite one.
func lintDev(t *testing.T, dia string) *sql.DB {
	t.Helper()
	if dia == dialect.Postgres {
		return testdb.Open(t, testdb.URL(t, dia)).SQL
	}
	db, err := migrate.OpenScratchSQLite()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestLint_OwnDirectories: our migrations have no error-level finding.
func TestLint_OwnDirectories(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: replays both directories through Atlas's analyzers (make migrate-lint); make test runs it")
	}
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		dir, _ := migrate.Dir(dia)
		findings, err := migrate.Lint(context.Background(), lintDev(t, dia), dia, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range findings {
			if f.Error {
				t.Errorf("error-level finding: %s", f)
			}
		}
	})
}

// TestLint_Reports: a migration that drops a column (an error) and one that
// adds a NOT NULL column without default (data-dependent) are reported,
// with the file and line; the files before them are replayed, not linted.
func TestLint_Reports(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		dev := lintDev(t, dia)
		dir, _ := migrate.Dir(dia)
		bad := copyDir(t, dir)
		writeFile(t, bad, "99990101000000_widgets.sql", "CREATE TABLE widgets (id integer NOT NULL, name varchar(20) NULL, PRIMARY KEY (id));\n")
		writeFile(t, bad, "99990102000000_drop_name.sql", "-- the name goes\nALTER TABLE widgets DROP COLUMN name;\n")
		notNull := "ALTER TABLE widgets ADD COLUMN sku varchar(20) NOT NULL;\n"
		if dia == dialect.SQLite {
			// SQLite can't add such a column: Atlas's table rebuild.
			notNull = "PRAGMA foreign_keys = off;\n" +
				"CREATE TABLE `new_widgets` (`id` integer NOT NULL, `sku` varchar(20) NOT NULL, PRIMARY KEY (`id`));\n" +
				"INSERT INTO `new_widgets` (`id`) SELECT `id` FROM `widgets`;\n" +
				"DROP TABLE `widgets`;\n" +
				"ALTER TABLE `new_widgets` RENAME TO `widgets`;\n" +
				"PRAGMA foreign_keys = on;\n"
		}
		writeFile(t, bad, "99990103000000_add_sku.sql", notNull)
		// Reviewed findings are silenced the way the atlas CLI reads it.
		writeFile(t, bad, "99990104000000_gadgets.sql", "CREATE TABLE gadgets (id integer NOT NULL, a varchar(9) NULL, b varchar(9) NULL, PRIMARY KEY (id));\n")
		writeFile(t, bad, "99990105000000_reviewed.sql", "-- atlas:nolint DS103\nALTER TABLE gadgets DROP COLUMN a;\n")
		writeFile(t, bad, "99990106000000_reviewed_file.sql", "-- atlas:nolint destructive\n\nALTER TABLE gadgets DROP COLUMN b;\n")

		findings, err := migrate.Lint(ctx, dev, dia, bad, func(f atlasmigrate.File) bool { return f.Version() > "9999" })
		if err != nil {
			t.Fatal(err)
		}
		has := func(file, code string, isErr bool) bool {
			return slices.ContainsFunc(findings, func(f migrate.Finding) bool {
				return f.File == file && f.Code == code && f.Error == isErr
			})
		}
		if !has("99990102000000_drop_name.sql", "DS103", true) {
			t.Errorf("the dropped column is not reported as an error: %v", findings)
		}
		if !has("99990103000000_add_sku.sql", "MF103", false) {
			t.Errorf("the NOT NULL column without default is not reported: %v", findings)
		}
		for _, f := range findings {
			if strings.Contains(f.File, "reviewed") {
				t.Errorf("a finding silenced by atlas:nolint: %s", f)
			}
			if f.File == "99990102000000_drop_name.sql" && f.Line != 2 {
				t.Errorf("finding %s: line %d, want 2", f, f.Line)
			}
			if !strings.HasPrefix(f.File, "9999") {
				t.Errorf("a file outside the linted ones: %s", f)
			}
		}
	})
}
