// Package admin serves the admin surface: the GraphQL endpoint and its
// GraphiQL page, and the audit log.
package admin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"shop/internal/actor"
	"shop/internal/apperr"
	"shop/internal/database"
	"shop/modules/admin/graph"
)

// NewGraphQL returns the GraphQL handler: POST only (see transport),
// introspection on (for GraphiQL and schema tools), the size, selection,
// depth and cost limits (limits.go), every mutation in one transaction of
// the runner (tx.go), no
// field resolved once the request's context has ended, and errors rendered
// without internals.
func NewGraphQL(r *graph.Resolver, run *database.Runner, logger *slog.Logger) http.Handler {
	es := graph.NewExecutableSchema(graph.Config{Resolvers: r})
	schema := es.Schema()
	srv := handler.New(es)
	srv.AddTransport(transport{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](256))
	srv.Use(extension.Introspection{})
	srv.Use(limits{})
	srv.Use(&exactEnums{})
	srv.Use(transactions{run: run, present: func(ctx context.Context, err error) *gqlerror.Error {
		return presentError(ctx, schema, err, logger)
	}})
	srv.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return next(ctx)
	})
	srv.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error {
		return presentError(ctx, schema, err, logger)
	})
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		logger.ErrorContext(ctx, "graphql panic", slog.Any("panic", v), slog.String("request_id", actor.From(ctx).RequestID))
		return errors.New("internal error")
	})
	return srv
}

// presentError turns a resolver error into a GraphQL error whose extensions
// carry the same code (and from/to, items, ...) as the REST problem
// document, a validation error's fields named as the GraphQL arguments
// and input fields (graphQLFields); an internal error shows only the
// request id.
func presentError(ctx context.Context, schema *ast.Schema, err error, logger *slog.Logger) *gqlerror.Error {
	var gerr *gqlerror.Error
	if errors.As(err, &gerr) && gerr.Err == nil {
		return gerr // parse, validation and limit errors
	}
	ge := graphql.DefaultErrorPresenter(ctx, err)
	ae := database.Translate(err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The request ended (client gone, deadline): the transport answers
		// 503 for the whole operation; nothing to log per field.
		ae = apperr.New(apperr.Unavailable, "the request ended before this field was resolved")
	}
	ext := map[string]any{"code": string(ae.Code)}
	for k, v := range ae.Extra {
		ext[k] = v
	}
	if len(ae.Fields) > 0 {
		ext["errors"] = graphQLFields(ctx, schema, ge.Path, ae.Fields) // GraphQL's names, not REST's
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
