package schema

import "fmt"

// Order statuses.
const (
	StatusPending    = "pending"
	StatusProcessing = "processing"
	StatusShipped    = "shipped"
	StatusDelivered  = "delivered"
	StatusCancelled  = "cancelled"
)

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
	for _, f := range []string{StatusPending, StatusProcessing, StatusShipped, StatusDelivered, StatusCancelled} {
		if CanTransition(f, to) {
			from = append(from, f)
		}
	}
	return from
}

// TransitionError is returned when the state machine forbids a status change.
// The HTTP layer maps it to 409 invalid_status_transition with from and to.
type TransitionError struct {
	From, To string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("order status cannot change from %q to %q", e.From, e.To)
}

// ConcurrentChangeError is returned when another transaction changed the
// order's status between the read and the write: exactly one of two
// concurrent transitions wins, the other gets this (409 conflict).
type ConcurrentChangeError struct {
	OrderID int
}

func (e *ConcurrentChangeError) Error() string {
	return fmt.Sprintf("order %d was changed concurrently", e.OrderID)
}
