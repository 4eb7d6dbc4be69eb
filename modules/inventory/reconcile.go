package inventory

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"shop/ent"
)

// Discrepancy is a product whose stock differs from the sum of its movements.
type Discrepancy struct {
	ProductID int `json:"product_id"`
	Stock     int `json:"stock"`
	LedgerSum int `json:"ledger_sum"`
}

// Reconciliation is the result of checking every product against its ledger.
type Reconciliation struct {
	ProductsChecked int           `json:"products_checked"`
	Discrepancies   []Discrepancy `json:"discrepancies"`
}

// reconcileQuery checks every product (deleted ones too) in one statement:
// the count, and the products whose stock is not their ledger's sum.
const reconcileQuery = `
SELECT c.n, d.id, d.stock, d.ledger
FROM (SELECT COUNT(*) AS n FROM products) c
LEFT JOIN (
  SELECT p.id AS id, p.stock AS stock, COALESCE(l.total, 0) AS ledger
  FROM products p
  LEFT JOIN (SELECT product_id, SUM(quantity_change) AS total FROM inventory_movements GROUP BY product_id) l
    ON l.product_id = p.id
  WHERE p.stock <> COALESCE(l.total, 0)
) d ON 1 = 1
ORDER BY d.id`

// Reconcile compares every product's stock with the sum of its movements.
func (Service) Reconcile(ctx context.Context, db *ent.Client) (Reconciliation, error) {
	r := Reconciliation{Discrepancies: []Discrepancy{}}
	rows, err := db.QueryContext(ctx, reconcileQuery)
	if err != nil {
		return r, fmt.Errorf("reconcile: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, stock, ledger sql.NullInt64
		if err := rows.Scan(&r.ProductsChecked, &id, &stock, &ledger); err != nil {
			return r, fmt.Errorf("reconcile: %w", err)
		}
		if id.Valid {
			r.Discrepancies = append(r.Discrepancies, Discrepancy{ProductID: int(id.Int64), Stock: int(stock.Int64), LedgerSum: int(ledger.Int64)})
		}
	}
	return r, rows.Err()
}

// Reconcile answers the products whose stock is not the sum of their movements.
func (h *HTTP) Reconcile(c echo.Context) error {
	r, err := Service{}.Reconcile(c.Request().Context(), h.DB)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}
