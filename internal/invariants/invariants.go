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
	"shop/modules/inventory/stock"
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
	// Keyed by (order, variant): stock lives on variants.
	salesByOrderVariant := map[[2]int]int{}
	cancelByOrderVariant := map[[2]int]int{}
	for _, m := range moves {
		if m.OrderID != nil {
			k := [2]int{*m.OrderID, m.VariantID}
			switch m.Reason {
			case inventorymovement.ReasonSale:
				salesByOrderVariant[k] += -m.QuantityChange
			case inventorymovement.ReasonCancellation:
				cancelByOrderVariant[k] += m.QuantityChange
			}
		}
	}
	// 1, 2 and 6: stock never negative, a variant's always its ledger's
	// sum and a product's its live variants' sum (the reconciliation the
	// admin endpoint serves).
	for _, p := range products {
		if p.Stock < 0 {
			bad = append(bad, fmt.Sprintf("product %d: stock %d < 0", p.ID, p.Stock))
		}
	}
	variants, err := db.Variant.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	variantOf := make(map[int]*ent.Variant, len(variants))
	for _, v := range variants {
		variantOf[v.ID] = v
		if v.Stock < 0 {
			bad = append(bad, fmt.Sprintf("variant %d: stock %d < 0", v.ID, v.Stock))
		}
	}
	rec, err := stock.Reconcile(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, d := range rec.Discrepancies {
		if d.VariantID != nil {
			bad = append(bad, fmt.Sprintf("variant %d (product %d): stock %d != ledger sum %d", *d.VariantID, d.ProductID, d.Stock, d.LedgerSum))
		} else {
			bad = append(bad, fmt.Sprintf("product %d: stock %d != its live variants' sum %d", d.ProductID, d.Stock, d.LedgerSum))
		}
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
			k := [2]int{o.ID, it.VariantID}
			if v := variantOf[it.VariantID]; v == nil || v.ProductID != it.ProductID {
				bad = append(bad, fmt.Sprintf("order %d: line of variant %d is not of its product %d", o.ID, it.VariantID, it.ProductID))
			}
			if salesByOrderVariant[k] != it.Quantity {
				bad = append(bad, fmt.Sprintf("order %d variant %d: sold %d in the ledger, %d in the order", o.ID, it.VariantID, salesByOrderVariant[k], it.Quantity))
			}
			want := 0
			if o.Status == schema.StatusCancelled {
				want = it.Quantity
			}
			if cancelByOrderVariant[k] != want {
				bad = append(bad, fmt.Sprintf("order %d (%s) variant %d: %d put back, want %d", o.ID, o.Status, it.VariantID, cancelByOrderVariant[k], want))
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
	// 5: one cart line per (user, variant), of the variant's product; no
	// two live variants of a product with the same options, no two live
	// variants with one SKU.
	lines, err := db.CartItem.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[[2]int]bool{}
	for _, l := range lines {
		k := [2]int{l.UserID, l.VariantID}
		if seen[k] {
			bad = append(bad, fmt.Sprintf("user %d has two cart lines of variant %d", l.UserID, l.VariantID))
		}
		seen[k] = true
		if v := variantOf[l.VariantID]; v == nil || v.ProductID != l.ProductID {
			bad = append(bad, fmt.Sprintf("cart line %d: variant %d is not of its product %d", l.ID, l.VariantID, l.ProductID))
		}
	}
	options, skus := map[string]int{}, map[string]int{}
	for _, v := range variants {
		if v.DeletedAt != nil {
			continue
		}
		if k := fmt.Sprintf("%d/%s", v.ProductID, schema.OptionsKey(v.Options)); options[k] != 0 {
			bad = append(bad, fmt.Sprintf("variants %d and %d of product %d have the same options", options[k], v.ID, v.ProductID))
		} else {
			options[k] = v.ID
		}
		if v.Sku != nil {
			if skus[*v.Sku] != 0 {
				bad = append(bad, fmt.Sprintf("variants %d and %d share SKU %q", skus[*v.Sku], v.ID, *v.Sku))
			}
			skus[*v.Sku] = v.ID
		}
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
