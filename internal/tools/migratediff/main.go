// Command migratediff writes the next versioned migration for each dialect
// from the Ent schema (make migrate-diff name=...), without the atlas CLI,
// and next to it (in down/) the down file that reverts it.
// With -check it writes nothing and fails if a migration would be written
// or an up file has no down file. With -down VERSION it (re)writes the down
// file of an existing migration (one Atlas's inspection can see: tables,
// columns, indexes, constraints; triggers and functions need a hand-written
// down file).
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"

	"shop/internal/database"
	"shop/internal/migrate"
	"shop/internal/testdb"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "migratediff:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	name := flag.String("name", "", "name of the new migration (required unless -check)")
	root := flag.String("dir", "migrations", "the migrations directory")
	check := flag.Bool("check", false, "fail if the schema has changes without a migration; write nothing")
	down := flag.String("down", "", "write the down file of the existing migration VERSION in each directory that has it")
	rehash := flag.Bool("rehash", false, "recompute atlas.sum of each directory (after adding a statement by hand to a migration that no database has applied yet)")
	flag.Parse()
	if *rehash {
		for _, d := range []string{"postgres", "sqlite"} {
			dir, err := atlasmigrate.NewLocalDir(filepath.Join(*root, d))
			if err != nil {
				return err
			}
			sum, err := dir.Checksum()
			if err != nil {
				return err
			}
			if err := atlasmigrate.WriteSumFile(dir, sum); err != nil {
				return err
			}
		}
		return nil
	}
	if *down != "" {
		for _, dia := range []string{dialect.Postgres, dialect.SQLite} {
			if err := writeDown(ctx, dia, filepath.Join(*root, dirName(dia)), *down, true); err != nil {
				return err
			}
		}
		return nil
	}
	if *name == "" && !*check {
		return errors.New("-name is required")
	}
	if *check {
		*name = "check"
	}
	var failed []string
	for _, dia := range []string{dialect.Postgres, dialect.SQLite} {
		path := filepath.Join(*root, dirName(dia))
		if err := diffDialect(ctx, dia, path, *name, *check); err != nil {
			return err
		}
		if err := checkDowns(path); err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", path, err))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s\n(every migration needs a down file: make migrate-diff writes one for the files it writes; write one by hand for a hand-written migration, see docs/operations.md)", strings.Join(failed, "\n"))
	}
	return nil
}

// checkDowns fails when an up file of the directory has no down file.
func checkDowns(path string) error {
	dir, err := atlasmigrate.NewLocalDir(path)
	if err != nil {
		return err
	}
	downs, err := migrate.ReadDownFiles(os.DirFS(path), migrate.DownDir)
	if err != nil {
		return err
	}
	return migrate.CheckDownFiles(dir, downs)
}

// writeDown writes the down file of version into the down/ directory of
// path. With existing, a directory without that version is skipped.
func writeDown(ctx context.Context, dia, path, version string, existing bool) error {
	dir, err := atlasmigrate.NewLocalDir(path)
	if err != nil {
		return err
	}
	files, err := dir.Files()
	if err != nil {
		return err
	}
	idx := slices.IndexFunc(files, func(f atlasmigrate.File) bool { return f.Version() == version })
	if idx < 0 {
		if existing {
			fmt.Printf("%s: no migration %s\n", path, version)
			return nil
		}
		return fmt.Errorf("%s: no migration %s", path, version)
	}
	dev, cleanup, err := devDatabase(ctx, dia)
	if err != nil {
		return err
	}
	defer cleanup()
	b, err := migrate.DownFile(ctx, dev, dia, dir, version)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(path, migrate.DownDir), 0o755); err != nil {
		return err
	}
	out := filepath.Join(path, migrate.DownDir, migrate.DownFileName(files[idx].Name()))
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: wrote down file %s\n", path, out)
	return nil
}

func dirName(dia string) string {
	if dia == dialect.Postgres {
		return "postgres"
	}
	return "sqlite"
}

func diffDialect(ctx context.Context, dia, path, name string, check bool) error {
	dev, cleanup, err := devDatabase(ctx, dia)
	if err != nil {
		return err
	}
	defer cleanup()
	var (
		dir    atlasmigrate.Dir
		before []atlasmigrate.File
	)
	if check {
		mem := &atlasmigrate.MemDir{}
		local, err := atlasmigrate.NewLocalDir(path)
		if err != nil {
			return err
		}
		files, err := local.Files()
		if err != nil {
			return err
		}
		if err := mem.CopyFiles(files); err != nil {
			return err
		}
		sum, err := local.Checksum()
		if err == nil {
			err = atlasmigrate.WriteSumFile(mem, sum)
		}
		if err != nil && !errors.Is(err, atlasmigrate.ErrChecksumNotFound) {
			return err
		}
		dir = mem
	} else {
		if err := os.MkdirAll(path, 0o755); err != nil {
			return err
		}
		if dir, err = atlasmigrate.NewLocalDir(path); err != nil {
			return err
		}
		if before, err = dir.Files(); err != nil {
			return err
		}
	}
	err = migrate.Diff(ctx, dev, dia, dir, name)
	switch {
	case errors.Is(err, migrate.ErrNoChanges):
		fmt.Printf("%s: no changes\n", path)
		return nil
	case err != nil:
		return err
	case check:
		return fmt.Errorf("%s: the schema has changes without a migration; run make migrate-diff name=NAME", path)
	}
	fmt.Printf("%s: wrote migration %q\n", path, name)
	after, err := dir.Files()
	if err != nil {
		return err
	}
	for _, f := range after {
		if !slices.ContainsFunc(before, func(b atlasmigrate.File) bool { return b.Name() == f.Name() }) {
			return writeDown(ctx, dia, path, f.Version(), false)
		}
	}
	return nil
}

// devDatabase opens an empty scratch database of the dialect.
func devDatabase(ctx context.Context, dia string) (*sql.DB, func(), error) {
	if dia == dialect.SQLite {
		db, err := sql.Open("sqlite", "file:dev?mode=memory&_pragma=foreign_keys(1)")
		if err != nil {
			return nil, nil, err
		}
		db.SetMaxOpenConns(1)
		return db, func() { db.Close() }, nil
	}
	url, drop, err := testdb.CreatePostgres(ctx, "shop_dev")
	if err != nil {
		return nil, nil, err
	}
	db, err := database.Open(url, database.Options{MaxOpenConns: 2})
	if err != nil {
		drop()
		return nil, nil, err
	}
	return db.SQL, func() { db.Close(); drop() }, nil
}
