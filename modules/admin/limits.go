package admin

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"shop/internal/events"
	"shop/modules/admin/gqlscalar"
	"shop/modules/admin/graph"
	"shop/schema"
)

// Limits of one GraphQL operation. Each refusal is a GraphQL error with
// extensions {"code": "limit_exceeded", "limit": <name>, "max", "actual"},
// answered with HTTP 422 before any resolver runs.
const (
	// MaxQueryBytes caps the query text. It is checked before parsing, so
	// the parser and the validator (whose overlapping-fields rule is
	// quadratic) only ever see small documents.
	MaxQueryBytes = 32 << 10
	// MaxSelections caps the fields an operation selects once its fragments
	// are expanded (every spread counts its fragment's fields again), and the
	// fields written in the document. Counted after parsing, before
	// validation, with each fragment counted once (memoised), so a fragment
	// fan-out of any depth is refused in microseconds.
	MaxSelections = 1000
	// MaxDepth caps how deep data fields nest. Fields under __schema and
	// __type don't count: gqlparser's MaxIntrospectionDepth rule bounds
	// those, and the standard introspection query nests 15 levels.
	MaxDepth = 8
	// MaxCost caps the estimated work of an operation (see cost).
	MaxCost = 10000
	// CountCost is the cost of one totalCount: a COUNT query over a table.
	CountCost = 100
	// MaxInputNodes caps the values in one operation's arguments (where
	// filters and the rest, literals and variables alike): every object,
	// object member and list counts (not the scalars inside a list, which
	// MaxInputList bounds). The query text is capped by size,
	// but variables can fill the 1 MiB body, and a filter of thousands of
	// terms is a statement PostgreSQL spends minutes planning and
	// compiling, past any cancellation.
	MaxInputNodes = 500
	// MaxInputDepth caps how deep argument values nest (and/or/not and
	// has...With filters inside each other).
	MaxInputDepth = 8
	// MaxInputList caps one list in an argument (idIn and friends), far
	// below the driver's 65,535 parameters of one statement.
	MaxInputList = 1000
)

// boundedList is the most items a list field that is not a connection can
// hold, as the schema enforces it, and whether it is one of those. Every
// list of objects is a connection (first/last capped at graph.MaxPage and
// costed); TestSchema_EveryListIsBounded fails when a new list field is
// neither a connection nor named here.
func boundedList(typeField string) (int, bool) {
	n, ok := boundedLists()[typeField]
	return n, ok
}

// boundedLists is every list field that is not a connection, with the
// most items the schema lets it hold:
//   - Webhook.events: known types, none repeated (integrations' Validate);
//   - Product.options: 1..3 option names (catalog's Validate), fixed once made.
func boundedLists() map[string]int {
	return map[string]int{"Webhook.events": len(events.Types), "Product.options": schema.MaxOptionNames}
}

// CodeLimitExceeded is the extensions.code of a refused operation.
const CodeLimitExceeded = "limit_exceeded"

// limitError names the limit an operation went over, for people (the
// message) and programs (the extensions).
func limitError(limit string, actual, limitValue int, format string) *gqlerror.Error {
	err := gqlerror.Errorf(format, actual, limitValue)
	err.Extensions = map[string]any{"code": CodeLimitExceeded, "limit": limit, "max": limitValue, "actual": actual}
	return err
}

// limits enforces the limits above at the two points gqlgen offers: before
// parsing (size, selections, depth) and after validation (cost).
type limits struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = limits{}

