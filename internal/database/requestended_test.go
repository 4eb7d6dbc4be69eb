package database_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"shop/ent"
	"shop/internal/database"
	"shop/internal/testdb"
)

// TestRunner_RequestEnded: a transaction whose request ended (the client
// went away) before COMMIT is rolled back, and its error says so: it
// carries context.Canceled and does not read as an unreachable database
// (which the server would log as an outage).
func TestRunner_RequestEnded(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		db := testdb.New(t, dia)
		ctx, cancel := context.WithCancel(context.Background())
		err := testdb.Runner(t, db.Client).Tx(ctx, func(ctx context.Context, tx *ent.Tx) error {
			if _, err := tx.Client().Category.Create().SetName("Gone").SetSlug("gone").Save(ctx); err != nil {
				return err
			}
			cancel()
			time.Sleep(50 * time.Millisecond) // database/sql rolls back on its own
			return nil
		})
		if !errors.Is(err, context.Canceled) || database.Unreachable(err) {
			t.Fatalf("Tx = %v (unreachable %v), want context.Canceled, not unreachable", err, database.Unreachable(err))
		}
		if n := db.Client.Category.Query().CountX(context.Background()); n != 0 {
			t.Fatalf("%d categories after a transaction whose request ended, want 0", n)
		}
	})
}
