package ordering

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"entgo.io/ent/dialect/sql"

	"shop/ent"
	"shop/ent/idempotencykey"
	"shop/ent/order"
	"shop/ent/user"
	"shop/internal/apperr"
	"shop/internal/database"
	"shop/internal/events"
	"shop/internal/money"
	"shop/modules/cart"
	"shop/modules/inventory"
	"shop/modules/pricing"
	"shop/schema"
)

// IdempotencyTTL is how long an Idempotency-Key is remembered.
const IdempotencyTTL = 24 * time.Hour

// CheckoutInput is one checkout request.
type CheckoutInput struct {
	UserID int `json:"-"`
	// ExpectedTotal, when given, must equal the cart's total (else
	// price_changed); REST's body is this member only.
	ExpectedTotal *int64 `json:"expected_total"`
	// IdempotencyKey, if not empty, makes a repeat of the same request by
	// the same user return the first order.
	IdempotencyKey string `json:"-"`
}

// requestHash identifies what was asked, so a key reused for a different
// request is refused.
func (in CheckoutInput) requestHash() string {
	h := sha256.New()
	fmt.Fprintf(h, "checkout\x00user=%d\x00", in.UserID)
	if in.ExpectedTotal != nil {
		h.Write([]byte("expected_total=" + strconv.FormatInt(*in.ExpectedTotal, 10)))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Checkout turns the user's cart into an order, on db, which must be a
// transaction's client: any error leaves nothing behind and the cart as it
// was. It returns the order with its lines, and whether it is a replay of
// an earlier request with the same idempotency key.
//
// Errors: empty_cart, product_unavailable, price_changed,
// insufficient_stock (every short line), idempotency_key_reused,
// validation_failed (a negative expected_total, a total beyond int64),
// database.ErrRetry (run the transaction again).
func (s *Service) Checkout(ctx context.Context, db *ent.Client, in CheckoutInput) (*ent.Order, bool, error) {
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	now := time.Now().UTC()
	hash := in.requestHash()
	var keyID int
	if in.IdempotencyKey != "" {
		// Claim the key first: a concurrent request with the same key waits
		// here until this transaction ends, then replays its order.
		id, o, err := s.claimKey(ctx, db, in, hash, now)
		if err != nil || o != nil {
			return o, o != nil, err
		}
		keyID = id
	}

	// The cart's lines are taken (read and removed) first: a rollback keeps
	// them, and a concurrent checkout of the same cart waits here.
	lines, err := s.Cart.TakeLines(ctx, db, in.UserID)
	if err != nil {
		return nil, false, err
	}
	if len(lines) == 0 {
		// A user who no longer exists has an empty cart too; tell them
		// apart on this refusal only, so a checkout costs no extra read.
		exists, err := db.User.Query().Where(user.ID(in.UserID)).Exist(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("checkout: find user: %w", err)
		}
		if !exists {
			return nil, false, database.ErrUnknownUser()
		}
		return nil, false, apperr.New(apperr.EmptyCart, "the cart is empty")
	}
	var (
		unavailable, unavailableVariants []int
		total                            int64
		stockLines                       = make([]inventory.Line, len(lines))
		subtotals                        = make([]int64, len(lines))
	)
	for i, l := range lines { // lines are in variant-id order
		if !l.ForSale {
			unavailable = append(unavailable, l.ProductID)
			unavailableVariants = append(unavailableVariants, l.VariantID)
			continue
		}
		sub, ok := money.Line(l.Price, l.Quantity)
		if ok {
			total, ok = money.Add(total, sub)
		}
		if !ok {
			return nil, false, apperr.Validation(apperr.Field("total", "the order total is too large"))
		}
		stockLines[i] = inventory.Line{ProductID: l.ProductID, VariantID: l.VariantID, Quantity: l.Quantity}
		subtotals[i] = sub
	}
	if len(unavailable) > 0 {
		return nil, false, productUnavailable(unavailable, unavailableVariants)
	}
	// The cart's code is redeemed here, before any stock row is locked
	// (pricing.Redeem: one guarded statement per limit, +2 statements; a
	// cart without a code costs none).
	subtotal := total
	shares, redeemed, err := s.redeem(ctx, db, in.UserID, lines, subtotal, subtotals)
	if err != nil {
		return nil, false, err
	}
	total = subtotal - redeemed.Amount
	if in.ExpectedTotal != nil && *in.ExpectedTotal != total {
		return nil, false, apperr.New(apperr.PriceChanged, "prices changed since the cart was shown").
			With("expected_total", *in.ExpectedTotal).With("actual_total", total)
	}

	if s.Locking == Pessimistic {
		taken, err := s.Stock.LockStock(ctx, db, stockLines)
		if err != nil {
			return nil, false, err
		}
		if err := refused(taken); err != nil {
			return nil, false, err
		}
	}

	oc := db.Order.Create().
		SetUserID(in.UserID).
		SetSubtotalAmount(subtotal).
		SetTotalAmount(total).
		SetCurrency(s.Currency)
	if redeemed.DiscountID != 0 {
		oc.SetDiscountID(redeemed.DiscountID).SetDiscountCode(redeemed.Code).SetDiscountAmount(redeemed.Amount)
	}
	o, err := oc.Save(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("create order: %w", err)
	}
	items := make([]*ent.OrderItemCreate, len(lines))
	for i, l := range lines {
		items[i] = db.OrderItem.Create().
			SetOrderID(o.ID).
			SetProductID(l.ProductID).
			SetVariantID(l.VariantID).
			SetNillableSku(l.SKU).
			SetOptions(l.Options).
			SetProductName(l.Name).
			SetUnitPrice(l.Price).
			SetQuantity(l.Quantity).
			SetDiscountAmount(shares[i])
	}
	created, err := db.OrderItem.CreateBulk(items...).Save(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("create order lines: %w", err)
	}
	o.Edges.Items = created
	// order.created is assembled here, the one place that holds the order
	// and all its lines; the outbox writes it only if the checkout commits.
	events.FromContext(ctx).Add(events.OrderCreated, events.NewOrder(o, created))
	// Everything else is written before the sale: from its stock decrement
	// (its last statement) to the commit the transaction holds the
	// products' row locks, so nothing but COMMIT follows it.
	if keyID != 0 {
		if err := db.IdempotencyKey.Update().Where(idempotencykey.ID(keyID)).SetOrderID(o.ID).Exec(ctx); err != nil {
			return nil, false, fmt.Errorf("record idempotency key: %w", err)
		}
	}
	taken, err := s.Stock.Sell(ctx, db, o.ID, stockLines)
	if err != nil {
		return nil, false, err
	}
	if err := refused(taken); err != nil {
		return nil, false, err
	}
	return o, false, nil
}

// redeem redeems the cart's discount code, if it has one (the lines carry
// it), against the subtotal, and shares the amount over the lines in
// their order (money.Allocate: the shares add up exactly to the amount and
// none exceeds its line). It returns the lines' shares and the redemption
// (zero without a code).
func (s *Service) redeem(ctx context.Context, db *ent.Client, userID int, lines []cart.Line, subtotal int64, subtotals []int64) ([]int64, pricing.Redemption, error) {
	shares := make([]int64, len(lines))
	if s.Discounts == nil || lines[0].DiscountID == 0 {
		return shares, pricing.Redemption{}, nil
	}
	r, err := s.Discounts.Redeem(ctx, db, userID, lines[0].DiscountID, subtotal)
	if err != nil {
		return nil, r, err
	}
	if shares, err = money.Allocate(r.Amount, subtotals); err != nil {
		return nil, r, fmt.Errorf("share discount: %w", err)
	}
	return shares, r, nil
}

// claimKey inserts the (user, key) row, or, if it exists, returns the order
// of the earlier request with that key (an expired key is forgotten and
// claimed anew). It returns the new row's id, or the order to replay.
func (s *Service) claimKey(ctx context.Context, db *ent.Client, in CheckoutInput, hash string, now time.Time) (int, *ent.Order, error) {
	for attempt := 0; attempt < 2; attempt++ {
		ins := sql.Dialect(s.Dialect).Insert(idempotencykey.Table).
			Columns(idempotencykey.FieldUserID, idempotencykey.FieldKey, idempotencykey.FieldRequestHash,
				idempotencykey.FieldExpiresAt, idempotencykey.FieldCreatedAt).
			Values(in.UserID, in.IdempotencyKey, hash, now.Add(IdempotencyTTL), now.Truncate(time.Microsecond)).
			OnConflict(sql.ConflictColumns(idempotencykey.FieldUserID, idempotencykey.FieldKey), sql.DoNothing()).
			Returning(idempotencykey.FieldID)
		query, args := ins.Query()
		rows, err := db.QueryContext(ctx, query, args...)
		if err != nil {
			return 0, nil, fmt.Errorf("claim idempotency key: %w", err)
		}
		id := 0
		if rows.Next() {
			err = rows.Scan(&id)
		}
		if err == nil {
			err = rows.Err()
		}
		rows.Close()
		if err != nil {
			return 0, nil, fmt.Errorf("claim idempotency key: %w", err)
		}
		if id != 0 {
			return id, nil, nil
		}
		k, err := db.IdempotencyKey.Query().
			Where(idempotencykey.UserID(in.UserID), idempotencykey.Key(in.IdempotencyKey)).
			Only(ctx)
		if err != nil {
			return 0, nil, fmt.Errorf("idempotency key: %w", err)
		}
		if !k.ExpiresAt.After(now) {
			n, err := db.IdempotencyKey.Delete().Where(idempotencykey.ID(k.ID)).Exec(ctx)
			if err != nil {
				return 0, nil, fmt.Errorf("expire idempotency key: %w", err)
			}
			if n == 0 {
				// A concurrent request expired it first and claimed it anew:
				// a fresh attempt replays that request's order.
				return 0, nil, database.ErrRetry
			}
			continue
		}
		if k.RequestHash != hash {
			return 0, nil, apperr.New(apperr.IdempotencyKeyReused, "this Idempotency-Key was used for a different request")
		}
		if k.OrderID == nil {
			return 0, nil, database.ErrRetry
		}
		o, err := db.Order.Query().Where(order.ID(*k.OrderID)).WithItems().Only(schema.SkipSoftDelete(ctx))
		return 0, o, err
	}
	return 0, nil, database.ErrRetry
}

// refused is the error of a stock take that did not cover every line.
func refused(t inventory.Taken) error {
	switch {
	case len(t.UnavailableVariants) > 0:
		return productUnavailable(t.Unavailable, t.UnavailableVariants)
	case len(t.Short) > 0:
		return apperr.New(apperr.InsufficientStock, "not enough stock for %d of the cart's products", len(t.Short)).With("items", t.Short)
	}
	return nil
}

func productUnavailable(productIDs, variantIDs []int) error {
	if productIDs == nil {
		productIDs = []int{}
	}
	return apperr.New(apperr.ProductUnavailable, "some variants in the cart are no longer for sale").
		With("product_ids", productIDs).With("variant_ids", variantIDs)
}
