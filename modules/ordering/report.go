package ordering

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"entgo.io/ent/dialect"
	"github.com/labstack/echo/v4"

	"shop/ent"
	"shop/internal/apperr"
	"shop/internal/httpserver"
)

// Grouping of the sales report.
const (
	ByDay      = "day"
	ByCategory = "category"
	ByProduct  = "product"
	ByVariant  = "variant"
	ByDiscount = "discount"
)

// SalesRow is one row of the sales report: key is the day (YYYY-MM-DD,
// UTC), the category's slug, the product's id or the variant's id.
type SalesRow struct {
	Key     string `json:"key"`
	Orders  int64  `json:"orders"`
	Units   int64  `json:"units"`
	Revenue int64  `json:"revenue"`
}

// salesQuery builds the report's one aggregate statement.
func salesQuery(dia, groupBy string) string {
	key := "CAST(oi.product_id AS TEXT)"
	join := ""
	switch groupBy {
	case ByDay:
		key = "substr(o.created_at, 1, 10)"
		if dia == dialect.Postgres {
			key = "to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
		}
	case ByVariant:
		key = "CAST(oi.variant_id AS TEXT)"
	case ByCategory:
		key = "c.slug"
		join = " JOIN products p ON p.id = oi.product_id JOIN categories c ON c.id = p.category_id"
	case ByDiscount:
		key = "o.discount_code"
	}
	where := ""
	if groupBy == ByDiscount {
		where = " AND o.discount_code IS NOT NULL"
	}
	ph1, ph2 := "?", "?"
	if dia == dialect.Postgres {
		ph1, ph2 = "$1", "$2"
	}
	return `SELECT ` + key + ` AS k, COUNT(DISTINCT o.id), CAST(SUM(oi.quantity) AS BIGINT), CAST(SUM(oi.unit_price * oi.quantity - oi.discount_amount) AS BIGINT)
FROM orders o JOIN order_items oi ON oi.order_id = o.id` + join + `
WHERE o.status <> 'cancelled' AND o.created_at >= ` + ph1 + ` AND o.created_at < ` + ph2 + where + `
GROUP BY k ORDER BY k`
}

// SalesReport aggregates the orders placed in [from, to), cancelled ones
// excluded, in one SQL statement; revenue is net of discounts (Σ line
// subtotal − line discount).
func (s *Service) SalesReport(ctx context.Context, db *ent.Client, dia string, from, to time.Time, groupBy string) ([]SalesRow, error) {
	rows, err := db.QueryContext(ctx, salesQuery(dia, groupBy), from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("sales report: %w", err)
	}
	defer rows.Close()
	out := []SalesRow{}
	for rows.Next() {
		var r SalesRow
		if err := rows.Scan(&r.Key, &r.Orders, &r.Units, &r.Revenue); err != nil {
			return nil, fmt.Errorf("sales report: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReportHTTP serves GET /api/v1/admin/reports/sales.
type ReportHTTP struct {
	Svc     *Service
	DB      *ent.Client
	Dialect string
}

// Sales answers the sales report between two dates, grouped by day, category, product or variant.
func (h *ReportHTTP) Sales(c echo.Context) error {
	q := httpserver.NewQuery(c)
	date := func(name string) time.Time {
		raw := c.QueryParam(name)
		t, err := time.Parse(time.DateOnly, raw)
		if err != nil {
			q.Add(apperr.Field(name, "must be a date YYYY-MM-DD"))
		}
		return t
	}
	from, to := date("from"), date("to")
	groupBy := q.OneOf("group_by", ByDay, ByDay, ByCategory, ByProduct, ByVariant, ByDiscount)
	if len(q.Errors) == 0 && !from.Before(to) {
		q.Add(apperr.Field("to", "must be after from"))
	}
	if err := q.Err(); err != nil {
		return err
	}
	rows, err := h.Svc.SalesReport(c.Request().Context(), h.DB, h.Dialect, from, to, groupBy)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"rows": rows, "currency": h.Svc.Currency})
}
