package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
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

// Flush writes the outbox's events as River jobs inside stx, by one
// statement (none when there are none), and forgets them; the runner calls
// it just before COMMIT. A failure fails the transaction.
func (o *Outbox) Flush(ctx context.Context, ins *Inserter, stx *sql.Tx) error {
	if o == nil {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.events) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(o.events))
	for i, args := range o.events {
		raw, err := json.Marshal(o.data[i])
		if err != nil {
			return fmt.Errorf("event %s: %w", args.Type, err)
		}
		args.Data = raw
		params[i] = river.InsertManyParams{Args: args}
	}
	if _, err := ins.client.InsertManyFastTx(ctx, stx, params); err != nil {
		return fmt.Errorf("record events: %w", err)
	}
	o.events, o.data = nil, nil
	return nil
}

// Inserter is an insert-only River client of one dialect: it holds no pool
// and no workers and only inserts into a transaction it is given, so the
// runner makes one and shares it among all its transactions.
type Inserter struct {
	client *river.Client[*sql.Tx]
}

// NewInserter returns the Inserter of dialect dia.
func NewInserter(dia string) (*Inserter, error) {
	// It never fetches; the long cooldown also spaces the pg_notify River
	// sends after an insert to once an hour, so recording events costs a
	// transaction one statement (the INSERT), not two. Workers poll anyway.
	cfg := &river.Config{FetchCooldown: time.Hour, FetchPollInterval: time.Hour}
	var (
		c   *river.Client[*sql.Tx]
		err error
	)
	switch dia {
	case dialect.Postgres:
		c, err = river.NewClient(riverdatabasesql.New(nil), cfg)
	case dialect.SQLite:
		c, err = river.NewClient(riversqlite.New(nil), cfg)
	default:
		return nil, fmt.Errorf("events: no River driver for %q", dia)
	}
	if err != nil {
		return nil, fmt.Errorf("events: river client: %w", err)
	}
	return &Inserter{client: c}, nil
}