func (limits) ExtensionName() string                   { return "ShopLimits" }
func (limits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters runs before gqlgen parses and validates the
// query: it refuses a query over MaxQueryBytes unread, then parses it (the
// parser is linear) and refuses too many selections or too deep a nesting.
// A query that does not parse is left to gqlgen, which reports the error.
func (limits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if n := len(p.Query); n > MaxQueryBytes {
		return limitError("size", n, MaxQueryBytes, "the query is %d bytes; the size limit is %d bytes")
	}
	// Variables as sent, before gqlgen coerces them (which walks them):
	// bounded like literals (inputLimits, after validation, sees both).
	m := inputMeter{}
	for _, v := range p.Variables {
		m.value(v, 1)
	}
	if err := m.err(); err != nil {
		return err
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: p.Query})
	if err != nil {
		return nil
	}
	if n := writtenFields(doc); n > MaxSelections {
		return limitError("selections", n, MaxSelections, "the query has %d fields; the selection limit is %d")
	}
	c := shapes{frags: doc.Fragments, memo: map[shapeKey]shape{}}
	for _, op := range doc.Operations {
		s := c.set(op.SelectionSet, false)
		if s.fields > MaxSelections {
			return limitError("selections", s.fields, MaxSelections, "the operation selects %d fields once its fragments are expanded; the selection limit is %d")
		}
		if s.depth > MaxDepth {
			return limitError("depth", s.depth, MaxDepth, "the query is nested %d levels deep; the depth limit is %d")
		}
	}
	if err := ctx.Err(); err != nil { // a client gone or a deadline passed: stop here
		return gqlerror.WrapIfUnwrapped(err)
	}
	return nil
}

// MutateOperationContext runs after validation, with the operation and its
// variables known, and refuses an operation whose cost is over MaxCost.
func (limits) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if err := inputLimits(oc.Operation, oc.Variables); err != nil {
		return err
	}
	c := coster{vars: oc.Variables, memo: map[costKey]int{}}
	n := c.set(oc.Operation.SelectionSet, 0)
	if c.err != nil {
		return c.err
	}
	if n > MaxCost {
		return limitError("cost", n, MaxCost, "the operation's cost (complexity) is %d; the cost limit is %d: ask for smaller pages, fewer totalCounts or fewer nested lists")
	}
	if err := ctx.Err(); err != nil {
		return gqlerror.WrapIfUnwrapped(err)
	}
	return nil
}

// inputLimits measures every argument of every field the operation
// selects (fragments included), with the variables as sent: the values
// (nodes), their nesting (depth) and the longest list. It refuses the
// first one over MaxInputNodes, MaxInputDepth or MaxInputList, naming the
// limit ("input", "input_depth", "input_list") and the argument.
func inputLimits(op *ast.OperationDefinition, vars map[string]any) *gqlerror.Error {
	m := inputMeter{seen: map[string]bool{}}
	m.set(op.SelectionSet, vars)
	return m.err()
}

// err is the refusal of what the meter measured, if over a limit.
func (m *inputMeter) err() *gqlerror.Error {
	switch {
	case m.nodes > MaxInputNodes:
		return limitError("input", m.nodes, MaxInputNodes, "the operation's arguments hold %d values (where filters included); the input limit is %d")
	case m.depth > MaxInputDepth:
		return limitError("input_depth", m.depth, MaxInputDepth, "an argument nests %d levels deep (where filters in filters); the input_depth limit is %d")
	case m.list > MaxInputList:
		return limitError("input_list", m.list, MaxInputList, "an argument has a list of %d values (idIn and the like); the input_list limit is %d")
	}
	return nil
}

// inputMeter adds up the argument values of a selection set.
type inputMeter struct {
	nodes, depth, list int
	seen               map[string]bool // fragments measured once
}

func (m *inputMeter) set(set ast.SelectionSet, vars map[string]any) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			for _, a := range s.Arguments {
				v, err := a.Value.Value(vars)
				if err == nil {
					m.value(v, 1)
				}
			}
			m.set(s.SelectionSet, vars)
		case *ast.InlineFragment:
			m.set(s.SelectionSet, vars)
		case *ast.FragmentSpread:
			if !m.seen[s.Name] && s.Definition != nil {
				m.seen[s.Name] = true
				m.set(s.Definition.SelectionSet, vars)
			}
		}
		if m.nodes > MaxInputNodes {
			return
		}
	}
}

