package admin

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"shop/internal/apperr"
)

// restAlias is the GraphQL argument or input field of a REST name (a
// service input's JSON name) that is not its camelCase, or "": REST's
// stock on create is GraphQL's initialStock.
func restAlias(name string) string {
	switch name {
	case "stock":
		return "initialStock"
	}
	return ""
}

// graphQLFields renames the fields of a validation_failed error to the
// names a GraphQL client sent: the arguments and input fields of the
// field being resolved, camelCase as in the schema, not the REST names
// the module services validate with (catalog, inventory, pricing inputs'
// Validate). It is the one place GraphQL errors get their field names:
//   - a field with no name is a value a scalar refused while gqlgen read
//     the arguments (gqlscalar): it takes the argument or input field
//     from the error's path (adjustStock.quantityChange → quantityChange);
//   - a REST name (quantity_change, category_id, stock) becomes the
//     field's argument or input field of that name in camelCase
//     (quantityChange, categoryID), or its alias (initialStock);
//   - a name the field's arguments already have stays.
//
// A name that matches nothing stays as it is; TestGraphQL_ErrorFieldNames
// walks every mutation so none does.
func graphQLFields(ctx context.Context, schema *ast.Schema, path ast.Path, fields []apperr.FieldError) []apperr.FieldError {
	names := argumentNames(ctx, schema)
	out := make([]apperr.FieldError, len(fields))
	for i, f := range fields {
		out[i] = f
		if f.Field == "" {
			out[i].Field = lastName(path)
			continue
		}
		out[i].Field = graphQLPath(f.Field, names)
	}
	return out
}

// graphQLPath renames each name of a REST field path (variants[0].stock)
// to its GraphQL name among names (variants[0].initialStock); an options
// key (options.Size) is the client's data and stays as sent.
func graphQLPath(field string, names map[string]bool) string {
	segs := strings.Split(field, ".")
	for i, seg := range segs {
		if i > 0 && strings.HasPrefix(segs[i-1], "options") {
			continue
		}
		name, index, indexed := strings.Cut(seg, "[")
		if g := graphQLName(name, names); g != "" {
			segs[i] = g
			if indexed {
				segs[i] += "[" + index
			}
		}
	}
	return strings.Join(segs, ".")
}

// graphQLName is the argument or input field among names that the REST
// name rest stands for, or "".
func graphQLName(rest string, names map[string]bool) string {
	if names[rest] {
		return rest
	}
	if a := restAlias(rest); a != "" && names[a] {
		return a
	}
	if c := camel(rest); names[c] {
		return c
	}
	return ""
}

// camel is entgql's field naming: quantity_change → quantityChange,
// category_id → categoryID.
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i, p := range parts {
		switch {
		case i == 0:
		case p == "id":
			parts[i] = "ID"
		case p != "":
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// argumentNames are the arguments of the field being resolved and the
// fields of its input object arguments, nested ones included
// (createProduct's variants are NewVariantInputs).
func argumentNames(ctx context.Context, schema *ast.Schema) map[string]bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return nil
	}
	names := map[string]bool{}
	seen := map[string]bool{}
	var inputFields func(typ string)
	inputFields = func(typ string) {
		def := schema.Types[typ]
		if def == nil || def.Kind != ast.InputObject || seen[typ] {
			return
		}
		seen[typ] = true
		for _, f := range def.Fields {
			names[f.Name] = true
			inputFields(f.Type.Name())
		}
	}
	for _, arg := range fc.Field.Definition.Arguments {
		names[arg.Name] = true
		if schema != nil {
			inputFields(arg.Type.Name())
		}
	}
	return names
}

// lastName is the last field name of path (an argument or input field).
func lastName(path ast.Path) string {
	for i := len(path) - 1; i >= 0; i-- {
		if n, ok := path[i].(ast.PathName); ok {
			return string(n)
		}
	}
	return ""
}
