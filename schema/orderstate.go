package schema

import (
	"fmt"

	"shop/internal/apperr"
)

// Order statuses.
const (
	StatusPending    = "pending"
	StatusProcessing = "processing"
	StatusShipped    = "shipped"
	StatusDelivered  = "delivered"
	StatusCancelled  = "cancelled"
)

// Statuses are the order statuses, in the order of their lifecycle: the one
// list the schema's enum, the status-change input and the list filter use.
var Statuses = []string{StatusPending, StatusProcessing, StatusShipped, StatusDelivered, StatusCancelled}

// transitions is the order state machine of API.md: from → allowed targets.
var transitions = map[string][]string{
	StatusPending:    {StatusProcessing, StatusCancelled},
	StatusProcessing: {StatusShipped, StatusCancelled},
	StatusShipped:    {StatusDelivered},
	StatusDelivered:  nil,
	StatusCancelled:  nil,
}

// CanTransition reports whether an order may move from one status to another.
func CanTransition(from, to string) bool {
	for _, t := range transitions[from] {
		if t == to {
			return true
		}
	}
	return false
}

// StatusesFrom returns the statuses an order may move to the given one from.
func StatusesFrom(to string) []string {
	var from []string
	for _, f := range Statuses {
		if CanTransition(f, to) {
			from = append(from, f)
		}
	}
	return from
}

// errTransition is the state machine's refusal of a status change: 409
// invalid_status_transition with from and to ("" when creating an order in
// a status other than pending).
func errTransition(from, to string) *apperr.Error {
	return apperr.New(apperr.InvalidStatusTransition, "an order cannot move from %q to %q", from, to).
		With("from", from).With("to", to)
}

// errConcurrentChange is returned when another transaction changed the
// order's status between the read and the write: exactly one of two
// concurrent transitions wins, the other gets this (409 conflict).
func errConcurrentChange(orderIDs ...int) *apperr.Error {
	return apperr.New(apperr.Conflict, "the order was changed by another request at the same time; reload it and retry").
		Wrap(fmt.Errorf("orders %v were changed concurrently", orderIDs))
}
