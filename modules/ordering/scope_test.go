package ordering_test

import (
	"context"
	"errors"
	"testing"

	"shop/ent"
	"shop/ent/order"
	"shop/internal/apperr"
	"shop/internal/database"
	"shop/internal/page"
	"shop/internal/testdb"
	"shop/modules/cart"
	"shop/modules/identity"
	"shop/modules/ordering"
)

// placeOrder checks out one unit of the env's first product for userID.
func (e *env) placeOrder(t *testing.T, userID int) *ent.Order {
	t.Helper()
	ctx := context.Background()
	var o *ent.Order
	err := e.run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) (err error) {
		if _, err := e.svc.Cart.Add(ctx, tx.Client(), userID, cart.AddInput{ProductID: &e.products[0], Quantity: new(1)}); err != nil {
			return err
		}
		o, _, err = e.svc.Ordering.Checkout(ctx, tx.Client(), ordering.CheckoutInput{UserID: userID})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestScope: every order read and status change takes a Scope. A user's
// scope sees that user's orders only (another's is not_found); AllUsers sees
// all; a scope nobody made (the zero value, or ForUser of an unset id) is
// refused with ErrNoScope, an internal error, and reads or changes nothing.
func TestScope(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		e := newEnv(t, dia, ordering.Optimistic)
		other, err := e.svc.Identity.CreateUser(ctx, e.client, identity.CreateUserInput{Email: "other@example.com", Password: "password-1", Name: "O", Role: identity.RoleCustomer})
		if err != nil {
			t.Fatal(err)
		}
		mine, theirs := e.placeOrder(t, e.userID), e.placeOrder(t, other.ID)
		first := page.Params{Limit: page.MaxLimit}

		ids := func(t *testing.T, scope ordering.Scope) map[int]bool {
			t.Helper()
			rows, err := e.svc.Ordering.ListOrders(ctx, e.client, scope, ordering.OrderFilter{}, first)
			if err != nil {
				t.Fatal(err)
			}
			out := map[int]bool{}
			for _, o := range rows {
				out[o.ID] = true
			}
			return out
		}
		setStatus := func(id int, scope ordering.Scope, to order.Status) error {
			return e.run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) error {
				_, err := e.svc.Ordering.SetStatus(ctx, tx.Client(), id, scope, to)
				return err
			})
		}
		statusOf := func(t *testing.T, id int) order.Status {
			t.Helper()
			return e.client.Order.GetX(ctx, id).Status
		}

		t.Run("ForUser", func(t *testing.T) {
			if got := ids(t, ordering.ForUser(e.userID)); len(got) != 1 || !got[mine.ID] {
				t.Errorf("ForUser lists %v, want only order %d", got, mine.ID)
			}
			if _, err := e.svc.Ordering.GetOrder(ctx, e.client, mine.ID, ordering.ForUser(e.userID)); err != nil {
				t.Errorf("GetOrder of the user's own order: %v", err)
			}
			if _, err := e.svc.Ordering.GetOrder(ctx, e.client, theirs.ID, ordering.ForUser(e.userID)); database.Translate(err).Code != apperr.NotFound {
				t.Errorf("GetOrder of another user's order = %v, want not_found", err)
			}
			if err := setStatus(theirs.ID, ordering.ForUser(e.userID), order.StatusCancelled); database.Translate(err).Code != apperr.NotFound {
				t.Errorf("SetStatus of another user's order = %v, want not_found", err)
			}
			if got := statusOf(t, theirs.ID); got != order.StatusPending {
				t.Errorf("another user's order is %s after a refused change, want pending", got)
			}
		})

		t.Run("AllUsers", func(t *testing.T) {
			if got := ids(t, ordering.AllUsers()); len(got) != 2 || !got[mine.ID] || !got[theirs.ID] {
				t.Errorf("AllUsers lists %v, want orders %d and %d", got, mine.ID, theirs.ID)
			}
			if _, err := e.svc.Ordering.GetOrder(ctx, e.client, theirs.ID, ordering.AllUsers()); err != nil {
				t.Errorf("GetOrder with AllUsers: %v", err)
			}
		})

		t.Run("ErrNoScope", func(t *testing.T) {
			var unset int // an id nobody filled in
			for name, scope := range map[string]ordering.Scope{
				"ZeroValue":   {},
				"UnsetUserID": ordering.ForUser(unset),
				"NegativeID":  ordering.ForUser(-1),
			} {
				t.Run(name, func(t *testing.T) {
					rows, err := e.svc.Ordering.ListOrders(ctx, e.client, scope, ordering.OrderFilter{}, first)
					if !errors.Is(err, ordering.ErrNoScope) || rows != nil {
						t.Errorf("ListOrders = %d rows, %v; want ErrNoScope", len(rows), err)
					}
					if o, err := e.svc.Ordering.GetOrder(ctx, e.client, theirs.ID, scope); !errors.Is(err, ordering.ErrNoScope) || o != nil {
						t.Errorf("GetOrder = %v, %v; want ErrNoScope", o, err)
					}
					err = setStatus(theirs.ID, scope, order.StatusProcessing)
					if !errors.Is(err, ordering.ErrNoScope) {
						t.Errorf("SetStatus = %v, want ErrNoScope", err)
					}
					// Answered as an internal error: never a read of everyone's orders.
					if code := database.Translate(err).Code; code != apperr.Internal {
						t.Errorf("ErrNoScope is %s, want internal", code)
					}
					if got := statusOf(t, theirs.ID); got != order.StatusPending {
						t.Errorf("order is %s after a refused change, want pending", got)
					}
				})
			}
		})
	})
}
