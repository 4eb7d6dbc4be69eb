package ordering

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"shop/ent"
	"shop/ent/order"
	"shop/internal/apperr"
	"shop/internal/database"
	"shop/internal/events"
	"shop/internal/httpserver"
	"shop/internal/page"
	"shop/modules/identity"
	"shop/schema"
)

// HTTP serves checkout and orders.
type HTTP struct {
	Svc      *Service
	DB       *ent.Client
	Tx       *database.Runner // every write
	checkout *database.Runner // Tx, counting its retries
	outcomes *prometheus.CounterVec
	retries  prometheus.Counter
}

// NewHTTP returns the ordering endpoints, registering their metrics.
func NewHTTP(svc *Service, tx *database.Runner, reg prometheus.Registerer) *HTTP {
	h := &HTTP{
		Svc: svc, DB: tx.Client, Tx: tx,
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shop_checkout_total", Help: "Checkouts by outcome (created, replayed, or the error code).",
		}, []string{"outcome"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shop_checkout_retries_total", Help: "Checkout transactions run again after a deadlock, serialization failure or busy database.",
		}),
	}
	reg.MustRegister(h.outcomes, h.retries)
	h.checkout = tx.OnRetry(func(error) { h.retries.Inc() })
	return h
}

// ItemJSON is one line of an Order; OrderJSON is the Order of API.md. Both
// are the shapes webhook events carry (internal/events), so REST and events
// can't drift apart.
type (
	ItemJSON  = events.OrderItem
	OrderJSON = events.Order
)

// ToOrderJSON maps an order loaded with its items (events.NewOrder, the
// one mapping), lines by product id, then variant id.
func ToOrderJSON(o *ent.Order) OrderJSON {
	out := *events.NewOrder(o, o.Edges.Items)
	sort.Slice(out.Items, func(i, j int) bool {
		a, b := out.Items[i], out.Items[j]
		return a.ProductID < b.ProductID || a.ProductID == b.ProductID && a.VariantID < b.VariantID
	})
	return out
}

// Checkout turns the caller's cart into an order, once per Idempotency-Key.
func (h *HTTP) Checkout(c echo.Context) error {
	key := c.Request().Header.Get("Idempotency-Key")
	if _, present := c.Request().Header["Idempotency-Key"]; present &&
		(key == "" || utf8.RuneCountInString(key) > schema.MaxKeyLength || !httpserver.CleanText(key)) {
		h.outcomes.WithLabelValues(string(apperr.ValidationFailed)).Inc()
		return apperr.Validation(apperr.Field("Idempotency-Key", "must be 1 to 255 characters"))
	}
	var in CheckoutInput
	if err := httpserver.BindOptional(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	in.UserID, in.IdempotencyKey = identity.UserID(c), key
	var (
		o        *ent.Order
		replayed bool
	)
	err := h.checkout.Exec(ctx, func(ctx context.Context, db *ent.Client) (err error) {
		o, replayed, err = h.Svc.Checkout(ctx, db, in)
		return err
	})
	if err != nil {
		h.outcomes.WithLabelValues(string(database.Translate(err).Code)).Inc()
		return err
	}
	status := http.StatusCreated
	if replayed {
		status = http.StatusOK
		c.Response().Header().Set("Idempotent-Replayed", "true")
		h.outcomes.WithLabelValues("replayed").Inc()
	} else {
		h.outcomes.WithLabelValues("created").Inc()
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/orders/"+strconv.Itoa(o.ID))
	}
	return c.JSON(status, ToOrderJSON(o))
}

// list answers a page of the scope's orders; with byUser, an admin's
// user_id narrows it to that user.
func (h *HTTP) list(c echo.Context, scope Scope, byUser bool) error {
	q := httpserver.NewQuery(c)
	var f OrderFilter
	f.Status = q.OneOf("status", "", schema.Statuses...)
	if byUser {
		if uid := q.Int64("user_id", 1, 1<<53); uid != nil {
			scope = ForUser(int(*uid))
		}
	}
	return httpserver.List(c, q, page.NewestFirst,
		func(ctx context.Context, p page.Params) ([]*ent.Order, error) {
			return h.Svc.ListOrders(ctx, h.DB, scope, f, p)
		},
		ToOrderJSON, page.ByID(func(o *ent.Order) int { return o.ID }))
}

// ListOwn answers a page of the caller's orders.
func (h *HTTP) ListOwn(c echo.Context) error { return h.list(c, ForUser(identity.UserID(c)), false) }

// ListAll answers a page of every user's orders, or of one user's with user_id.
func (h *HTTP) ListAll(c echo.Context) error { return h.list(c, AllUsers(), true) }

// GetOwn answers one of the caller's orders; anyone else's is not_found.
func (h *HTTP) GetOwn(c echo.Context) error {
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	o, err := h.Svc.GetOrder(c.Request().Context(), h.DB, id, ForUser(identity.UserID(c)))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ToOrderJSON(o))
}

// Cancel cancels one of the caller's orders and restocks its lines.
func (h *HTTP) Cancel(c echo.Context) error {
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	return h.transition(c, id, ForUser(identity.UserID(c)), order.StatusCancelled)
}

// SetStatus moves any order along the state machine.
func (h *HTTP) SetStatus(c echo.Context) error {
	var in StatusChange
	id, err := httpserver.BindID(c, "id", &in)
	if err != nil {
		return err
	}
	return h.transition(c, id, AllUsers(), order.Status(in.Status))
}

func (h *HTTP) transition(c echo.Context, id int, scope Scope, to order.Status) error {
	ctx := c.Request().Context()
	o, err := database.Write(ctx, h.Tx, func(ctx context.Context, db *ent.Client) (*ent.Order, error) {
		return h.Svc.SetStatus(ctx, db, id, scope, to)
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ToOrderJSON(o))
}
