package pricing

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"

	"shop/ent"
	"shop/ent/discount"
	"shop/ent/discountusage"
	"shop/schema"
)

// CartDiscount is the discount of the Cart of API.md: the cart's code,
// what it takes off now, and, when it stopped applying, why (the error
// code checkout would give).
type CartDiscount struct {
	Code       string  `json:"code"`
	Type       string  `json:"type"`
	Value      int64   `json:"value"`
	Amount     int64   `json:"amount"`
	Applicable bool    `json:"applicable"`
	Reason     *string `json:"reason"`
}

// SetCartCode puts the discount with this code (any case) on the user's
// cart, replacing any other, if it applies to the cart's subtotal now; a
// refused code leaves the cart as it was. db should be a transaction's
// client (two statements: the old code off, the new one on). Errors:
// validation_failed, discount_invalid, discount_exhausted,
// discount_not_applicable.
func (s *Service) SetCartCode(ctx context.Context, db *ent.Client, userID int, in CodeInput, subtotal int64) error {
	if err := in.Validate(); err != nil {
		return err
	}
	// Deleted discounts are hidden by the soft-delete interceptor: an
	// unknown code.
	d, err := db.Discount.Query().Where(discount.CodeKey(schema.DiscountKey(in.Code))).Only(ctx)
	if ent.IsNotFound(err) {
		return invalid()
	}
	if err != nil {
		return fmt.Errorf("find discount: %w", err)
	}
	uses, err := s.uses(ctx, db, d.ID, userID)
	if err != nil {
		return err
	}
	if r := Refusal(d, uses, subtotal, time.Now()); r != nil {
		return r
	}
	if err := s.RemoveCartCode(ctx, db, userID); err != nil {
		return err
	}
	err = db.DiscountUsage.Create().SetDiscountID(d.ID).SetUserID(userID).SetInCart(true).
		OnConflict(sql.ConflictColumns(discountusage.FieldDiscountID, discountusage.FieldUserID)).
		Update(func(u *ent.DiscountUsageUpsert) { u.SetInCart(true).UpdateUpdatedAt() }).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("set cart code: %w", err)
	}
	return nil
}

// RemoveCartCode takes the code off the user's cart (none: nothing to do).
func (s *Service) RemoveCartCode(ctx context.Context, db *ent.Client, userID int) error {
	_, err := db.DiscountUsage.Update().
		Where(discountusage.UserID(userID), discountusage.InCart(true)).
		SetInCart(false).Save(ctx)
	if err != nil {
		return fmt.Errorf("remove cart code: %w", err)
	}
	return nil
}

// ViewCartCode returns the cart's code as the Cart shows it for this
// subtotal (nil: the cart has none), in one statement: the user's use of
// the code the cart holds, joined with the discount (deleted or not).
func (s *Service) ViewCartCode(ctx context.Context, db *ent.Client, userID int, subtotal int64) (*CartDiscount, error) {
	b := sql.Dialect(s.Dialect).Select().Builder
	b.WriteString("SELECT d.id, d.code, d.type, d.value, d.min_subtotal, d.starts_at, d.ends_at, d.usage_limit," +
		" d.per_customer_limit, d.times_used, d.is_active, d.deleted_at, u.uses" +
		" FROM discount_usages AS u JOIN discounts AS d ON d.id = u.discount_id WHERE u.user_id = ").Arg(userID).
		WriteString(" AND u.in_cart")
	query, args := b.Query()
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cart code: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	var (
		d                       ent.Discount
		uses                    int
		starts, ends, deleted   stdsql.NullTime
		usageLimit, perCustomer stdsql.NullInt64
	)
	if err := rows.Scan(&d.ID, &d.Code, &d.Type, &d.Value, &d.MinSubtotal, &starts, &ends, &usageLimit,
		&perCustomer, &d.TimesUsed, &d.IsActive, &deleted, &uses); err != nil {
		return nil, fmt.Errorf("cart code: %w", err)
	}
	d.StartsAt, d.EndsAt, d.DeletedAt = timePtr(starts), timePtr(ends), timePtr(deleted)
	d.UsageLimit, d.PerCustomerLimit = intPtr(usageLimit), intPtr(perCustomer)
	return View(&d, uses, subtotal, time.Now()), rows.Err()
}

func timePtr(t stdsql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

func intPtr(n stdsql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

// View is the Cart's discount of d for a customer who has used it uses
// times, on a subtotal, now.
func View(d *ent.Discount, uses int, subtotal int64, now time.Time) *CartDiscount {
	v := &CartDiscount{Code: d.Code, Type: string(d.Type), Value: d.Value, Applicable: true}
	if r := Refusal(d, uses, subtotal, now); r != nil {
		code := string(r.Code)
		v.Applicable, v.Reason = false, &code
		return v
	}
	v.Amount = Amount(string(d.Type), d.Value, subtotal)
	return v
}

func (s *Service) uses(ctx context.Context, db *ent.Client, discountID, userID int) (int, error) {
	u, err := db.DiscountUsage.Query().
		Where(discountusage.DiscountID(discountID), discountusage.UserID(userID)).Only(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("discount uses: %w", err)
	}
	return u.Uses, nil
}
