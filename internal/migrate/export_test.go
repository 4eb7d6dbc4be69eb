package migrate

import (
	"context"
	"database/sql"

	"ariga.io/atlas/sql/schema"
)

// InspectDB reads db's schema the way Down compares schemas (Atlas's
// inspection, the revision table left out), with the Atlas driver, for
// comparisons in tests.
func InspectDB(ctx context.Context, db *sql.DB, dia string) (*schema.Schema, func(a, b *schema.Schema) ([]schema.Change, error), error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	var (
		s    *schema.Schema
		diff func(a, b *schema.Schema) ([]schema.Change, error)
	)
	err = readTx(ctx, conn, func(tx *sql.Tx) error {
		drv, err := atlasDriver(tx, dia)
		if err != nil {
			return err
		}
		diff = func(a, b *schema.Schema) ([]schema.Change, error) { return drv.SchemaDiff(a, b) }
		s, err = inspect(ctx, drv)
		return err
	})
	return s, diff, err
}
