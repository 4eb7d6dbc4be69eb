package migrate_test

import (
	"context"
	"strings"
	"testing"

	"shop/internal/migrate"
	"shop/internal/testdb"
	"shop/modules/inventory/stock"
)

// TestVariantsMigration: a database holding round-2 data (products, one of
// them deleted, carts, a pending and a cancelled order, movements of every
// kind) migrated by *_variants.sql: every product becomes a one-variant
// product holding its stock, every movement, cart line and order line
// points at that variant, the reconciliation finds no discrepancy, and the
// down file gives the old schema back with the stock intact.
func TestVariantsMigration(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		db := testdb.Open(t, testdb.URL(t, dia))
		dir, err := migrate.Dir(dia)
		if err != nil {
			t.Fatal(err)
		}
		files := mustFiles(t, dir)
		before := ""
		for i, f := range files {
			if strings.HasSuffix(f.Name(), "_variants.sql") {
				before = files[i-1].Version()
			}
		}
		if before == "" {
			t.Fatal("no *_variants.sql migration")
		}
		if _, err := migrate.Apply(ctx, db.SQL, dia, dir, migrate.UpOptions{To: before}); err != nil {
			t.Fatal(err)
		}
		const at = "'2026-11-30 10:00:00'"
		for _, q := range []string{
			`INSERT INTO users (id, created_at, updated_at, email, password_hash, name, role) VALUES (1, ` + at + `, ` + at + `, 'ann@example.com', 'x', 'Ann', 'customer'), (2, ` + at + `, ` + at + `, 'bob@example.com', 'x', 'Bob', 'customer')`,
			`INSERT INTO categories (id, created_at, updated_at, name, slug) VALUES (1, ` + at + `, ` + at + `, 'Tools', 'tools')`,
			// Hammer: 10 initial, 2 sold (pending order 1), 3 sold and given
			// back (cancelled order 2), 1 damaged: 7. Saw: 5, 1 sold: 4.
			// Gone (deleted): 2.
			`INSERT INTO products (id, created_at, updated_at, deleted_at, name, description, price, stock, is_active, version, category_id) VALUES
			  (1, ` + at + `, ` + at + `, NULL, 'Hammer', '', 100, 7, true, 1, 1),
			  (2, ` + at + `, ` + at + `, NULL, 'Saw', '', 300, 4, true, 1, 1),
			  (3, ` + at + `, ` + at + `, ` + at + `, 'Gone', '', 50, 2, true, 2, 1)`,
			`INSERT INTO orders (id, created_at, updated_at, status, total_amount, currency, user_id) VALUES
			  (1, ` + at + `, ` + at + `, 'pending', 500, 'USD', 1),
			  (2, ` + at + `, ` + at + `, 'cancelled', 300, 'USD', 2)`,
			`INSERT INTO order_items (id, created_at, product_name, unit_price, quantity, order_id, product_id) VALUES
			  (1, ` + at + `, 'Hammer', 100, 2, 1, 1), (2, ` + at + `, 'Saw', 300, 1, 1, 2), (3, ` + at + `, 'Hammer', 100, 3, 2, 1)`,
			`INSERT INTO inventory_movements (id, created_at, quantity_change, reason, order_id, product_id, actor_id) VALUES
			  (1, ` + at + `, 10, 'initial', NULL, 1, NULL), (2, ` + at + `, 5, 'initial', NULL, 2, NULL), (3, ` + at + `, 2, 'initial', NULL, 3, NULL),
			  (4, ` + at + `, -2, 'sale', 1, 1, NULL), (5, ` + at + `, -1, 'sale', 1, 2, NULL),
			  (6, ` + at + `, -3, 'sale', 2, 1, NULL), (7, ` + at + `, 3, 'cancellation', 2, 1, NULL), (8, ` + at + `, -1, 'damage', NULL, 1, 1)`,
			`INSERT INTO cart_items (id, created_at, updated_at, quantity, product_id, user_id) VALUES
			  (1, ` + at + `, ` + at + `, 1, 1, 1), (2, ` + at + `, ` + at + `, 2, 1, 2), (3, ` + at + `, ` + at + `, 1, 2, 2)`,
		} {
			if _, err := db.SQL.ExecContext(ctx, q); err != nil {
				t.Fatalf("round-2 data: %v\n%s", err, q)
			}
		}

		if _, err := migrate.Apply(ctx, db.SQL, dia, dir, migrate.UpOptions{}); err != nil {
			t.Fatalf("up: %v", err)
		}
		rec, err := stock.Reconcile(ctx, db.Client)
		if err != nil {
			t.Fatal(err)
		}
		if rec.ProductsChecked != 3 || rec.VariantsChecked != 3 || len(rec.Discrepancies) != 0 {
			t.Fatalf("reconciliation after the migration = %+v", rec)
		}
		one := func(q string) int {
			t.Helper()
			var n int
			if err := db.SQL.QueryRowContext(ctx, q).Scan(&n); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return n
		}
		// One live variant per product, with its stock, options {} (key []).
		if n := one(`SELECT COUNT(*) FROM variants v JOIN products p ON p.id = v.product_id
			WHERE v.stock = p.stock AND v.deleted_at IS NULL AND v.options_key = '[]' AND v.sku IS NULL AND v.price IS NULL AND v.is_active`); n != 3 {
			t.Fatalf("%d products have their one variant with their stock, want 3", n)
		}
		for _, table := range []string{"inventory_movements", "cart_items", "order_items"} {
			if n := one(`SELECT COUNT(*) FROM ` + table + ` t JOIN variants v ON v.id = t.variant_id WHERE v.product_id = t.product_id`); n != one(`SELECT COUNT(*) FROM `+table) {
				t.Fatalf("%s: %d of %d rows point at their product's variant", table, n, one(`SELECT COUNT(*) FROM `+table))
			}
		}
		// History and totals unchanged.
		if n := one(`SELECT SUM(unit_price * quantity) FROM order_items WHERE order_id = 1`); n != 500 {
			t.Fatalf("order 1 lines sum to %d, want 500", n)
		}
		if n := one(`SELECT SUM(quantity_change) FROM inventory_movements`); n != 13 {
			t.Fatalf("ledger sum %d, want 13", n)
		}
		// The trigger keeps the product's stock the sum of its live variants'.
		if _, err := db.SQL.ExecContext(ctx, `UPDATE variants SET stock = stock + 5 WHERE product_id = 2`); err != nil {
			t.Fatal(err)
		}
		if n := one(`SELECT stock FROM products WHERE id = 2`); n != 9 {
			t.Fatalf("product stock %d after its variant moved to 9", n)
		}
		if _, err := db.SQL.ExecContext(ctx, `UPDATE variants SET stock = stock - 5 WHERE product_id = 2`); err != nil {
			t.Fatal(err)
		}

		// Down: the previous schema, stock intact, one cart line per (user, product).
		downs := mustDowns(t, dia)
		if _, err := migrate.Down(ctx, db.SQL, dia, dir, downs, migrate.DownOptions{To: before, Force: true}); err != nil {
			t.Fatalf("down: %v", err)
		}
		if n := one(`SELECT SUM(stock) FROM products`); n != 13 {
			t.Fatalf("product stock sums to %d after down, want 13", n)
		}
		if n := one(`SELECT COUNT(*) FROM cart_items`); n != 3 {
			t.Fatalf("%d cart lines after down, want 3", n)
		}
	})
}
