package httpserver

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"shop/internal/page"
)

// List answers one keyset page of a list, the one way every REST list
// pages: limit and cursor are validated for the order s together with q's
// other parameters (one validation_failed naming all of them), fetch gets
// them and returns up to p.Limit+1 rows in order s (the extra row only says
// there is a next page), and the answer is the page.List of the rows mapped
// by toJSON, with the next cursor taken from the last row by cursorOf.
func List[R, T any](c echo.Context, q *Query, s page.Sort, fetch func(ctx context.Context, p page.Params) ([]R, error),
	toJSON func(R) T, cursorOf func(R) page.Cursor) error {
	p, errs := page.Parse(c.QueryParam("limit"), c.QueryParam("cursor"), s)
	q.Add(errs...)
	if err := q.Err(); err != nil {
		return err
	}
	rows, err := fetch(c.Request().Context(), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page.Build(rows, p.Limit, toJSON, cursorOf))
}
