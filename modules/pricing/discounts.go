package pricing

import (
	"context"
	"fmt"
	"time"

	"shop/ent"
	"shop/ent/discount"
	"shop/ent/order"
	"shop/ent/predicate"
	"shop/internal/apperr"
	"shop/internal/page"
	"shop/schema"
)

// CreateDiscount creates a discount. Errors: validation_failed, conflict
// (a live discount has this code, in any case: the unique index on
// code_key).
func (s *Service) CreateDiscount(ctx context.Context, db *ent.Client, in DiscountInput) (*ent.Discount, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	c := db.Discount.Create().SetCode(in.Code).SetType(discount.Type(in.Type)).SetValue(*in.Value).
		SetNillableMinSubtotal(in.MinSubtotal).SetNillableStartsAt(utc(in.StartsAt)).SetNillableEndsAt(utc(in.EndsAt)).
		SetNillableUsageLimit(in.UsageLimit).SetNillablePerCustomerLimit(in.PerCustomerLimit).
		SetNillableIsActive(in.IsActive)
	d, err := c.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create discount: %w", err)
	}
	return d, nil
}

// UpdateDiscount changes a live discount. Errors: validation_failed,
// not_found, conflict (a usage_limit below times_used, or a window that
// ends before it starts: the CHECKs).
func (s *Service) UpdateDiscount(ctx context.Context, db *ent.Client, id int, p DiscountPatch) (*ent.Discount, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	u := db.Discount.UpdateOneID(id).SetNillableMinSubtotal(p.MinSubtotal).SetNillableIsActive(p.IsActive)
	if p.StartsAtSet {
		if p.StartsAt == nil {
			u.ClearStartsAt()
		} else {
			u.SetStartsAt(p.StartsAt.UTC())
		}
	}
	if p.EndsAtSet {
		if p.EndsAt == nil {
			u.ClearEndsAt()
		} else {
			u.SetEndsAt(p.EndsAt.UTC())
		}
	}
	if p.UsageLimitSet {
		if p.UsageLimit == nil {
			u.ClearUsageLimit()
		} else {
			u.SetUsageLimit(*p.UsageLimit)
		}
	}
	if p.PerCustomerSet {
		if p.PerCustomerLimit == nil {
			u.ClearPerCustomerLimit()
		} else {
			u.SetPerCustomerLimit(*p.PerCustomerLimit)
		}
	}
	d, err := u.Save(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "no such discount")
	}
	if err != nil {
		return nil, fmt.Errorf("update discount: %w", err)
	}
	return d, nil
}

// DeleteDiscount soft-deletes a discount: its code stops working at once
// (carts holding it show it as discount_invalid); orders keep it.
// Errors: not_found.
func (s *Service) DeleteDiscount(ctx context.Context, db *ent.Client, id int) error {
	err := db.Discount.DeleteOneID(id).Exec(ctx)
	if ent.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "no such discount")
	}
	return err
}

// GetDiscount returns a live discount. Errors: not_found.
func (s *Service) GetDiscount(ctx context.Context, db *ent.Client, id int) (*ent.Discount, error) {
	d, err := db.Discount.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "no such discount")
	}
	return d, err
}

// ListDiscounts returns up to limit+1 live discounts after the cursor,
// newest first; a code narrows it to that code (case-insensitive).
func (s *Service) ListDiscounts(ctx context.Context, db *ent.Client, code string, p page.Params) ([]*ent.Discount, error) {
	q := db.Discount.Query()
	if code != "" {
		q.Where(discount.CodeKey(schema.DiscountKey(code)))
	}
	return q.Where(predicate.Discount(page.NewestFirst.After(p.Cursor))).
		Order(page.NewestFirst.Order()).Limit(p.Limit + 1).All(ctx)
}

// Redemptions returns up to limit+1 orders that redeemed a live discount
// and are not cancelled, after the cursor, newest first: an order is its
// code's redemption record (order id, user, amount, time). Errors:
// not_found.
func (s *Service) Redemptions(ctx context.Context, db *ent.Client, id int, p page.Params) ([]*ent.Order, error) {
	if _, err := s.GetDiscount(ctx, db, id); err != nil {
		return nil, err
	}
	return db.Order.Query().
		Where(order.DiscountID(id), order.StatusNEQ(order.StatusCancelled)).
		Where(predicate.Order(page.NewestFirst.After(p.Cursor))).
		Order(page.NewestFirst.Order()).Limit(p.Limit + 1).All(ctx)
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}
