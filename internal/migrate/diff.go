package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	entdialect "entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"

	"shop/ent"
)

// ErrNoChanges is returned by Diff when the migration directory already
// describes the Ent schema exactly.
var ErrNoChanges = errors.New("migrations are in sync with the schema")

// Diff writes into dir a new migration file named name with the statements
// that take a database at dir's latest state to the Ent schema. dev is an
// empty scratch database of the dialect, on which dir is replayed first.
func Diff(ctx context.Context, dev *sql.DB, dialect string, dir atlasmigrate.Dir, name string) error {
	if dialect == entdialect.Postgres {
		// The schema's trigram indexes need pg_trgm on the dev database; the
		// migration that adds them creates it on real ones.
		if _, err := dev.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pg_trgm"); err != nil {
			return fmt.Errorf("dev database: %w", err)
		}
	}
	client := ent.NewClient(ent.Driver(entsql.OpenDB(dialect, dev)))
	err := client.Schema.NamedDiff(ctx, name,
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dialect),
		schema.WithFormatter(atlasmigrate.DefaultFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
		schema.WithErrNoPlan(true),
	)
	if errors.Is(err, atlasmigrate.ErrNoPlan) {
		return ErrNoChanges
	}
	if err != nil {
		return fmt.Errorf("diff %s migrations: %w", dialect, err)
	}
	return nil
}
