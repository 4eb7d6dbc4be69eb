package migrate_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	atlasmigrate "ariga.io/atlas/sql/migrate"

	"shop/internal/migrate"
	"shop/internal/testdb"
)

func TestUp(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		db := testdb.Open(t, testdb.URL(t, dia))
		dir, err := migrate.Dir(dia)
		if err != nil {
			t.Fatal(err)
		}
		files, err := dir.Files()
		if err != nil {
			t.Fatal(err)
		}

		st, err := migrate.GetStatus(ctx, db.SQL, dia, dir)
		if err != nil {
			t.Fatalf("status before: %v", err)
		}
		if len(st.Applied) != 0 || len(st.Pending) != len(files) {
			t.Fatalf("before up: applied %d pending %d, want 0 and %d", len(st.Applied), len(st.Pending), len(files))
		}

		applied, err := migrate.Up(ctx, db.SQL, dia, dir)
		if err != nil {
			t.Fatalf("up: %v", err)
		}
		if len(applied) != len(files) {
			t.Fatalf("up applied %v, want %d files", applied, len(files))
		}

		t.Run("SecondUpIsNoop", func(t *testing.T) {
			again, err := migrate.Up(ctx, db.SQL, dia, dir)
			if err != nil {
				t.Fatalf("second up: %v", err)
			}
			if len(again) != 0 {
				t.Fatalf("second up applied %v, want nothing", again)
			}
		})

		t.Run("Status", func(t *testing.T) {
			st, err := migrate.GetStatus(ctx, db.SQL, dia, dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Pending) != 0 || len(st.Applied) != len(files) {
				t.Fatalf("after up: applied %d pending %v", len(st.Applied), st.Pending)
			}
			if st.Applied[0].Version != files[0].Version() {
				t.Fatalf("first applied %q, want %q", st.Applied[0].Version, files[0].Version())
			}
		})

		t.Run("TablesExist", func(t *testing.T) {
			for _, table := range []string{"users", "categories", "products", "cart_items", "orders", "order_items", "inventory_movements", "audit_logs", "idempotency_keys"} {
				if _, err := db.SQL.ExecContext(ctx, "SELECT count(*) FROM "+table); err != nil {
					t.Errorf("table %s: %v", table, err)
				}
			}
		})

		t.Run("TamperedFileRefused", func(t *testing.T) {
			tampered := &atlasmigrate.MemDir{}
			for _, f := range files {
				b := f.Bytes()
				if f.Version() == files[0].Version() {
					b = append(append([]byte{}, b...), []byte("\n-- tampered\n")...)
				}
				if err := tampered.WriteFile(f.Name(), b); err != nil {
					t.Fatal(err)
				}
			}
			sum, err := dir.Checksum()
			if err != nil {
				t.Fatal(err)
			}
			if err := atlasmigrate.WriteSumFile(tampered, sum); err != nil {
				t.Fatal(err)
			}
			_, err = migrate.Up(ctx, db.SQL, dia, tampered)
			if !errors.Is(err, atlasmigrate.ErrChecksumMismatch) {
				t.Fatalf("up with a tampered file: %v, want checksum mismatch", err)
			}
			// Re-hashing the tampered directory doesn't help: the applied
			// revision remembers the hash of what ran.
			resummed, err := atlasmigrate.NewHashFile(mustFiles(t, tampered))
			if err != nil {
				t.Fatal(err)
			}
			if err := atlasmigrate.WriteSumFile(tampered, resummed); err != nil {
				t.Fatal(err)
			}
			_, err = migrate.Up(ctx, db.SQL, dia, tampered)
			if err == nil || !strings.Contains(err.Error(), "changed after it was applied") {
				t.Fatalf("up with a re-hashed tampered file: %v, want refusal", err)
			}
		})
	})
}

func TestUp_Concurrent(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		url := testdb.URL(t, dia)
		dir, err := migrate.Dir(dia)
		if err != nil {
			t.Fatal(err)
		}
		files, _ := dir.Files()
		const replicas = 4
		var wg sync.WaitGroup
		results := make([][]string, replicas)
		errs := make([]error, replicas)
		for i := range replicas {
			db := testdb.Open(t, url) // one pool per replica
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = migrate.Up(ctx, db.SQL, dia, dir)
			}()
		}
		wg.Wait()
		total := 0
		for i := range replicas {
			if errs[i] != nil {
				t.Fatalf("replica %d: %v", i, errs[i])
			}
			total += len(results[i])
		}
		if total != len(files) {
			t.Fatalf("replicas applied %d migrations in all, want each of the %d once", total, len(files))
		}
	})
}

// TestInSync proves each migration directory describes the Ent schema: a
// fresh diff against it plans nothing.
func TestInSync(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		dev := testdb.Open(t, testdb.URL(t, dia))
		dir, err := migrate.Dir(dia)
		if err != nil {
			t.Fatal(err)
		}
		err = migrate.Diff(context.Background(), dev.SQL, dia, dir, "check")
		if !errors.Is(err, migrate.ErrNoChanges) {
			t.Fatalf("diff: %v; the schema changed without a migration: run make migrate-diff name=...", err)
		}
	})
}

func mustFiles(t *testing.T, d atlasmigrate.Dir) []atlasmigrate.File {
	t.Helper()
	fs, err := d.Files()
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestUp_FailingFileChangesNothing: the pending files run in one
// transaction, so a broken one leaves the database as it was.
func TestUp_FailingFileChangesNothing(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		db := testdb.Open(t, testdb.URL(t, dia))
		dir, err := migrate.Dir(dia)
		if err != nil {
			t.Fatal(err)
		}
		broken := &atlasmigrate.MemDir{}
		files := mustFiles(t, dir)
		for _, f := range files {
			if err := broken.WriteFile(f.Name(), f.Bytes()); err != nil {
				t.Fatal(err)
			}
		}
		if err := broken.WriteFile("99990101000000_broken.sql", []byte("CREATE TABLE users (id integer);\n")); err != nil {
			t.Fatal(err)
		}
		sum, err := atlasmigrate.NewHashFile(mustFiles(t, broken))
		if err != nil {
			t.Fatal(err)
		}
		if err := atlasmigrate.WriteSumFile(broken, sum); err != nil {
			t.Fatal(err)
		}
		if _, err := migrate.Up(ctx, db.SQL, dia, broken); err == nil {
			t.Fatal("a broken migration applied")
		}
		st, err := migrate.GetStatus(ctx, db.SQL, dia, dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Applied) != 0 || len(st.Pending) != len(files) {
			t.Fatalf("after a failed up: %d applied, %d pending; want 0 and %d", len(st.Applied), len(st.Pending), len(files))
		}
		if _, err := db.SQL.ExecContext(ctx, "SELECT count(*) FROM orders"); err == nil {
			t.Fatal("the tables of the earlier files stayed behind")
		}
	})
}
