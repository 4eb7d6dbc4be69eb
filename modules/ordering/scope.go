package ordering

import "errors"

// Scope is whose orders an operation may see and change: one user's
// (ForUser) or every user's (AllUsers). It is a parameter of every order
// read and status change, so a caller has to say which it means; there is
// no id that stands for "everyone". The zero value is no scope at all and is
// refused with ErrNoScope, so an id left unset (0) can never widen access.
type Scope struct {
	userID int
	all    bool
}

// ErrNoScope is returned for a Scope that was not made by ForUser or
// AllUsers, or by ForUser with an id that is no user's (0 or below): a
// programming error, answered as internal, never as a wider read.
var ErrNoScope = errors.New("ordering: no scope: use ForUser(id) or AllUsers()")

// ForUser is one user's orders: a customer's own, or the orders an admin
// filters by user. Another user's order is not_found, never forbidden.
func ForUser(id int) Scope { return Scope{userID: id} }

// AllUsers is every user's orders (administration).
func AllUsers() Scope { return Scope{all: true} }

// check returns ErrNoScope unless s was made by ForUser with a user's id or
// by AllUsers.
func (s Scope) check() error {
	if s.all == (s.userID > 0) { // neither, or (impossibly) both
		return ErrNoScope
	}
	return nil
}
