package integrations

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"entgo.io/ent/dialect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"shop/ent"
	"shop/internal/events"
)

// Options configure the River side of integrations.
type Options struct {
	DB      *ent.Client
	SQL     *sql.DB
	Dialect string
	Logger  *slog.Logger
	// Registry, if set, gets the delivery metrics.
	Registry prometheus.Registerer
	Guard    Guard
	Backoff  Backoff
	// PollInterval is how often idle workers look for jobs (the database/sql
	// and SQLite drivers have no LISTEN/NOTIFY, so River polls).
	PollInterval time.Duration
	// MaxWorkers is how many jobs one process works at once (default 100).
	// River fetches at most this many per fetch (every 100 ms when busy), and
	// each event is two jobs (the fan-out, then a delivery per endpoint): 10
	// capped a process at ~50 events/s, below what W1 commits.
	MaxWorkers int
}

// Runner is River wired for the shop: its client lists and retries
// deliveries, and once started runs the event and delivery workers.
type Runner struct {
	Client  *river.Client[*sql.Tx]
	dialect string
}

// NewRunner builds the River client of the database (riverdatabasesql on
// PostgreSQL, riversqlite on SQLite) with the workers registered; Start
// runs them.
func NewRunner(opt Options, runWorkers bool) (*Runner, error) {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.MaxWorkers <= 0 {
		opt.MaxWorkers = 100
	}
	m := newMetrics(opt.Registry)
	workers := river.NewWorkers()
	client := &http.Client{
		Timeout: DeliveryTimeout,
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would connect for us and bypass the guard
			DialContext:           opt.Guard.Dialer().DialContext,
			TLSHandshakeTimeout:   DeliveryTimeout,
			ResponseHeaderTimeout: DeliveryTimeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	r := &Runner{dialect: opt.Dialect}
	if err := river.AddWorkerSafely(workers, &eventWorker{db: opt.DB, dialect: opt.Dialect, backoff: opt.Backoff}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &deliveryWorker{db: opt.DB, http: client, backoff: opt.Backoff, metrics: m, log: opt.Logger}); err != nil {
		return nil, err
	}
	cfg := &river.Config{
		Logger:                      opt.Logger,
		Workers:                     workers,
		FetchPollInterval:           opt.PollInterval,
		CompletedJobRetentionPeriod: 7 * 24 * time.Hour, // the delivery log keeps a week of successes
		CancelledJobRetentionPeriod: 7 * 24 * time.Hour,
		DiscardedJobRetentionPeriod: 30 * 24 * time.Hour,
		JobTimeout:                  time.Minute,
		// A job left running by a process that died (SIGKILL, OOM) is
		// rescued and retried after this (River's default is an hour).
		RescueStuckJobsAfter: 2 * time.Minute,
	}
	if runWorkers {
		cfg.Queues = map[string]river.QueueConfig{events.Queue: {MaxWorkers: opt.MaxWorkers}}
	}
	var err error
	switch opt.Dialect {
	case dialect.Postgres:
		r.Client, err = river.NewClient(riverdatabasesql.New(opt.SQL), cfg)
	case dialect.SQLite:
		r.Client, err = river.NewClient(riversqlite.New(opt.SQL), cfg)
	default:
		return nil, fmt.Errorf("integrations: no River driver for %q", opt.Dialect)
	}
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	if opt.Registry != nil {
		if err := opt.Registry.Register(newQueueDepthCollector(r.Client.Driver().GetExecutor())); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Start runs the workers until Stop.
func (r *Runner) Start(ctx context.Context) error { return r.Client.Start(ctx) }

// Stop lets running jobs finish (until ctx ends) and stops the workers.
func (r *Runner) Stop(ctx context.Context) error { return r.Client.Stop(ctx) }

// completeTx marks the running job completed inside tx, so that what the
// job wrote in tx and its completion commit together.
func completeTx[T river.JobArgs](ctx context.Context, dia string, tx *sql.Tx, job *river.Job[T]) error {
	var err error
	switch dia {
	case dialect.Postgres:
		_, err = river.JobCompleteTx[*riverdatabasesql.Driver](ctx, tx, job)
	default:
		_, err = river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job)
	}
	return err
}
