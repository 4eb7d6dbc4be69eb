package database_test

import (
	"context"
	"testing"

	"entgo.io/ent/dialect"

	"shop/ent/product"
	"shop/internal/database"
	"shop/internal/testdb"
)

// TestCustomPlan checks that a query run with database.CustomPlan is not
// prepared (pgx's unnamed statement: planned for its arguments every time)
// while the same query without it is prepared and cached, as every other
// statement is.
func TestCustomPlan(t *testing.T) {
	db := testdb.New(t, dialect.Postgres)
	db.SQL.SetMaxOpenConns(1) // one connection: pg_prepared_statements is per session
	ctx := context.Background()
	prepared := func() int {
		var n int
		if err := db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%ILIKE%' AND statement NOT LIKE '%pg_prepared_statements%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	search := func(ctx context.Context) {
		if _, err := db.Client.Product.Query().Where(product.NameContainsFold("zzzz")).All(ctx); err != nil {
			t.Fatal(err)
		}
	}
	search(database.CustomPlan(ctx))
	if n := prepared(); n != 0 {
		t.Fatalf("%d prepared search statements after a CustomPlan query, want 0", n)
	}
	search(ctx)
	if n := prepared(); n != 1 {
		t.Fatalf("%d prepared search statements after a plain query, want 1", n)
	}
}
