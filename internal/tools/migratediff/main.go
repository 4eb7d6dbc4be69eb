// Command migratediff writes the next versioned migration for each dialect
// from the Ent schema (make migrate-diff name=...), without the atlas CLI.
// With -check it writes nothing and fails if a migration would be written.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

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
	if *name == "" && !*check {
		return errors.New("-name is required")
	}
	if *check {
		*name = "check"
	}
	for _, dia := range []string{dialect.Postgres, dialect.SQLite} {
		if err := diffDialect(ctx, dia, filepath.Join(*root, dirName(dia)), *name, *check); err != nil {
			return err
		}
	}
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
	var dir atlasmigrate.Dir
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
	default:
		fmt.Printf("%s: wrote migration %q\n", path, name)
		return nil
	}
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