func (m *inputMeter) value(v any, depth int) {
	m.nodes++
	m.depth = max(m.depth, depth)
	if m.nodes > MaxInputNodes || m.depth > MaxInputDepth {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			m.value(e, depth+1)
		}
	case []any:
		m.list = max(m.list, len(x))
		if m.list > MaxInputList {
			return
		}
		for _, e := range x {
			switch e.(type) {
			case map[string]any, []any:
				m.value(e, depth) // a list is not a level of nesting
			}
			// A scalar in a list (an id of idIn) is one parameter of one
			// IN list: bounded by MaxInputList, not counted as a value.
		}
	}
}

// writtenFields counts the fields written in the document, in every
// operation and fragment (the validator reads them all, used or not).
func writtenFields(doc *ast.QueryDocument) int {
	var count func(ast.SelectionSet) int
	count = func(set ast.SelectionSet) int {
		n := 0
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				n += 1 + count(s.SelectionSet)
			case *ast.InlineFragment:
				n += count(s.SelectionSet)
			}
		}
		return n
	}
	n := 0
	for _, op := range doc.Operations {
		n += count(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		n += count(f.SelectionSet)
	}
	return n
}

// shape is what a selection set expands to: how many fields, how deep.
type shape struct{ fields, depth int }

type shapeKey struct {
	name  string
	intro bool
}

// shapes measures selection sets of a parsed (not yet validated) document,
// expanding each fragment once per context and reusing the result.
type shapes struct {
	frags ast.FragmentDefinitionList
	memo  map[shapeKey]shape
}

// set measures a selection set; intro is true under __schema or __type,
// where depth is not counted.
func (c *shapes) set(set ast.SelectionSet, intro bool) shape {
	var out shape
	for _, sel := range set {
		var s shape
		switch f := sel.(type) {
		case *ast.Field:
			inner := intro || f.Name == "__schema" || f.Name == "__type"
			s = c.set(f.SelectionSet, inner)
			s.fields = satAdd(s.fields, 1)
			if !inner {
				s.depth++
			}
		case *ast.InlineFragment:
			s = c.set(f.SelectionSet, intro)
		case *ast.FragmentSpread:
			k := shapeKey{f.Name, intro}
			var ok bool
			if s, ok = c.memo[k]; !ok {
				c.memo[k] = shape{} // a cycle counts as empty; validation refuses it
				if def := c.frags.ForName(f.Name); def != nil {
					s = c.set(def.SelectionSet, intro)
				}
				c.memo[k] = s
			}
		}
		out.fields = satAdd(out.fields, s.fields)
		out.depth = max(out.depth, s.depth)
	}
	return out
}

type costKey struct {
	name string
	page int
}

// defaultedConnection reports the connections inside another type whose
// resolver applies graph.DefaultPage itself and loads one page of one
// parent at a time (no eager loading), so they may omit first.
func defaultedConnection(typeField string) bool { return typeField == "Webhook.deliveries" }

// coster estimates the work of a validated operation:
//   - every field costs 1;
//   - a connection (products, a category's products, an order's items,
//     ...) multiplies what its edges select by its page size (first or
//     last, coerced as gqlgen will: "100" is 100), and its totalCount
//     costs CountCost once. A connection under another field must say
//     first or last (its rows are loaded for every parent at once, and
//     without a page they would all be); a page outside 0..graph.MaxPage
//     is refused here, before any resolver, for every connection;
//   - a list that is not a connection is in boundedLists, costed by its
//     bound; introspection lists are not multiplied (the schema is small
//     and in memory).
//
// Each fragment is costed once per page size (memoised).
type coster struct {
	vars map[string]any
	memo map[costKey]int
	err  *gqlerror.Error // the first refusal
}

// set costs a selection set; page > 0 when it is a connection's selection.
func (c *coster) set(set ast.SelectionSet, page int) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total = satAdd(total, c.field(s, page))
		case *ast.InlineFragment:
			total = satAdd(total, c.set(s.SelectionSet, page))
		case *ast.FragmentSpread:
			k := costKey{s.Name, page}
			v, ok := c.memo[k]
			if !ok {
				c.memo[k] = 0
				if s.Definition != nil {
					v = c.set(s.Definition.SelectionSet, page)
				}
				c.memo[k] = v
			}
			total = satAdd(total, v)
		}
	}
	return total
}

