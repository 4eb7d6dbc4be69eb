//go:build ignore

// entc.go generates ./ent from ./schema, with the entgql extension that
// writes the admin GraphQL schema. Run it through `make generate`.
package main

import (
	"fmt"
	"log"
	"slices"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("modules/admin/graph/ent.graphql"),
		entgql.WithWhereInputs(true),
		entgql.WithConfigPath("gqlgen.yml"),
		entgql.WithSchemaHook(upperCaseEnums, specifiedBy, withoutNodeLookup),
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

// upperCaseEnums renames the values of every GraphQL enum entgql makes from
// an Ent enum field to UPPER_CASE (GraphQL's convention; API.md), and binds
// each to its Ent constant with gqlgen's @goEnum, so GraphQL reads and
// writes PENDING while the database, Go and REST keep "pending".
func upperCaseEnums(g *gen.Graph, s *ast.Schema) error {
	if s.Directives["goEnum"] == nil {
		s.Directives["goEnum"] = &ast.DirectiveDefinition{
			Name:      "goEnum",
			Arguments: ast.ArgumentDefinitionList{{Name: "value", Type: ast.NamedType("String", nil)}},
			Locations: []ast.DirectiveLocation{ast.LocationEnumValue},
		}
	}
	for _, node := range g.Nodes {
		for _, f := range node.Fields {
			if !f.IsEnum() || f.HasGoType() {
				continue
			}
			name := node.Name + f.StructField() // entgql's name: OrderStatus
			def := s.Types[name]
			if def == nil || def.Kind != ast.Enum {
				return fmt.Errorf("upperCaseEnums: no GraphQL enum %s for %s.%s", name, node.Name, f.Name)
			}
			pkg := g.Config.Package + "/" + node.PackageDir()
			for _, v := range def.EnumValues {
				var konst string
				for _, e := range f.Enums {
					if e.Value == v.Name {
						konst = e.Name
					}
				}
				if konst == "" {
					return fmt.Errorf("upperCaseEnums: %s.%s has no constant", name, v.Name)
				}
				v.Name = strings.ToUpper(v.Name)
				v.Directives = append(v.Directives, &ast.Directive{
					Name: "goEnum",
					Arguments: ast.ArgumentList{{Name: "value", Value: &ast.Value{
						Kind: ast.StringValue, Raw: pkg + "." + konst,
					}}},
				})
			}
		}
	}
	return nil
}

// scalarSpecs are the @specifiedBy URLs of the custom scalars entgql
// declares (Int64 is declared in admin.graphql with its own): what a
// client's code generator reads to type them (docs/admin.md, Scalars).
var scalarSpecs = map[string]string{
	"Time":   "https://scalars.graphql.org/andimarek/date-time",
	"Map":    "https://www.rfc-editor.org/rfc/rfc8259#section-4",
	"Cursor": "docs/admin.md#scalars",
}

// specifiedBy puts @specifiedBy(url:) on Time, Map and Cursor.
func specifiedBy(_ *gen.Graph, s *ast.Schema) error {
	for name, url := range scalarSpecs {
		def := s.Types[name]
		if def == nil || def.Kind != ast.Scalar {
			return fmt.Errorf("specifiedBy: no scalar %s", name)
		}
		def.Directives = append(def.Directives, &ast.Directive{
			Name:      "specifiedBy",
			Arguments: ast.ArgumentList{{Name: "url", Value: &ast.Value{Kind: ast.StringValue, Raw: url}}},
		})
	}
	return nil
}

// withoutNodeLookup takes Relay's node(id:) and nodes(ids:) out of the
// schema, with the Node interface: ids are integers per entity (REST's),
// not global, so a bare id names no type and the lookup could never work
// (docs/api-decisions.md). Objects are refetched by their typed
// connection's where: {id: ...}. Connections stay Relay connections.
func withoutNodeLookup(_ *gen.Graph, s *ast.Schema) error {
	q := s.Types["Query"]
	if q == nil {
		return fmt.Errorf("withoutNodeLookup: no Query type")
	}
	fields := q.Fields[:0]
	for _, f := range q.Fields {
		if f.Name != "node" && f.Name != "nodes" {
			fields = append(fields, f)
		}
	}
	q.Fields = fields
	for _, def := range s.Types {
		def.Interfaces = slices.DeleteFunc(def.Interfaces, func(i string) bool { return i == "Node" })
	}
	delete(s.Types, "Node")
	delete(s.PossibleTypes, "Node")
	return nil
}
