package integrations

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"shop/internal/apperr"
)

// The delivery statuses of API.md (REST's strings; GraphQL's DeliveryStatus
// binds its PENDING, SUCCEEDED and FAILED to them).
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// Delivery statuses of API.md, each a set of River job states: River's job
// table is the delivery log (no second copy to keep in step).
var deliveryStates = map[string][]rivertype.JobState{
	DeliveryPending: {rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled},
	DeliverySucceeded: {rivertype.JobStateCompleted},
	DeliveryFailed:    {rivertype.JobStateDiscarded, rivertype.JobStateCancelled},
}

// DeliveryStatuses are the values of the status filter.
var DeliveryStatuses = []string{DeliveryPending, DeliverySucceeded, DeliveryFailed}

// StoppedMessage is the delivery log's last_error of a delivery that was
// cancelled because its endpoint was deactivated or deleted.
const StoppedMessage = "stopped: the endpoint was deactivated or deleted before this delivery succeeded"

// riverCancelPrefix starts the error River records when the worker cancels
// a job (river.JobCancel).
const riverCancelPrefix = "JobCancelError"

// Delivery is one event's delivery to one webhook, read from its River job.
type Delivery struct {
	ID             int64      `json:"id"`
	EventID        string     `json:"event_id"`
	EventType      string     `json:"event_type"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	LastStatusCode *int       `json:"last_status_code"`
	LastError      *string    `json:"last_error"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	CreatedAt      time.Time  `json:"created_at"`
	DeliveredAt    *time.Time `json:"delivered_at"`
}

func statusOf(s rivertype.JobState) string {
	for name, states := range deliveryStates {
		for _, st := range states {
			if st == s {
				return name
			}
		}
	}
	return DeliveryPending
}

// toDelivery maps a delivery job; ok is false for a job of another kind.
func toDelivery(j *rivertype.JobRow) (Delivery, bool) {
	var a DeliveryArgs
	if j.Kind != (DeliveryArgs{}).Kind() || json.Unmarshal(j.EncodedArgs, &a) != nil {
		return Delivery{}, false
	}
	d := Delivery{ID: j.ID, EventID: a.EventID, EventType: a.EventType, Status: statusOf(j.State),
		Attempts: j.Attempt, CreatedAt: j.CreatedAt.UTC()}
	// River counts a run of the worker that cancelled the job (the
	// endpoint was gone) as an attempt and records River's own error; only
	// requests sent count here, and only their errors are shown.
	var lastSent string
	for _, e := range j.Errors {
		if strings.HasPrefix(e.Error, riverCancelPrefix) {
			d.Attempts--
			continue
		}
		lastSent = e.Error
	}
	d.Attempts = max(d.Attempts, 0)
	if lastSent != "" {
		d.LastError = &lastSent
	}
	if j.State == rivertype.JobStateCancelled {
		msg := StoppedMessage
		if lastSent != "" {
			msg += "; the last attempt failed: " + lastSent
		}
		d.LastError = &msg
	}
	var out Outcome
	if raw := j.Output(); len(raw) > 0 && json.Unmarshal(raw, &out) == nil && out.StatusCode != 0 {
		code := out.StatusCode
		d.LastStatusCode = &code
	}
	switch d.Status {
	case DeliveryPending:
		t := j.ScheduledAt.UTC()
		d.NextAttemptAt = &t
	case DeliverySucceeded:
		if j.FinalizedAt != nil {
			t := j.FinalizedAt.UTC()
			d.DeliveredAt = &t
		}
		d.LastError = nil
	}
	return d, true
}

// ListDeliveries returns a page of a webhook's deliveries, newest first,
// optionally of one status, and the cursor of the next page ("" at the end).
func (r *Runner) ListDeliveries(ctx context.Context, webhookID int, status string, limit int, cursor string) ([]Delivery, string, error) {
	params := river.NewJobListParams().Kinds((DeliveryArgs{}).Kind()).TagsAny(DeliveryTag(webhookID)).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit)
	if status != "" {
		params = params.States(deliveryStates[status]...)
	}
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		var c river.JobListCursor
		if err != nil || len(cursor) > 1024 || c.UnmarshalText(raw) != nil {
			return nil, "", apperr.Validation(apperr.Field("cursor", "malformed cursor"))
		}
		params = params.After(&c)
	}
	res, err := r.Client.JobList(ctx, params)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	out := make([]Delivery, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		if d, ok := toDelivery(j); ok {
			out = append(out, d)
		}
	}
	next := ""
	if len(res.Jobs) == limit && res.LastCursor != nil {
		// A full page has a next one only if a job follows it: the last
		// page's next_cursor is null, as on every other list.
		more, err := r.Client.JobList(ctx, params.After(res.LastCursor).First(1))
		if err != nil {
			return nil, "", fmt.Errorf("list deliveries: %w", err)
		}
		if len(more.Jobs) == 0 {
			return out, "", nil
		}
		text, err := res.LastCursor.MarshalText()
		if err != nil {
			return nil, "", err
		}
		next = base64.RawURLEncoding.EncodeToString(text)
	}
	return out, next, nil
}

// CancelDeliveries cancels every delivery of the webhook that has not
// finished (scheduled, retrying or running), at once, when the endpoint is
// deactivated or deleted: none of them is sent afterwards, even if the
// endpoint is re-activated. It returns how many it cancelled. Run it after
// the change committed; a delivery it misses (the process died in between)
// is still cancelled by the worker, which checks the endpoint before each
// attempt.
func (r *Runner) CancelDeliveries(ctx context.Context, webhookID int) (int, error) {
	params := river.NewJobListParams().Kinds((DeliveryArgs{}).Kind()).TagsAny(DeliveryTag(webhookID)).
		States(deliveryStates[DeliveryPending]...).OrderBy(river.JobListOrderByID, river.SortOrderAsc).First(100)
	n := 0
	for {
		res, err := r.Client.JobList(ctx, params)
		if err != nil {
			return n, fmt.Errorf("list pending deliveries: %w", err)
		}
		for _, j := range res.Jobs {
			if _, err := r.Client.JobCancel(ctx, j.ID); err != nil && !errors.Is(err, river.ErrNotFound) {
				return n, fmt.Errorf("cancel delivery %d: %w", j.ID, err)
			}
			n++
		}
		if len(res.Jobs) < 100 || res.LastCursor == nil {
			return n, nil
		}
		params = params.After(res.LastCursor)
	}
}

// RetryDelivery schedules a delivery of the webhook again now, whatever its
// state (a succeeded one is sent once more); not_found if it is not one of
// the webhook's deliveries.
func (r *Runner) RetryDelivery(ctx context.Context, webhookID int, id int64) (Delivery, error) {
	j, err := r.Client.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return Delivery{}, apperr.New(apperr.NotFound, "no such delivery")
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("get delivery: %w", err)
	}
	if d, ok := toDelivery(j); !ok || !hasTag(j, DeliveryTag(webhookID)) {
		return d, apperr.New(apperr.NotFound, "no such delivery")
	}
	j, err = r.Client.JobRetry(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return Delivery{}, apperr.New(apperr.NotFound, "no such delivery")
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("retry delivery: %w", err)
	}
	d, _ := toDelivery(j)
	return d, nil
}

func hasTag(j *rivertype.JobRow, tag string) bool {
	for _, t := range j.Tags {
		if t == tag {
			return true
		}
	}
	return false
}
