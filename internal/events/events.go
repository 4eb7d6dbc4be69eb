// Package events records what happened in the shop (an order created, a
// product changed, stock running low) in the same database transaction as
// the change. The transaction runner (database.Runner) gives every
// transaction an Outbox in its context; hooks and services add to it
// (events.FromContext(ctx).Add(typ, data)), and just before COMMIT the
// runner inserts its events as River jobs by ONE statement inside that
// transaction (Inserter), those that an active webhook subscribes to: an
// event nobody listens to is never a job. A rolled-back change leaves no
// event; a committed one is in River's table and survives a crash. The
// integrations module's workers turn each event job into one delivery job
// per subscribed webhook. The package holds no state of its own.
package events

import (
	"crypto/rand"
	"encoding/json"
	"time"

	"github.com/riverqueue/river"
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
