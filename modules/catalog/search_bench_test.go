package catalog_test

import (
	"context"
	"fmt"
	"testing"

	"entgo.io/ent/dialect"

	"shop/internal/page"
	"shop/internal/testdb"
	"shop/modules/catalog"
)

// BenchmarkProductSearch lists products matching q on PostgreSQL with
// 100,000 products, with the trigram indexes of the migrations and without
// them (dropped), so the index's worth is a ratio measured in one run.
func BenchmarkProductSearch(b *testing.B) {
	for _, indexed := range []bool{true, false} {
		b.Run(fmt.Sprintf("trgm=%v", indexed), func(b *testing.B) {
			ctx := context.Background()
			db := testdb.New(b, dialect.Postgres)
			for _, q := range []string{
				`INSERT INTO categories (name, slug, created_at, updated_at) VALUES ('All', 'all', now(), now())`,
				`INSERT INTO products (category_id, name, description, price, stock, is_active, version, created_at, updated_at)
				 SELECT 1, 'Product ' || md5(i::text), 'Description ' || md5((i * 7)::text) || ' number ' || i, 100 + i % 5000, i % 50, true, 1, now(), now()
				 FROM generate_series(1, 100000) i`,
				`ANALYZE products`,
			} {
				if _, err := db.SQL.ExecContext(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			if !indexed {
				if _, err := db.SQL.ExecContext(ctx, `DROP INDEX product_name_trgm; DROP INDEX product_description_trgm`); err != nil {
					b.Fatal(err)
				}
			}
			svc := &catalog.Service{Dialect: dialect.Postgres}
			sort := catalog.ProductSorts["-created_at"]
			queries := []string{"abc1", "9f3", "number 4242"}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f := catalog.ProductFilter{Query: queries[i%len(queries)]}
				if _, err := svc.ListProducts(ctx, db.Client, f, sort, page.Params{Limit: page.DefaultLimit}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
