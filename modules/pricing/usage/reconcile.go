package usage

import (
	"context"
	"fmt"

	gen "shop/ent"
)

// Discrepancy is a discount whose times_used differs from its
// redemptions (its orders not cancelled).
type Discrepancy struct {
	DiscountID  int `json:"discount_id"`
	TimesUsed   int `json:"times_used"`
	Redemptions int `json:"redemptions"`
}

// Reconciliation is every discount (deleted ones too) checked
// against its redemptions.
type Reconciliation struct {
	DiscountsChecked      int           `json:"discounts_checked"`
	DiscountDiscrepancies []Discrepancy `json:"discount_discrepancies"`
}

const reconcileDiscountsQuery = `SELECT d.id, d.times_used,
(SELECT COUNT(*) FROM orders AS o WHERE o.discount_id = d.id AND o.status <> 'cancelled')
FROM discounts AS d ORDER BY d.id`

// Reconcile checks every discount's times_used against its
// redemptions, in one statement.
func Reconcile(ctx context.Context, c *gen.Client) (Reconciliation, error) {
	r := Reconciliation{DiscountDiscrepancies: []Discrepancy{}}
	rows, err := c.QueryContext(ctx, reconcileDiscountsQuery)
	if err != nil {
		return r, fmt.Errorf("reconcile discounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d Discrepancy
		if err := rows.Scan(&d.DiscountID, &d.TimesUsed, &d.Redemptions); err != nil {
			return r, fmt.Errorf("reconcile discounts: %w", err)
		}
		r.DiscountsChecked++
		if d.TimesUsed != d.Redemptions {
			r.DiscountDiscrepancies = append(r.DiscountDiscrepancies, d)
		}
	}
	return r, rows.Err()
}
