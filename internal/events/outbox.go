package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/riverqueue/river"
)

// Settings are what events are built with: the store currency (money in
// event data carries it, as in the REST API) and the low-stock threshold.
// They are given to the transaction runner at construction, which hands
// them to each transaction's Outbox.
type Settings struct {
	Currency          string
	LowStockThreshold int
}

// Outbox collects the events of one transaction. The transaction runner
// makes one per attempt and puts it in the transaction's context; Flush
// writes them just before COMMIT. Add on a nil Outbox (a write outside the
// runner, such as a test fixture on the plain client) records nothing.
type Outbox struct {
	settings Settings
	mu       sync.Mutex
	events   []Args
	data     []any
	// The transaction the events are written in (Attach), for FlushNow.
	ins *Inserter
	tx  *sql.Tx
}

// Attach binds o to the transaction its events are written in, so that
// FlushNow can write them before COMMIT. The transaction runner attaches
// every outbox it makes.
func (o *Outbox) Attach(ins *Inserter, tx *sql.Tx) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ins, o.tx = ins, tx
}

// FlushNow writes the events added so far, in one INSERT, into the
// transaction o is attached to (the ones added later are written by Flush
// at COMMIT). The stock primitive calls it before its UPDATE, so a sale
// holds its rows' locks until COMMIT only (docs/checkout.md). A nil or
// unattached Outbox does nothing.
func (o *Outbox) FlushNow(ctx context.Context) error {
	if o == nil {
		return nil
	}
	o.mu.Lock()
	ins, tx := o.ins, o.tx
	o.mu.Unlock()
	if ins == nil || tx == nil {
		return nil
	}
	return o.Flush(ctx, ins, tx)
}

// NewOutbox returns an empty outbox whose events are built with s.
func NewOutbox(s Settings) *Outbox { return &Outbox{settings: s} }

type outboxKey struct{}

// NewContext returns ctx carrying o.
func NewContext(ctx context.Context, o *Outbox) context.Context {
	return context.WithValue(ctx, outboxKey{}, o)
}

// FromContext returns the outbox of the transaction ctx runs in, or nil.
func FromContext(ctx context.Context) *Outbox {
	o, _ := ctx.Value(outboxKey{}).(*Outbox)
	return o
}

// Add records an event of type typ whose data is data (marshalled to JSON
// at commit). It is safe for concurrent use.
func (o *Outbox) Add(typ string, data any) {
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, Args{ID: NewID(), Type: typ, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)})
	o.data = append(o.data, data)
}

// Find returns the data of the first event of type typ whose data match
// accepts, or nil: a later write of the same transaction can complete an
// event recorded earlier (a product's variants, created after it), unless
// it was written already (FlushNow).
func (o *Outbox) Find(typ string, match func(data any) bool) any {
	if o == nil {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, e := range o.events {
		if e.Type == typ && match(o.data[i]) {
			return o.data[i]
		}
	}
	return nil
}

// Currency is the store currency events carry ("" on a nil Outbox).
func (o *Outbox) Currency() string {
	if o == nil {
		return ""
	}
	return o.settings.Currency
}

// Len is the number of events added so far.
func (o *Outbox) Len() int {
	if o == nil {
		return 0
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.events)
}

// Flush writes the outbox's events inside stx, by one statement (none
// when there are none), and forgets them; the runner calls it just before
// COMMIT. A failure fails the transaction. Only the events some active
// webhook subscribes to become River jobs (Inserter): an event nobody
// listens to costs the transaction nothing but that statement.
func (o *Outbox) Flush(ctx context.Context, ins *Inserter, stx *sql.Tx) error {
	if o == nil {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.events) == 0 {
		return nil
	}
	jobs := make([]Args, len(o.events))
	for i, args := range o.events {
		raw, err := json.Marshal(o.data[i])
		if err != nil {
			return fmt.Errorf("event %s: %w", args.Type, err)
		}
		args.Data = raw
		jobs[i] = args
	}
	raw, err := json.Marshal(jobs)
	if err != nil {
		return fmt.Errorf("record events: %w", err)
	}
	if _, err := stx.ExecContext(ctx, ins.query, string(raw)); err != nil {
		return fmt.Errorf("record events: %w", err)
	}
	o.events, o.data = nil, nil
	return nil
}

// Inserter writes events as River jobs of one dialect: one INSERT … SELECT
// over the JSON array of the events' args, keeping those an active webhook
// subscribes to (subscribed). The job is what River's own insert writes
// (kind, the webhooks queue, River's default priority and attempts,
// available now); River's client works it like any other. It holds no
// state but its statement, so the runner makes one and shares it among all
// its transactions.
//
// Why not River's InsertManyFastTx: an event no webhook subscribes to
// would still be a job that a worker fetches, completes and the cleaner
// deletes, four row versions of a table with five indexes per event,
// and the largest share of PostgreSQL's work per order after the stock
// itself (docs/benchmarks.md). Deciding at the insert, in the same
// statement, costs no round trip. The decision is taken in the change's
// transaction: a webhook receives the events recorded after its creation
// committed (docs/integrations.md).
type Inserter struct {
	query string
}

// NewInserter returns the Inserter of dialect dia. The job's constants
// (kind, attempts, priority, queue) are literals in the statement: they
// never change, and a statement with literals is one plan on every
// connection.
func NewInserter(dia string) (*Inserter, error) {
	job := fmt.Sprintf("%s, %d, %d, %s", lit(Args{}.Kind()), river.MaxAttemptsDefault, river.PriorityDefault, lit(Queue))
	switch dia {
	case dialect.Postgres:
		return &Inserter{query: "INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, tags)" +
			" SELECT e.value, " + job + ", 'available', '{}' FROM jsonb_array_elements(CAST($1 AS jsonb)) AS e" +
			" WHERE " + subscribed(dia, "e.value ->> 'type'")}, nil
	case dialect.SQLite:
		return &Inserter{query: "INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, tags, metadata, created_at, scheduled_at)" +
			" SELECT jsonb(e.value), " + job + ", 'available', jsonb('[]'), jsonb('{}'), datetime('now', 'subsec'), datetime('now', 'subsec')" +
			" FROM json_each(?) AS e WHERE " + subscribed(dia, "json_extract(e.value, '$.type')")}, nil
	}
	return nil, fmt.Errorf("events: no River driver for %q", dia)
}

// lit is s as an SQL string literal (s is one of this package's constants).
func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// subscribed is the SQL condition "an active webhook subscribes to the
// event type typ" (an SQL expression of dialect dia): the rule that decides
// whether an event is recorded at all. The event worker applies the same
// rule again when it fans an event out (a webhook may have been
// deactivated since).
func subscribed(dia, typ string) string {
	if dia == dialect.Postgres {
		return "EXISTS (SELECT 1 FROM webhooks AS w WHERE w.active AND w.events @> jsonb_build_array(" + typ + "))"
	}
	return "EXISTS (SELECT 1 FROM webhooks AS w, json_each(w.events) AS t WHERE w.active AND t.value = " + typ + ")"
}
