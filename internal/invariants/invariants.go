// Package invariants checks every invariant of DESIGN.md against a
// database. Tests run it after anything that writes, and it is the one
// definition of "the shop is consistent".
package invariants

import (
	"context"
	"fmt"

	"shop/ent"
	"shop/ent/inventorymovement"
	"shop/internal/money"
	"shop/schema"
)

// Check returns a description of every violated invariant; none is good.
func Check(ctx context.Context, db *ent.Client) ([]string, error) {
	ctx = schema.SkipSoftDelete(ctx)
	var bad []string
	products, err := db.Product.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	moves, err := db.InventoryMovement.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	salesByOrderProduct := map[[2]int]int{}
	cancelByOrderProduct := map[[2]int]int{}
	for _, m := range moves {
		if m.OrderID != nil {
			k := [2]int{*m.OrderID, m.ProductID}
			switch m.Reason {
			case inventorymovement.ReasonSale:
				salesByOrderProduct[k] += -m.QuantityChange
			case inventorymovement.ReasonCancellation:
				cancelByOrderProduct[k] += m.QuantityChange
			}
		}
	}
	// 1, 2 and 6: stock never negative and always the ledger's sum (the
	// reconciliation the admin endpoint serves).
	for _, p := range products {
		if p.Stock < 0 {
			bad = append(bad, fmt.Sprintf("product %d: stock %d < 0", p.ID, p.Stock))
		}
	}
	rec, err := schema.Reconcile(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, d := range rec.Discrepancies {
		bad = append(bad, fmt.Sprintf("product %d: stock %d != ledger sum %d", d.ProductID, d.Stock, d.LedgerSum))
	}
	// 3 and 4: orders have lines, totals add up, every line was sold from
	// stock, and exactly the cancelled orders were put back.
	orders, err := db.Order.Query().WithItems().All(ctx)
	if err != nil {
		return nil, err
	}
	redeemed, redeemedBy := map[int]int{}, map[[2]int]int{}
	for _, o := range orders {
		if len(o.Edges.Items) == 0 {
			bad = append(bad, fmt.Sprintf("order %d has no lines", o.ID))
		}
		var total int64
		for _, it := range o.Edges.Items {
			sub, ok := money.Line(it.UnitPrice, it.Quantity)
			if ok {
				total, ok = money.Add(total, sub)
			}
			if !ok {
				bad = append(bad, fmt.Sprintf("order %d: total overflows int64", o.ID))
			}
			k := [2]int{o.ID, it.ProductID}
			if salesByOrderProduct[k] != it.Quantity {
				bad = append(bad, fmt.Sprintf("order %d product %d: sold %d in the ledger, %d in the order", o.ID, it.ProductID, salesByOrderProduct[k], it.Quantity))
			}
			want := 0
			if o.Status == schema.StatusCancelled {
				want = it.Quantity
			}
			if cancelByOrderProduct[k] != want {
				bad = append(bad, fmt.Sprintf("order %d (%s) product %d: %d put back, want %d", o.ID, o.Status, it.ProductID, cancelByOrderProduct[k], want))
			}
		}
		if total != o.SubtotalAmount {
			bad = append(bad, fmt.Sprintf("order %d: subtotal %d != sum of lines %d", o.ID, o.SubtotalAmount, total))
		}
		if o.SubtotalAmount-o.DiscountAmount != o.TotalAmount || o.TotalAmount < 0 {
			bad = append(bad, fmt.Sprintf("order %d: total %d != subtotal %d - discount %d", o.ID, o.TotalAmount, o.SubtotalAmount, o.DiscountAmount))
		}
		var shares int64
		for _, it := range o.Edges.Items {
			shares += it.DiscountAmount
		}
		if shares != o.DiscountAmount {
			bad = append(bad, fmt.Sprintf("order %d: line discounts add up to %d, not %d", o.ID, shares, o.DiscountAmount))
		}
		if (o.DiscountID == nil) != (o.DiscountCode == nil) || (o.DiscountID == nil && o.DiscountAmount != 0) {
			bad = append(bad, fmt.Sprintf("order %d: discount id, code and amount disagree", o.ID))
		}
		if o.DiscountID != nil && o.Status != schema.StatusCancelled {
			redeemed[*o.DiscountID]++
			redeemedBy[[2]int{*o.DiscountID, o.UserID}]++
		}
	}
	// 10: times_used = redemptions of orders not cancelled, within
	// usage_limit; each customer's uses likewise.
	discounts, err := db.Discount.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range discounts {
		if d.TimesUsed != redeemed[d.ID] {
			bad = append(bad, fmt.Sprintf("discount %d: times_used %d != %d redemptions", d.ID, d.TimesUsed, redeemed[d.ID]))
		}
		if d.UsageLimit != nil && d.TimesUsed > *d.UsageLimit {
			bad = append(bad, fmt.Sprintf("discount %d: times_used %d > usage_limit %d", d.ID, d.TimesUsed, *d.UsageLimit))
		}
	}
	drec, err := schema.ReconcileDiscounts(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, d := range drec.DiscountDiscrepancies {
		bad = append(bad, fmt.Sprintf("reconciliation: discount %d times_used %d != %d redemptions", d.DiscountID, d.TimesUsed, d.Redemptions))
	}
	usages, err := db.DiscountUsage.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range usages {
		if k := [2]int{u.DiscountID, u.UserID}; u.Uses != redeemedBy[k] {
			bad = append(bad, fmt.Sprintf("discount %d user %d: uses %d != %d redemptions", u.DiscountID, u.UserID, u.Uses, redeemedBy[k]))
		}
	}
	// 5: one cart line per (user, product).
	lines, err := db.CartItem.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[[2]int]bool{}
	for _, l := range lines {
		k := [2]int{l.UserID, l.ProductID}
		if seen[k] {
			bad = append(bad, fmt.Sprintf("user %d has two cart lines of product %d", l.UserID, l.ProductID))
		}
		seen[k] = true
	}
	// 8: an idempotency key names one order of its own user.
	keys, err := db.IdempotencyKey.Query().WithOrder().All(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if o := k.Edges.Order; o == nil || o.UserID != k.UserID {
			bad = append(bad, fmt.Sprintf("idempotency key %d names no order of user %d", k.ID, k.UserID))
		}
	}
	return bad, nil
}
