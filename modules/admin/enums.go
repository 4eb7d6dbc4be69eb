package admin

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// exactEnums refuses an enum variable whose value is not one of the enum's
// names exactly. gqlparser compares variables' enum values case-blind
// ("restock" passes for RESTOCK), while gqlgen's bindings of our UPPER_CASE
// values to Ent's constants (entc.go, admin.graphql) are case-exact, so a
// lowercase variable would reach a resolver as the empty value. Literals
// in the query text are checked exactly by the validator already.
type exactEnums struct{ schema *ast.Schema }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*exactEnums)(nil)

func (*exactEnums) ExtensionName() string { return "ShopExactEnums" }

// Validate keeps the schema (gqlgen calls it once, from Use).
func (e *exactEnums) Validate(es graphql.ExecutableSchema) error {
	e.schema = es.Schema()
	return nil
}

func (e *exactEnums) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	for _, def := range oc.Operation.VariableDefinitions {
		if err := checkEnums(e.schema, def.Type, oc.Variables[def.Variable], ast.Path{ast.PathName("variable"), ast.PathName(def.Variable)}); err != nil {
			return err
		}
	}
	return nil
}

// checkEnums walks value as typ (lists and input objects included).
func checkEnums(schema *ast.Schema, typ *ast.Type, value any, path ast.Path) *gqlerror.Error {
	if value == nil || typ == nil || schema == nil {
		return nil
	}
	if typ.Elem != nil {
		if list, ok := value.([]any); ok {
			for i, v := range list {
				if err := checkEnums(schema, typ.Elem, v, append(path, ast.PathIndex(i))); err != nil {
					return err
				}
			}
			return nil
		}
		return checkEnums(schema, typ.Elem, value, path) // a single value for a list
	}
	def := schema.Types[typ.NamedType]
	if def == nil {
		return nil
	}
	switch def.Kind {
	case ast.Enum:
		s := fmt.Sprint(value)
		if def.EnumValues.ForName(s) == nil {
			return &gqlerror.Error{Message: fmt.Sprintf("%s is not a valid %s (enum values are UPPER_CASE)", s, def.Name), Path: path,
				Extensions: map[string]any{"code": errcode.ValidationFailed}}
		}
	case ast.InputObject:
		obj, ok := value.(map[string]any)
		if !ok {
			return nil
		}
		for _, f := range def.Fields {
			if err := checkEnums(schema, f.Type, obj[f.Name], append(path, ast.PathName(f.Name))); err != nil {
				return err
			}
		}
	}
	return nil
}
