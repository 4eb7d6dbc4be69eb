package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"shop/internal/apperr"
	"shop/internal/database"
)

// ProblemContentType is the media type of error responses (RFC 9457).
const ProblemContentType = "application/problem+json"

// errorHandler renders every error as a problem document. Internal errors are
// logged with the request id and shown without any detail.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	e := toAppError(err)
	status := e.Code.HTTPStatus()
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	switch {
	case status >= 500 && (errors.Is(err, context.Canceled) || database.QueryCanceled(err)) && c.Request().Context().Err() != nil:
		// The client went away and its request was cut short: not a fault,
		// even when the cut left a connection closed (which alone reads as
		// an unreachable database), so this is checked first.
		s.log.InfoContext(c.Request().Context(), "client went away", slog.String("request_id", reqID), slog.String("route", c.Path()))
	case e.Code == apperr.Unavailable:
		// An outage fails every request the same way: one line a second,
		// with how many it stands for, not thousands of lines.
		s.unavailableLog.log(c.Request().Context(), s.log, reqID, err)
	case status >= 500:
		s.log.ErrorContext(c.Request().Context(), "request failed",
			slog.String("request_id", reqID), slog.String("route", c.Path()), slog.Any("error", err))
	}
	body := map[string]any{}
	for k, v := range e.Extra {
		body[k] = v
	}
	body["type"] = "https://shop.example/problems/" + string(e.Code)
	body["title"] = http.StatusText(status)
	body["status"] = status
	body["detail"] = e.Message
	body["code"] = e.Code
	body["request_id"] = reqID
	if len(e.Fields) > 0 {
		body["errors"] = e.Fields
	}
	switch e.Code {
	case apperr.RateLimited:
		if ra, ok := e.Extra["retry_after"]; ok {
			c.Response().Header().Set("Retry-After", fmt.Sprint(ra))
		}
	case apperr.Unavailable:
		c.Response().Header().Set("Retry-After", strconv.Itoa(UnavailableRetryAfter))
	}
	c.Response().Header().Set(echo.HeaderContentType, ProblemContentType)
	c.Response().WriteHeader(status)
	if c.Request().Method == http.MethodHead {
		return
	}
	_ = c.Echo().JSONSerializer.Serialize(c, body, "")
}

// UnavailableRetryAfter is the Retry-After, in seconds, of a 503: a
// database restart or failover takes seconds, and clients that wait that
// long don't pile onto a database coming back.
const UnavailableRetryAfter = 2

// throttledLog logs errors of one kind at most once per interval, each line
// with the number of errors it stands for.
type throttledLog struct {
	every      rate.Sometimes
	suppressed atomic.Int64
}

func (t *throttledLog) log(ctx context.Context, log *slog.Logger, reqID string, err error) {
	n := t.suppressed.Add(1)
	t.every.Do(func() {
		n = t.suppressed.Swap(0)
		log.ErrorContext(ctx, "service unavailable", slog.Int64("count", n),
			slog.String("request_id", reqID), slog.Any("error", err))
	})
}

// toAppError maps Echo's own errors (unknown route, body too large, ...),
// the transport's part, to an *apperr.Error; every other error is
// database.Translate's.
func toAppError(err error) *apperr.Error {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return apperr.New(apperr.NotFound, "no such resource")
		case http.StatusMethodNotAllowed:
			return apperr.New(apperr.MethodNotAllowed, "method not allowed on this resource")
		case http.StatusRequestEntityTooLarge:
			return apperr.New(apperr.MalformedRequest, "the request body is larger than 1 MiB")
		case http.StatusUnauthorized:
			return apperr.New(apperr.Unauthorized, "a valid bearer token is required")
		case http.StatusForbidden:
			return apperr.New(apperr.Forbidden, "you may not do this")
		case http.StatusTooManyRequests:
			return apperr.New(apperr.RateLimited, "too many requests")
		case http.StatusServiceUnavailable:
			return apperr.New(apperr.Unavailable, "the service is unavailable")
		}
		if he.Code >= 400 && he.Code < 500 {
			return apperr.New(apperr.MalformedRequest, "the request could not be understood")
		}
		return &apperr.Error{Code: apperr.Internal, Message: "an internal error occurred", Err: err}
	}
	return database.Translate(err)
}
