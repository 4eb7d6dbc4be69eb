package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"

	"shop/internal/migrate"
	"shop/internal/testdb"
)

// TestMigrateStatusJSON: the document of API.md, exit 3 while migrations
// are pending and 0 once none are, 1 on an error.
func TestMigrateStatusJSON(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		url := testdb.URL(t, dia)
		dir, _ := migrate.Dir(dia)
		files, _ := dir.Files()
		status := func() (map[string]any, int) {
			t.Helper()
			out, err := runCmd(t, url, "migrate", "status", "--json")
			code := 0
			if err != nil {
				code, _ = exitCode(err)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("status --json printed %q: %v", out, err)
			}
			return doc, code
		}

		doc, code := status()
		if code != 3 || doc["current"] != nil || len(doc["applied"].([]any)) != 0 || len(doc["pending"].([]any)) != len(files) || doc["pending"].([]any)[0] != files[0].Version() {
			t.Fatalf("before up: exit %d, %v", code, doc)
		}
		if out, err := runCmd(t, url, "migrate", "up", "--to", files[0].Version()); err != nil || strings.TrimSpace(out) != "applied "+files[0].Version() {
			t.Fatalf("up --to: %v %q", err, out)
		}
		doc, code = status()
		applied := doc["applied"].([]any)
		first := applied[0].(map[string]any)
		at, perr := time.Parse(time.RFC3339Nano, first["executed_at"].(string))
		if code != 3 || doc["current"] != files[0].Version() || len(applied) != 1 || first["version"] != files[0].Version() ||
			first["description"] != "init" || perr != nil || time.Since(at) > time.Hour || len(doc["pending"].([]any)) != len(files)-1 {
			t.Fatalf("after up --to: exit %d, %v", code, doc)
		}
		if _, err := runCmd(t, url, "migrate", "up"); err != nil {
			t.Fatal(err)
		}
		doc, code = status()
		if code != 0 || doc["current"] != files[len(files)-1].Version() || len(doc["applied"].([]any)) != len(files) || len(doc["pending"].([]any)) != 0 {
			t.Fatalf("after up: exit %d, %v", code, doc)
		}

		_, err := runCmd(t, url, "migrate", "status", "--json", "--force")
		if code, msg := exitCode(err); code != exitUsage || !msg {
			t.Fatalf("status with a bad flag: exit %d (%v), want 2", code, err)
		}
	})
	_, err := runCmd(t, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", "migrate", "status", "--json")
	if code, _ := exitCode(err); code != 1 {
		t.Fatalf("status against no database: exit %d (%v)", code, err)
	}
}

// TestMigrateDownCLI: down prints what it reverts; a data-dropping revert
// is refused with the statements and counts on stdout.
func TestMigrateDownCLI(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		url := testdb.URL(t, dia)
		dir, _ := migrate.Dir(dia)
		files, _ := dir.Files()
		if _, err := runCmd(t, url, "migrate", "up"); err != nil {
			t.Fatal(err)
		}
		last := files[len(files)-1].Version()
		downs, err := migrate.DownFiles(dia)
		if err != nil {
			t.Fatal(err)
		}
		// The dry run prints the statements of the newest revision's down file.
		var stmt string
		for _, l := range strings.Split(string(downs[last].Bytes()), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "--") {
				stmt = l
				break
			}
		}
		out, err := runCmd(t, url, "migrate", "down", "--dry-run")
		if err != nil || stmt == "" || !strings.Contains(out, "-- revert "+last) || !strings.Contains(out, stmt) || !strings.Contains(out, "nothing was changed") {
			t.Fatalf("down --dry-run (want %q): %v\n%s", stmt, err, out)
		}
		if out, err := runCmd(t, url, "migrate", "down"); err != nil || strings.TrimSpace(out) != "reverted "+last {
			t.Fatalf("down: %v\n%s", err, out)
		}
		if _, err := runCmd(t, url, "user", "create", "--email", "a@example.com", "--password", "correct horse", "--role", "admin"); err != nil {
			t.Fatal(err)
		}
		if _, err := runCmd(t, url, "migrate", "down", "--to", files[0].Version(), "--steps", "1"); err == nil {
			t.Fatal("down with --to and --steps: no error")
		}
		out, err = runCmd(t, url, "migrate", "down", "--steps", "99")
		if err == nil || !strings.Contains(err.Error(), "only") {
			t.Fatalf("down --steps 99: %v\n%s", err, out)
		}
		out, err = runCmd(t, url, "migrate", "down", "--steps", strconv.Itoa(len(files)-1))
		if err == nil || !strings.Contains(err.Error(), "--force") || !strings.Contains(out, "DROP TABLE") || !strings.Contains(out, `table "users" holds 1 rows`) {
			t.Fatalf("down over a table with a row: %v\n%s", err, out)
		}
		out, err = runCmd(t, url, "migrate", "status")
		if code, _ := exitCode(err); code != 3 || !strings.Contains(out, strconv.Itoa(len(files)-1)+" applied, 1 pending") {
			t.Fatalf("status after a refused down: %v\n%s", err, out)
		}
	})
}

// TestMigrateLintCLI: lint passes on the embedded directory and fails
// (exit 1) on a directory with a dropped column, naming file and code.
func TestMigrateLintCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: replays both directories through Atlas's analyzers (make migrate-lint); make test runs it")
	}
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		url := testdb.URL(t, dia)
		out, err := runCmd(t, url, "migrate", "lint")
		if err != nil || !strings.Contains(out, "0 errors") {
			t.Fatalf("lint of our directory: %v\n%s", err, out)
		}
		if _, err := runCmd(t, url, "migrate", "up"); err != nil {
			t.Fatal(err)
		}
		if out, err := runCmd(t, url, "migrate", "lint", "--pending"); err != nil || !strings.Contains(out, "0 findings") {
			t.Fatalf("lint --pending with nothing pending: %v\n%s", err, out)
		}

		// A directory with a bad migration (no down file either).
		bad := t.TempDir()
		src := "../../migrations/sqlite"
		if dia == dialect.Postgres {
			src = "../../migrations/postgres"
		}
		copyTree(t, src, bad)
		write(t, filepath.Join(bad, "99990101000000_drop_name.sql"), "ALTER TABLE users DROP COLUMN name;\n")
		local, err := atlasmigrate.NewLocalDir(bad)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := local.Checksum()
		if err != nil {
			t.Fatal(err)
		}
		if err := atlasmigrate.WriteSumFile(local, sum); err != nil {
			t.Fatal(err)
		}
		out, err = runCmd(t, url, "migrate", "lint", "--dir", bad)
		code, _ := exitCode(err)
		if code != 1 || !strings.Contains(out, "99990101000000_drop_name.sql:1: error: destructive [DS103]") || !strings.Contains(out, "has no down file") {
			t.Fatalf("lint of a bad directory: exit %d %v\n%s", code, err, out)
		}
		out, err = runCmd(t, url, "migrate", "lint", "--dir", bad, "--pending")
		if err == nil || strings.Contains(out, "_init.sql") || !strings.Contains(out, "DS103") {
			t.Fatalf("lint --pending of a bad directory: %v\n%s", err, out)
		}
	})
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		write(t, filepath.Join(dst, rel), string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
