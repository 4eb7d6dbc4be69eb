package schema_test

import (
	"context"
	"testing"
	"time"

	"shop/ent/auditlog"
	"shop/internal/testdb"
	"shop/schema"
)

// TestAudit_ClearedFields: every clearable field of an audited entity logs
// the value it had when cleared (api key revoked_at, product deleted_at),
// and a clear of what is already null writes no row.
func TestAudit_ClearedFields(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		f := newFixture(t, dia, 5)
		latest := func(entity string, id int) map[string]any {
			t.Helper()
			a := f.c.AuditLog.Query().Where(auditlog.Entity(entity), auditlog.EntityID(id)).
				Order(auditlog.ByID()).AllX(ctx)
			return a[len(a)-1].Changes
		}
		count := func(entity string, id int) int {
			return f.c.AuditLog.Query().Where(auditlog.Entity(entity), auditlog.EntityID(id)).CountX(ctx)
		}

		revoked := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		k := f.c.APIKey.Create().SetName("ci").SetPrefix("shp_abc").SetKeyHash("h").SetRevokedAt(revoked).SaveX(ctx)
		f.c.APIKey.UpdateOneID(k.ID).ClearRevokedAt().ExecX(ctx)
		got, _ := latest("api_key", k.ID)["revoked_at"].(map[string]any)
		if got == nil || got["old"] != revoked.Format(time.RFC3339Nano) || got["new"] != nil {
			t.Fatalf("api key revoked_at clear audited as %v, want old %s", got, revoked.Format(time.RFC3339Nano))
		}
		n := count("api_key", k.ID)
		f.c.APIKey.UpdateOneID(k.ID).ClearRevokedAt().ExecX(ctx)
		if m := count("api_key", k.ID); m != n {
			t.Fatalf("clearing a null revoked_at wrote %d audit rows: %v", m-n, latest("api_key", k.ID))
		}

		f.c.Product.DeleteOneID(f.product.ID).ExecX(ctx)
		p := f.c.Product.GetX(schema.SkipSoftDelete(ctx), f.product.ID)
		f.c.Product.UpdateOneID(p.ID).ClearDeletedAt().ExecX(schema.SkipSoftDelete(ctx))
		got, _ = latest("product", p.ID)["deleted_at"].(map[string]any)
		if got == nil || got["old"] != p.DeletedAt.UTC().Format(time.RFC3339Nano) || got["new"] != nil {
			t.Fatalf("product deleted_at clear audited as %v, want old %v", got, p.DeletedAt)
		}
	})
}
