//go:build ignore

// entc.go generates ./ent from ./schema, with the entgql extension that
// writes the admin GraphQL schema. Run it through `make generate`.
package main

import (
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("modules/admin/graph/ent.graphql"),
		entgql.WithWhereInputs(true),
		entgql.WithConfigPath("gqlgen.yml"),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./schema", &gen.Config{
		Target:  "./ent",
		Package: "shop/ent",
		Features: []gen.Feature{
			gen.FeatureLock,
			gen.FeatureUpsert,
			gen.FeatureVersionedMigration,
			gen.FeatureIntercept,
			gen.FeatureExecQuery,
			gen.FeatureModifier,
		},
	}, entc.Extensions(ex), entc.TemplateFiles("schema/template/sqltx.tmpl"))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}
