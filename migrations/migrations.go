// Package migrations embeds the versioned Atlas migrations, one directory per
// dialect, generated from the Ent schema by `make migrate-diff name=...`.
// Files are never edited once applied: atlas.sum makes a changed file fail.
package migrations

import "embed"

// FS holds postgres/ and sqlite/.
//
//go:embed postgres sqlite
var FS embed.FS
