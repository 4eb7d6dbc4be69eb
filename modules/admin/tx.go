package admin

import (
	"context"
	"errors"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"shop/ent"
	"shop/internal/database"
)

// transactions runs every mutation operation in one transaction of the
// shop's runner (database.Runner), as REST handlers and the command line
// do: its events go through the transaction's outbox, and an operation
// that fails with a transient conflict (deadlock, serialization failure,
// SQLite busy) is run again from the start. An operation with any error
// is rolled back and answers its errors only. Queries run outside a
// transaction on the plain client.
type transactions struct {
	run     *database.Runner
	present func(context.Context, error) *gqlerror.Error // a BEGIN's or COMMIT's error
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.OperationInterceptor
} = transactions{}

func (transactions) ExtensionName() string                   { return "ShopTransactions" }
func (transactions) Validate(graphql.ExecutableSchema) error { return nil }

func isMutation(oc *graphql.OperationContext) bool {
	return oc != nil && oc.Operation != nil && oc.Operation.Operation == ast.Mutation
}

// MutateOperationContext resolves a mutation's fields one at a time: they
// share one transaction, which is one connection.
func (transactions) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if isMutation(oc) {
		previous := oc.ResolverMiddleware
		var mu sync.Mutex
		oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) {
			mu.Lock()
			defer mu.Unlock()
			return previous(ctx, next)
		}
	}
	return nil
}

// errRolledBack ends a transaction whose operation answered errors that
// are not worth another attempt.
var errRolledBack = errors.New("the operation failed")

// InterceptOperation executes a mutation inside runner transactions: each
// attempt executes the operation anew (next builds a fresh execution).
func (t transactions) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if !isMutation(graphql.GetOperationContext(ctx)) {
		return next(ctx)
	}
	done := false
	return func(ctx context.Context) *graphql.Response {
		if done {
			return nil
		}
		done = true
		var rsp *graphql.Response
		err := t.run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) error {
			ctx = ent.NewContext(ent.NewTxContext(ctx, tx), tx.Client())
			rsp = next(ctx)(ctx)
			if rsp == nil || len(rsp.Errors) == 0 {
				return nil
			}
			for _, e := range rsp.Errors {
				if database.Retryable(e.Err) {
					return e.Err
				}
			}
			return errRolledBack
		})
		switch {
		case err == nil:
			return rsp
		case rsp != nil && len(rsp.Errors) > 0:
			return &graphql.Response{Errors: rsp.Errors}
		default: // BEGIN or COMMIT failed
			return &graphql.Response{Errors: gqlerror.List{t.present(ctx, err)}}
		}
	}
}
