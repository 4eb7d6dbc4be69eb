package integrations

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"shop/ent"
	"shop/ent/webhook"
	"shop/internal/events"
)

// DeliveryTimeout is how long a receiver has to answer (API.md: 10 s).
const DeliveryTimeout = 10 * time.Second

// maxResponseRead is how much of a receiver's answer is read.
const maxResponseRead = 64 << 10

// DeliveryArgs is the River job of one event to one webhook. The body is
// fixed when the job is made, so every attempt sends the same bytes.
type DeliveryArgs struct {
	WebhookID int             `json:"webhook_id"`
	EventID   string          `json:"event_id"`
	EventType string          `json:"event_type"`
	Body      json.RawMessage `json:"body"`
}

// Kind is River's name of the job.
func (DeliveryArgs) Kind() string { return "webhook_delivery" }

// DeliveryTag is the River tag of a webhook's deliveries: the delivery log
// lists jobs by it (tags are filterable on both River drivers).
func DeliveryTag(webhookID int) string { return "webhook-" + strconv.Itoa(webhookID) }

// Backoff is the retry schedule of deliveries: Base doubled per attempt up
// to Cap, plus up to 25% jitter (never less than the nominal delay), for as
// many attempts as it takes for the delays to add up to Window.
type Backoff struct {
	Base, Cap, Window time.Duration
}

// nominal is the delay after attempt n (1-based), before jitter.
func (b Backoff) nominal(n int) time.Duration {
	d := b.Base
	for i := 1; i < n && d < b.Cap; i++ {
		d *= 2
	}
	return min(d, b.Cap)
}

// MaxAttempts is the number of attempts whose delays cover Window.
func (b Backoff) MaxAttempts() int {
	var total time.Duration
	n := 1
	for total < b.Window {
		total += b.nominal(n)
		n++
	}
	return n
}

// Next is when attempt n+1 runs after attempt n failed at now.
func (b Backoff) Next(now time.Time, n int) time.Time {
	d := b.nominal(n)
	jitter := time.Duration(rand.Int64N(int64(d)/4 + 1))
	return now.Add(d + jitter)
}

// eventWorker turns an event into one delivery job per subscribed, active
// webhook, and completes itself in the same transaction: no delivery is
// made twice or lost if the process dies in between. An event no webhook
// subscribes to opens no transaction: the worker returns and River's
// completer marks it completed with others in one batch (run again after a
// crash, it finds nothing to do again), so an event nobody listens to costs
// no commit of its own (docs/benchmarks.md, issue 21).
type eventWorker struct {
	river.WorkerDefaults[events.Args]
	db      *ent.Client
	dialect string
	backoff Backoff
}

// Body is what a webhook receives (Standard Webhooks' payload shape).
type Body struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

func (w *eventWorker) Work(ctx context.Context, job *river.Job[events.Args]) error {
	hooks, err := w.db.Webhook.Query().Where(webhook.Active(true)).All(ctx)
	if err != nil {
		return fmt.Errorf("subscribed webhooks: %w", err)
	}
	var (
		params []river.InsertManyParams
		body   []byte
	)
	for _, h := range hooks {
		if !slices.Contains(h.Events, job.Args.Type) {
			continue
		}
		if body == nil {
			if body, err = json.Marshal(Body{ID: job.Args.ID, Type: job.Args.Type, CreatedAt: job.Args.CreatedAt, Data: job.Args.Data}); err != nil {
				return err
			}
		}
		params = append(params, river.InsertManyParams{
			Args: DeliveryArgs{WebhookID: h.ID, EventID: job.Args.ID, EventType: job.Args.Type, Body: body},
			InsertOpts: &river.InsertOpts{
				Queue:       events.Queue,
				MaxAttempts: w.backoff.MaxAttempts(),
				Tags:        []string{DeliveryTag(h.ID)},
			},
		})
	}
	if len(params) == 0 {
		return nil
	}
	tx, err := w.db.Tx(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	stx := tx.Client().SQLTx()
	client := river.ClientFromContext[*sql.Tx](ctx)
	if _, err := client.InsertManyTx(ctx, stx, params); err != nil {
		return fmt.Errorf("insert deliveries: %w", err)
	}
	if err := completeTx(ctx, w.dialect, stx, job); err != nil {
		return fmt.Errorf("complete event: %w", err)
	}
	return tx.Commit()
}

// deliveryWorker sends one event to one webhook.
type deliveryWorker struct {
	river.WorkerDefaults[DeliveryArgs]
	db      *ent.Client
	http    *http.Client
	backoff Backoff
	metrics *metrics
	log     *slog.Logger
}

// Outcome is what an attempt recorded (River keeps it as the job's output).
type Outcome struct {
	StatusCode int `json:"status_code,omitempty"`
}

// NextRetry is the backoff schedule.
func (w *deliveryWorker) NextRetry(job *river.Job[DeliveryArgs]) time.Time {
	return w.backoff.Next(time.Now(), job.Attempt)
}

// Timeout leaves room for the 10 s of the request.
func (w *deliveryWorker) Timeout(*river.Job[DeliveryArgs]) time.Duration {
	return DeliveryTimeout + 5*time.Second
}

func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[DeliveryArgs]) error {
	h, err := w.db.Webhook.Get(ctx, job.Args.WebhookID)
	if ent.IsNotFound(err) {
		return river.JobCancel(errors.New("the webhook was deleted"))
	}
	if err != nil {
		return err
	}
	if !h.Active {
		return river.JobCancel(errors.New("the webhook was deactivated"))
	}
	start := time.Now()
	code, err := w.send(ctx, h, job.Args)
	_ = river.RecordOutput(ctx, Outcome{StatusCode: code})
	outcome := "succeeded"
	switch {
	case err == nil:
		w.metrics.latency.Observe(time.Since(job.Args.createdAt()).Seconds())
	case job.Attempt >= job.MaxAttempts:
		outcome = "failed"
	default:
		outcome = "retried"
	}
	w.metrics.deliveries.WithLabelValues(job.Args.EventType, outcome).Inc()
	w.metrics.duration.Observe(time.Since(start).Seconds())
	return err
}

func (a DeliveryArgs) createdAt() time.Time {
	var b Body
	_ = json.Unmarshal(a.Body, &b)
	return b.CreatedAt
}

// send makes one attempt and returns the receiver's status code (0 if it
// never answered) and an error unless it answered 2xx.
func (w *deliveryWorker) send(ctx context.Context, h *ent.Webhook, a DeliveryArgs) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, DeliveryTimeout)
	defer cancel()
	ts := time.Now().Unix()
	sig, err := Sign(h.Secret, a.EventID, ts, a.Body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(a.Body))
	if err != nil {
		return 0, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "shop-webhooks/1")
	req.Header.Set("webhook-id", a.EventID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := w.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("POST %s: %w", redactURL(h.URL), unwrapURLError(err))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseRead))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(snippet[:min(len(snippet), 200)])))
	}
	return resp.StatusCode, nil
}

func unwrapURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

func redactURL(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i]
	}
	return raw
}

// Sign is the Standard Webhooks 1.0 signature of a message: "v1," and the
// base64 HMAC-SHA256 of id.timestamp.body, keyed with the base64-decoded
// secret after "whsec_".
func Sign(secret, id string, ts int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
