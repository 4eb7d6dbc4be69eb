// Package events records what happened in the shop (an order created, a
// product changed, stock running low) in the same database transaction as
// the change: the schema hooks call Record, and when the transaction
// commits, every event it recorded is inserted as a River job by ONE
// statement inside that transaction (River's InsertManyTx). A rolled-back
// change leaves no event; a committed one is in River's table and survives a
// crash. The integrations module's workers turn each event job into one
// delivery job per subscribed webhook.
package events

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	gen "shop/ent"
)

// Event types, the closed set of API.md.
const (
	OrderCreated       = "order.created"
	OrderStatusChanged = "order.status_changed"
	ProductCreated     = "product.created"
	ProductUpdated     = "product.updated"
	ProductDeleted     = "product.deleted"
	InventoryLowStock  = "inventory.low_stock"
)

// Types lists every event type a webhook may subscribe to.
var Types = []string{OrderCreated, OrderStatusChanged, ProductCreated, ProductUpdated, ProductDeleted, InventoryLowStock}

// Queue is the River queue of event and delivery jobs.
const Queue = "webhooks"

// Args is the River job of one event: recorded in the causing transaction,
// fanned out to the subscribed webhooks by the integrations worker.
type Args struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Kind is River's name of the job.
func (Args) Kind() string { return "shop_event" }

// InsertOpts puts event jobs on the webhooks queue.
func (Args) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: Queue} }

// NewID returns a new event id: "evt_" and 26 base32 characters of
// randomness, stable across every delivery attempt (the webhook-id).
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	out := make([]byte, 0, 30)
	out = append(out, "evt_"...)
	var acc uint32
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out = append(out, alphabet[(acc>>uint(bits))&31])
		}
	}
	return string(out)
}

// recorded is an event waiting for its transaction to commit. Its data is
// marshalled at commit, so a hook later in the transaction can complete it
// (the lines of a new order are written after the order).
type recorded struct {
	args Args
	key  string
	data any
}

// pending holds the events of open transactions until they commit.
var pending = struct {
	sync.Mutex
	byTx map[*sql.Tx][]*recorded
}{byTx: map[*sql.Tx][]*recorded{}}

// Record records an event of type typ with data in the transaction of c
// (a hook passes its mutation's Client()).
// The events of a transaction are written when it commits, by one INSERT
// for all of them; a failing insert fails the commit, and a rollback drops
// them. key, if not empty, names the event for Lookup. Outside a
// transaction the event is written at once in a transaction of its own
// (not atomic with the write: every shop path writes in a transaction).
func Record(ctx context.Context, c *gen.Client, typ, key string, data any) error {
	ev := &recorded{args: Args{ID: NewID(), Type: typ, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}, key: key, data: data}
	stx := c.SQLTx()
	if stx == nil {
		return insertAlone(ctx, c, ev)
	}
	pending.Lock()
	evs, seen := pending.byTx[stx]
	pending.byTx[stx] = append(evs, ev)
	pending.Unlock()
	if seen {
		return nil
	}
	tx, err := c.CurrentTx()
	if err != nil {
		return err
	}
	tx.OnCommit(func(next gen.Committer) gen.Committer {
		return gen.CommitFunc(func(ctx context.Context, tx *gen.Tx) error {
			evs := take(stx)
			if err := insert(ctx, tx.Client().Dialect(), stx, evs); err != nil {
				_ = stx.Rollback()
				return err
			}
			return next.Commit(ctx, tx)
		})
	})
	tx.OnRollback(func(next gen.Rollbacker) gen.Rollbacker {
		return gen.RollbackFunc(func(ctx context.Context, tx *gen.Tx) error {
			take(stx)
			return next.Rollback(ctx, tx)
		})
	})
	return nil
}

// Lookup returns the data of the event recorded under key in the
// transaction of c and not yet written, or nil.
func Lookup(c *gen.Client, key string) any {
	stx := c.SQLTx()
	if stx == nil {
		return nil
	}
	pending.Lock()
	defer pending.Unlock()
	for _, ev := range pending.byTx[stx] {
		if ev.key == key {
			return ev.data
		}
	}
	return nil
}

func take(stx *sql.Tx) []*recorded {
	pending.Lock()
	defer pending.Unlock()
	evs := pending.byTx[stx]
	delete(pending.byTx, stx)
	return evs
}

// insert writes evs as River jobs inside stx: one statement.
func insert(ctx context.Context, dia string, stx *sql.Tx, evs []*recorded) error {
	if len(evs) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(evs))
	for i, ev := range evs {
		raw, err := json.Marshal(ev.data)
		if err != nil {
			return fmt.Errorf("event %s: %w", ev.args.Type, err)
		}
		ev.args.Data = raw
		params[i] = river.InsertManyParams{Args: ev.args}
	}
	rc, err := Inserter(dia)
	if err != nil {
		return err
	}
	if _, err := rc.InsertManyFastTx(ctx, stx, params); err != nil {
		return fmt.Errorf("record events: %w", err)
	}
	return nil
}

func insertAlone(ctx context.Context, c *gen.Client, ev *recorded) error {
	tx, err := c.Tx(ctx)
	if err != nil {
		return err
	}
	if err := insert(ctx, c.Dialect(), tx.Client().SQLTx(), []*recorded{ev}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

var inserters = struct {
	sync.Mutex
	byDialect map[string]*river.Client[*sql.Tx]
}{byDialect: map[string]*river.Client[*sql.Tx]{}}

// Inserter returns an insert-only River client of the dialect: it holds no
// pool and no workers, and only inserts into a transaction it is given, so
// one per process is shared by every transaction (it is stateless config).
func Inserter(dia string) (*river.Client[*sql.Tx], error) {
	inserters.Lock()
	defer inserters.Unlock()
	if c, ok := inserters.byDialect[dia]; ok {
		return c, nil
	}
	var (
		c   *river.Client[*sql.Tx]
		err error
	)
	// It never fetches; the long cooldown also spaces the pg_notify River
	// sends after an insert to once an hour, so recording events costs a
	// transaction one statement (the INSERT), not two. Workers poll anyway.
	cfg := &river.Config{FetchCooldown: time.Hour, FetchPollInterval: time.Hour}
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
	inserters.byDialect[dia] = c
	return c, nil
}
