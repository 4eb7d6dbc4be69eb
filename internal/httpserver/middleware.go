package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"regexp"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
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
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			status := c.Response().Status
			labels := prometheus.Labels{"route": route, "method": c.Request().Method, "status": strconv.Itoa(status)}
			m.requests.With(labels).Inc()
			m.latency.With(labels).Observe(elapsed.Seconds())
			s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
				slog.String("method", c.Request().Method),
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