func (c *coster) field(f *ast.Field, page int) int {
	if page > 0 {
		switch f.Name {
		case "totalCount":
			return CountCost
		case "edges":
			return satAdd(1, satMul(page, c.set(f.SelectionSet, 0)))
		}
	}
	if f.Definition == nil || len(f.SelectionSet) == 0 {
		if f.Definition != nil && f.Definition.Type.Elem != nil && f.ObjectDefinition != nil {
			if n, ok := boundedList(f.ObjectDefinition.Name + "." + f.Name); ok {
				return max(n, 1)
			}
		}
		return 1
	}
	t := f.Definition.Type
	if isConnection(t) {
		return satAdd(1, c.set(f.SelectionSet, c.pageSize(f)))
	}
	child := c.set(f.SelectionSet, 0)
	if t.Elem != nil && !strings.HasPrefix(t.Name(), "__") && f.ObjectDefinition != nil {
		// Not a connection: bounded (boundedLists) or, for a list the
		// schema walk would have refused, costed as a full page.
		n, ok := boundedList(f.ObjectDefinition.Name + "." + f.Name)
		if !ok {
			n = graph.MaxPage
		}
		child = satMul(child, max(n, 1))
	}
	return satAdd(1, child)
}

// isConnection reports whether t is a Relay connection type.
func isConnection(t *ast.Type) bool {
	return t.Elem == nil && strings.HasSuffix(t.Name(), "Connection")
}

// pageSize is the page a connection field asks for, as the resolver will
// serve it: first or last coerced as the schema's Int coerces them (gqlscalar), else
// graph.DefaultPage for a root connection (its resolver's default). A
// nested connection without a page, or any page outside 0..MaxPage, is
// refused (c.err).
func (c *coster) pageSize(f *ast.Field) int {
	args := f.ArgumentMap(c.vars)
	for _, name := range []string{"first", "last"} {
		v, ok := args[name]
		if !ok || v == nil {
			continue
		}
		n, err := gqlscalar.UnmarshalInt(v)
		if err != nil {
			continue // gqlgen refuses it too, before any resolver
		}
		if n < 0 || n > graph.MaxPage {
			c.refuse(pageError(name))
			return graph.MaxPage
		}
		return max(n, 1)
	}
	if f.ObjectDefinition != nil && f.ObjectDefinition.Name != "Query" && !defaultedConnection(f.ObjectDefinition.Name+"."+f.Name) {
		err := gqlerror.Errorf("%s.%s is a connection inside another field: give it first or last; the page limit is %d",
			f.ObjectDefinition.Name, f.Name, graph.MaxPage)
		err.Extensions = map[string]any{"code": CodeLimitExceeded, "limit": "page", "max": graph.MaxPage}
		c.refuse(err)
		return graph.MaxPage
	}
	return graph.DefaultPage
}

// refuse keeps the first refusal.
func (c *coster) refuse(err *gqlerror.Error) {
	if c.err == nil {
		c.err = err
	}
}

// pageError is the validation_failed of a first or last outside
// 0..graph.MaxPage, the same as the resolvers' (graph.page).
func pageError(name string) *gqlerror.Error {
	msg := fmt.Sprintf("must be from 0 to %d", graph.MaxPage)
	err := gqlerror.Errorf("%s %s", name, msg)
	err.Extensions = map[string]any{"code": "validation_failed", "errors": []map[string]string{{"field": name, "message": msg}}}
	return err
}

// saturation keeps costs and counts far from overflow whatever the query.
const saturation = 1 << 40

func satAdd(a, b int) int { return min(a+b, saturation) }

func satMul(a, b int) int {
	if a != 0 && b > saturation/a {
		return saturation
	}
	return min(a*b, saturation)
}
