// Package httpserver is the shop's HTTP platform: Echo with the middleware
// every route shares (request ids, logging, metrics, body limit, recovery),
// one error handler that renders problem documents, the operations
// handlers, and a graceful Run.
package httpserver

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"

	"shop/internal/apperr"
)

// MaxBodyBytes is the largest request body accepted (API.md: 1 MiB).
const MaxBodyBytes = 1 << 20

// Options are the dependencies of a Server.
type Options struct {
	Logger *slog.Logger
	DB     *sql.DB
	// Pending reports how many migrations are not applied; /readyz is 503
	// while it is above zero or fails.
	Pending         func(context.Context) (int, error)
	ShutdownTimeout time.Duration
	// RequestTimeout bounds each request's context (database work included);
	// a request that runs out is answered 503 unavailable.
	RequestTimeout time.Duration
	// TrustProxy takes the client IP from X-Forwarded-For when the peer is a
	// proxy on a loopback or private address; otherwise the peer is the client.
	TrustProxy bool
	// CORSOrigins are the origins browsers may call the API from (CORS is
	// off when empty); credentials are never allowed.
	CORSOrigins []string
}

// Server is the shop's HTTP server.
type Server struct {
	Echo       *echo.Echo
	Registry   *prometheus.Registry
	log        *slog.Logger
	opt        Options
	routesOnce sync.Once
	routes     map[string]bool // "METHOD /path/:param" of every route served
	// unavailableLog logs 503s at most once a second, with a count.
	unavailableLog *throttledLog
	metrics        echo.HandlerFunc
}

// New returns a server with the shared middleware and no routes: they are
// all added by internal/app's routes.go, the operations endpoints too
// (Healthz, Readyz, Metrics).
func New(opt Options) *Server {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.ShutdownTimeout <= 0 {
		opt.ShutdownTimeout = 15 * time.Second
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	s := &Server{Echo: e, Registry: prometheus.NewRegistry(), log: opt.Logger, opt: opt,
		unavailableLog: &throttledLog{every: rate.Sometimes{Interval: time.Second}}}
	e.HTTPErrorHandler = s.errorHandler
	e.IPExtractor = echo.ExtractIPDirect()
	if opt.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}

	m := newMetrics(s.Registry)
	s.Registry.MustRegister(goCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if opt.DB != nil {
		s.Registry.MustRegister(collectors.NewDBStatsCollector(opt.DB, "shop"))
	}

	e.Use(requestID())
	e.Use(s.accessLog(m))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
		s.log.ErrorContext(c.Request().Context(), "panic", slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
			slog.Any("error", err), slog.String("stack", string(stack)))
		return err
	}}))
	if len(opt.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(corsConfig(opt.CORSOrigins)))
	}
	e.Use(s.methodNotAllowed)
	e.Use(middleware.BodyLimit("1MiB")) // MaxBodyBytes
	e.Use(UniqueQuery)
	if opt.RequestTimeout > 0 {
		e.Use(requestTimeout(opt.RequestTimeout))
	}

	// OpenMetrics when the scraper's Accept header asks for it, the classic
	// text format otherwise.
	s.metrics = echo.WrapHandler(promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	return s
}

// goCollector is the Go runtime's metrics from runtime/metrics (go_gc_*,
// go_memory_classes_*, go_sched_*), without the MemStats-like go_memstats_*
// set: its gauge go_memstats_alloc_bytes and counter
// go_memstats_alloc_bytes_total are one metric family twice in OpenMetrics,
// which strict parsers refuse (client_golang #829, still so in v1.25).
// go_gc_heap_allocs_bytes_total and go_memory_classes_heap_objects_bytes
// carry what those two did.
func goCollector() prometheus.Collector {
	return collectors.NewGoCollector(
		collectors.WithGoCollectorMemStatsMetricsDisabled(),
		collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsGC, collectors.MetricsMemory, collectors.MetricsScheduler),
	)
}

// Healthz answers 200 while the process serves requests (liveness), whatever
// the database does.
func (s *Server) Healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// Metrics answers the server's registry: OpenMetrics when the scraper's
// Accept header asks for it, the Prometheus text format otherwise.
func (s *Server) Metrics(c echo.Context) error { return s.metrics(c) }

// Readyz answers 200 when the database answers and no migration is pending,
// 503 unavailable otherwise (readiness).
func (s *Server) Readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if s.opt.DB != nil {
		if err := s.opt.DB.PingContext(ctx); err != nil {
			s.log.WarnContext(ctx, "readiness: database does not answer", slog.Any("error", err))
			return apperr.New(apperr.Unavailable, "the database does not answer")
		}
	}
	// Checked on every probe, not remembered: `shop migrate down` can make a
	// migration pending again under a running server.
	if s.opt.Pending != nil {
		n, err := s.opt.Pending(ctx)
		if err != nil {
			s.log.WarnContext(ctx, "readiness: migration status", slog.Any("error", err))
			return apperr.New(apperr.Unavailable, "the migration status cannot be read")
		}
		if n > 0 {
			return apperr.New(apperr.Unavailable, "%d database migrations are pending", n).With("pending_migrations", n)
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// Run serves on addr until ctx is done, then stops accepting, lets in-flight
// requests finish (up to the shutdown timeout) and returns nil. attrs are
// added to the "serving" log line.
func (s *Server) Run(ctx context.Context, addr string, attrs ...slog.Attr) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln, attrs...)
}

// Serve is Run on an existing listener. It logs "serving" with the bound
// address (the real port when addr asked for :0) once connections can be
// accepted.
func (s *Server) Serve(ctx context.Context, ln net.Listener, attrs ...slog.Attr) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.LogAttrs(ctx, slog.LevelInfo, "serving", append([]slog.Attr{slog.String("addr", ln.Addr().String())}, attrs...)...)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), s.opt.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Requests still running past the deadline are cut off: the process
		// must exit in time (API.md: within 15 s, exit status 0).
		s.log.Warn("shutdown deadline passed: closing the remaining connections", slog.Any("error", err))
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.log.Info("stopped")
	return nil
}
