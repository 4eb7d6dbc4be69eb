// Package admin serves the admin surface: the GraphQL endpoint and its
// GraphiQL page, and the audit log.
package admin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/labstack/echo/v4"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"shop/ent"
	"shop/internal/actor"
	"shop/internal/apperr"
	"shop/modules/admin/graph"
)

// Limits of one GraphQL operation.
const (
	MaxDepth      = 8
	MaxComplexity = 10000
	// listFanout is the complexity weight of a plain list edge (a category's
	// products, an order's items), whose length the query can't bound.
	listFanout = 10
)

// NewGraphQL returns the GraphQL handler: POST only, introspection on (for
// GraphiQL), every mutation in one transaction, depth and complexity
// limits, and errors rendered without internals.
func NewGraphQL(r *graph.Resolver, logger *slog.Logger) http.Handler {
	cfg := graph.Config{Resolvers: r}
	setComplexity(&cfg.Complexity)
	srv := handler.New(graph.NewExecutableSchema(cfg))
	srv.AddTransport(transport.POST{})
	srv.Use(extension.Introspection{})
	srv.Use(depthLimit{max: MaxDepth})
	srv.Use(extension.FixedComplexityLimit(MaxComplexity))
	srv.Use(entgql.Transactioner{TxOpener: r.Client})
	srv.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error {
		return presentError(ctx, err, logger)
	})
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		logger.ErrorContext(ctx, "graphql panic", slog.Any("panic", v), slog.String("request_id", actor.From(ctx).RequestID))
		return errors.New("internal error")
	})
	return srv
}

// presentError turns a resolver error into a GraphQL error whose extensions
// carry the same code (and from/to, items, ...) as the REST problem
// document; an internal error shows only the request id.
func presentError(ctx context.Context, err error, logger *slog.Logger) *gqlerror.Error {
	var gerr *gqlerror.Error
	if errors.As(err, &gerr) && gerr.Err == nil {
		return gerr // parse, validation, depth and complexity errors
	}
	ge := graphql.DefaultErrorPresenter(ctx, err)
	ae := apperr.From(err)
	ext := map[string]any{"code": string(ae.Code)}
	for k, v := range ae.Extra {
		ext[k] = v
	}
	if len(ae.Fields) > 0 {
		ext["errors"] = ae.Fields
	}
	msg := ae.Message
	if ae.Code == apperr.Internal {
		reqID := actor.From(ctx).RequestID
		logger.ErrorContext(ctx, "graphql resolver failed", slog.String("request_id", reqID), slog.Any("error", err))
		ext["request_id"] = reqID
		msg = "an internal error occurred"
	}
	ge.Message = msg
	ge.Extensions = ext
	return ge
}

// setComplexity weighs connections by the page they ask for and plain list
// edges by listFanout, so the complexity limit bounds a query's fan-out.
func setComplexity(c *graph.ComplexityRoot) {
	conn := func(child int, first, last *int) int {
		n := graph.DefaultPage
		if first != nil {
			n = *first
		} else if last != nil {
			n = *last
		}
		return child * max(n, 1)
	}
	c.Query.AuditLogs = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.AuditLogOrder, _ *ent.AuditLogWhereInput) int {
		return conn(child, first, last)
	}
	c.Query.Categories = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.CategoryOrder, _ *ent.CategoryWhereInput) int {
		return conn(child, first, last)
	}
	c.Query.InventoryMovements = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.InventoryMovementOrder, _ *ent.InventoryMovementWhereInput) int {
		return conn(child, first, last)
	}
	c.Query.Orders = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.OrderOrder, _ *ent.OrderWhereInput) int {
		return conn(child, first, last)
	}
	c.Query.Products = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.ProductOrder, _ *ent.ProductWhereInput) int {
		return conn(child, first, last)
	}
	c.Query.Users = func(child int, _ *entgql.Cursor[int], first *int, _ *entgql.Cursor[int], last *int, _ *ent.UserOrder, _ *ent.UserWhereInput) int {
		return conn(child, first, last)
	}
	list := func(child int) int { return child * listFanout }
	c.Category.Children = list
	c.Category.Products = list
	c.Product.InventoryMovements = list
	c.Order.Items = list
	c.User.Orders = list
}

// depthLimit refuses operations nested deeper than max fields.
type depthLimit struct{ max int }

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, oc.Doc.Fragments, map[string]bool{}); depth > d.max {
		return gqlerror.Errorf("the query is nested %d levels deep; the limit is %d", depth, d.max)
	}
	return nil
}

func selectionDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList, seen map[string]bool) int {
	deepest := 0
	for _, sel := range set {
		d := 0
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) > 0 {
				d = 1 + selectionDepth(s.SelectionSet, frags, seen)
			} else {
				d = 1
			}
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, frags, seen)
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil && !seen[s.Name] {
				seen[s.Name] = true
				d = selectionDepth(f.SelectionSet, frags, seen)
				delete(seen, s.Name)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// Routes mounts POST /admin/graphql (admins only, checked before any
// GraphQL runs) and GET /admin/graphiql (a page; its queries need a token).
func Routes(e *echo.Echo, gql http.Handler, authenticate, requireAdmin echo.MiddlewareFunc) {
	e.POST("/admin/graphql", echo.WrapHandler(gql), authenticate, requireAdmin)
	e.GET("/admin/graphiql", func(c echo.Context) error {
		return c.HTML(http.StatusOK, graphiqlPage)
	})
}
