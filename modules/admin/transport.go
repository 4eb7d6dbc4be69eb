package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/labstack/echo/v4"

	"shop/internal/apperr"
	"shop/internal/httpserver"
)

// request is the body of POST /admin/graphql: one GraphQL request object.
type request struct {
	Query         *string         `json:"query"`
	OperationName *string         `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    json.RawMessage `json:"extensions"`
}

// call carries one decoded request from the Echo handler to the transport,
// and the transport's verdict back when there is no GraphQL answer to give.
type call struct {
	params *graphql.RawParams
	err    error
}

type callKey struct{}

// ServeGraphQL decodes the body strictly, through the same decoder as every
// REST body, so a body that is not one GraphQL request object (a batch, a
// truncated or non-JSON body, a query that is not a string, an empty body)
// is a 400 malformed_request problem document before GraphQL sees it. The
// decoded request then goes to gql, whose transport reads it from the
// context.
func ServeGraphQL(gql http.Handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		var body request
		if err := httpserver.Bind(c, &body); err != nil {
			return err
		}
		if body.Query == nil {
			return apperr.New(apperr.MalformedRequest, `field "query" is required: send {"query": "...", "variables": {...}}`)
		}
		p := &graphql.RawParams{Query: *body.Query}
		if body.OperationName != nil {
			p.OperationName = *body.OperationName
		}
		var err error
		if p.Variables, err = jsonObject(body.Variables, "variables"); err != nil {
			return err
		}
		if p.Extensions, err = jsonObject(body.Extensions, "extensions"); err != nil {
			return err
		}
		cl := &call{params: p}
		r := c.Request()
		gql.ServeHTTP(c.Response(), r.WithContext(context.WithValue(r.Context(), callKey{}, cl)))
		return cl.err
	}
}

// jsonObject decodes an optional JSON object member, keeping numbers as
// json.Number so large integers reach gqlgen's scalars exactly.
func jsonObject(raw json.RawMessage, name string) (map[string]any, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if raw[0] != '{' || dec.Decode(&m) != nil {
		return nil, apperr.New(apperr.MalformedRequest, "field %q must be a JSON object", name)
	}
	return m, nil
}

// transport answers the request ServeGraphQL decoded, under one rule: an
// operation refused before it runs (a parse or validation error, a limit)
// is HTTP 422 with the errors; one that ran is HTTP 200 with data and any
// field errors. Both are application/json. A request whose context ends
// (client gone, deadline) gets no GraphQL answer: ServeGraphQL returns the
// context's error, which the server renders (503 unavailable).
type transport struct{}

var _ graphql.Transport = transport{}

func (transport) Supports(r *http.Request) bool {
	_, ok := r.Context().Value(callKey{}).(*call)
	return ok && r.Method == http.MethodPost
}

func (transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	cl := ctx.Value(callKey{}).(*call)
	cl.params.Headers = r.Header
	start := graphql.Now()
	cl.params.ReadTime = graphql.TraceTiming{Start: start, End: start}

	oc, errs := exec.CreateOperationContext(ctx, cl.params)
	if ctx.Err() != nil {
		cl.err = ended(ctx)
		return
	}
	if errs != nil {
		writeResponse(w, http.StatusUnprocessableEntity, exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs))
		return
	}
	handler, ctx := exec.DispatchOperation(ctx, oc)
	// The operation resolves and marshals its response in handler; the
	// deadline must hold through both (a big response is marshalled after
	// the last resolver ran), so the request answers when its context
	// ends, whatever handler is doing, and the response is dropped.
	// Resolvers see the ended context and stop; the cost limits bound what
	// is left to marshal.
	done := make(chan *graphql.Response, 1)
	go func() { done <- handler(ctx) }()
	var resp *graphql.Response
	select {
	case resp = <-done:
	case <-ctx.Done():
	}
	if ctx.Err() != nil {
		cl.err = ended(ctx)
		return
	}
	if resp == nil {
		cl.err = errors.New("graphql: the operation produced no response")
		return
	}
	writeResponse(w, http.StatusOK, resp)
}

// ended is the error of a request whose context ended: a passed deadline
// stays context.DeadlineExceeded (the server answers 503 unavailable); a
// client that went away is unavailable too, without an error log line.
func ended(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ctx.Err()
	}
	return apperr.New(apperr.Unavailable, "the request was cancelled")
}

func writeResponse(w http.ResponseWriter, status int, resp *graphql.Response) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(resp)
}
