package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"shop/internal/actor"
	"shop/internal/apperr"
)

// validRequestID is what a client-sent X-Request-Id must look like to be echoed.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// requestID gives every request an id (the client's, if valid) in the
// response header and in the actor of the request context.
func requestID() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			id := c.Request().Header.Get(echo.HeaderXRequestID)
			if !validRequestID.MatchString(id) {
				b := make([]byte, 12)
				_, _ = rand.Read(b)
				id = hex.EncodeToString(b)
			}
			c.Response().Header().Set(echo.HeaderXRequestID, id)
			ctx := actor.With(c.Request().Context(), actor.Actor{RequestID: id, IP: c.RealIP()})
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shop_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "shop_http_request_duration_seconds", Help: "HTTP request latency by route, method and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "status"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// accessLog writes one JSON line per request and records its metrics. It
// runs the error handler itself so the status it logs is the one sent.
func (s *Server) accessLog(m *metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			elapsed := time.Since(start)
			// The route template the path belongs to (also for a method it
			// does not allow); every unknown path shares one label.
			route, _ := s.route(c)
			if route == "" {
				route = "unmatched"
			}
			status := c.Response().Status
			labels := prometheus.Labels{"route": route, "method": method(c), "status": strconv.Itoa(status)}
			m.requests.With(labels).Inc()
			m.latency.With(labels).Observe(elapsed.Seconds())
			s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
				slog.String("method", method(c)),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Float64("latency_ms", float64(elapsed.Microseconds())/1000),
				slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
				slog.String("ip", c.RealIP()),
			)
			return nil
		}
	}
}

// requestTimeout gives each request's context a deadline, so a request
// stuck on the database gives up instead of holding a connection forever.
func requestTimeout(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, cancel := context.WithTimeout(c.Request().Context(), d)
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			err := next(c)
			if err != nil && errors.Is(err, context.DeadlineExceeded) {
				return apperr.New(apperr.Unavailable, "the request took longer than %s", d)
			}
			return err
		}
	}
}

// headKey marks a HEAD request that Echo serves as a GET.
type headKey struct{}

// Handler is the server's http.Handler: Echo, with HEAD answered wherever GET
// is (API.md: HEAD works wherever GET does). Echo sees a GET; net/http still
// holds the client's HEAD request, so it sends the GET's headers (Content-Length
// included) and drops the body.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			r = r.Clone(context.WithValue(r.Context(), headKey{}, true))
			r.Method = http.MethodGet
		}
		s.Echo.ServeHTTP(w, r)
	})
}

// method is the request's method as the client sent it.
func method(c echo.Context) string {
	if head, _ := c.Request().Context().Value(headKey{}).(bool); head {
		return http.MethodHead
	}
	return c.Request().Method
}

// servedRoutes is the set of "METHOD /template" the server answers, read
// from the router once (every route is registered before the first request).
func (s *Server) servedRoutes() map[string]bool {
	s.routesOnce.Do(func() {
		s.routes = map[string]bool{}
		for _, r := range s.Echo.Routes() {
			// Echo's group catch-alls (echo_route_not_found) serve nothing.
			if !strings.HasPrefix(r.Method, "echo_") {
				s.routes[r.Method+" "+r.Path] = true
			}
		}
	})
	return s.routes
}

// probeMethods are the methods a path is tried with to build its Allow header.
var probeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// route returns the template of the route serving the request's path and,
// when that route does not take the request's method, the methods it does
// (for Allow). An unknown path gives "", nil.
//
// Echo's router alone can't answer this: a group with middleware registers
// a catch-all (/api/v1/*) that wins over its method-not-allowed handling, so
// a wrong method on an API path would be a 404.
func (s *Server) route(c echo.Context) (template string, allow []string) {
	served := s.servedRoutes()
	if served[c.Request().Method+" "+c.Path()] {
		return c.Path(), nil
	}
	path := echo.GetPath(c.Request())
	for _, m := range probeMethods {
		probe := s.Echo.NewContext(c.Request(), nil)
		s.Echo.Router().Find(m, path, probe)
		if served[m+" "+probe.Path()] {
			template = probe.Path()
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	if template == "" {
		return "", nil
	}
	return template, append(allow, http.MethodOptions)
}

// methodNotAllowed answers a known path asked with a method it does not
// take: 405 method_not_allowed with Allow, before any authentication runs
// (the path's existence is public, its data is not). OPTIONS is answered
// 204 with Allow (CORS preflights are answered earlier by the CORS middleware).
func (s *Server) methodNotAllowed(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		_, allow := s.route(c)
		if allow == nil {
			return next(c) // served as asked, or an unknown path (404)
		}
		c.Response().Header().Set(echo.HeaderAllow, strings.Join(allow, ", "))
		if c.Request().Method == http.MethodOptions {
			return c.NoContent(http.StatusNoContent)
		}
		return apperr.New(apperr.MethodNotAllowed, "%s is not allowed on this path; it allows %s", method(c), strings.Join(allow, ", "))
	}
}

// corsConfig lets browsers on origins call the API: preflights answered,
// credentials (cookies) never sent (the API uses bearer tokens), and the
// headers a client reads exposed.
func corsConfig(origins []string) middleware.CORSConfig {
	return middleware.CORSConfig{
		AllowOrigins:  origins,
		AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPatch, http.MethodDelete},
		AllowHeaders:  []string{echo.HeaderAuthorization, echo.HeaderContentType, "If-Match", "Idempotency-Key", echo.HeaderXRequestID},
		ExposeHeaders: []string{echo.HeaderXRequestID, "ETag", "Idempotent-Replayed", "Retry-After", echo.HeaderLocation, echo.HeaderAllow},
		MaxAge:        600,
	}
}
