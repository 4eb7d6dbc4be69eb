package catalog

import (
	"context"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"shop/ent"

	"shop/internal/database"
	"shop/internal/events"
	"shop/internal/httpserver"
	"shop/internal/page"
)

// VariantJSON is the Variant of API.md (the shape product events carry
// for each variant too).
type VariantJSON = events.Variant

// VariantETag is a variant's entity tag: its version.
func VariantETag(v *ent.Variant) string { return `"` + strconv.Itoa(v.Version) + `"` }

func (h *HTTP) toVariantJSON(v *ent.Variant) VariantJSON {
	var price int64
	if p := v.Edges.Product; p != nil {
		price = p.Price
	}
	return events.NewVariant(v, price, h.Currency)
}

// WriteVariant answers with a variant (loaded with its product) and its
// ETag.
func (h *HTTP) WriteVariant(c echo.Context, status int, v *ent.Variant) error {
	if v.Edges.Product == nil {
		p, err := h.DB.Product.Get(c.Request().Context(), v.ProductID)
		if err != nil {
			return err
		}
		v.Edges.Product = p
	}
	c.Response().Header().Set("ETag", VariantETag(v))
	return c.JSON(status, h.toVariantJSON(v))
}

// CreateVariant adds a variant to a product with options.
func (h *HTTP) CreateVariant(c echo.Context) error {
	var in VariantInput
	id, err := httpserver.BindID(c, "id", &in)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	v, err := database.Write(ctx, h.Tx, func(ctx context.Context, db *ent.Client) (*ent.Variant, error) {
		return h.Svc.CreateVariant(ctx, db, id, in)
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/admin/variants/"+strconv.Itoa(v.ID))
	return h.WriteVariant(c, http.StatusCreated, v)
}

// GetVariant answers one live variant with its ETag.
func (h *HTTP) GetVariant(c echo.Context) error {
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	v, err := h.Svc.GetVariant(c.Request().Context(), h.DB, id)
	if err != nil {
		return err
	}
	return h.WriteVariant(c, http.StatusOK, v)
}

// ListVariants answers a page of live variants, in id order, filtered by
// exact SKU and product.
func (h *HTTP) ListVariants(c echo.Context) error {
	q := httpserver.NewQuery(c)
	f := VariantFilter{SKU: q.String("sku", 64)}
	if id := q.Int64("product_id", 1, math.MaxInt32); id != nil {
		pid := int(*id)
		f.ProductID = &pid
	}
	return httpserver.List(c, q, page.IDOrder, func(ctx context.Context, p page.Params) ([]*ent.Variant, error) {
		return h.Svc.ListVariants(ctx, h.DB, f, p)
	}, h.toVariantJSON, page.ByIDAscending(func(v *ent.Variant) int { return v.ID }))
}

// updateVariantRequest is a VariantPatch as JSON: price tells absent
// (unchanged) from null (follow the product's price again).
type updateVariantRequest struct {
	VariantPatch
	Price httpserver.Optional[int64] `json:"price"`
}

// UpdateVariant changes a variant's SKU, price or active flag, honouring
// If-Match.
func (h *HTTP) UpdateVariant(c echo.Context) error {
	var req updateVariantRequest
	id, err := httpserver.BindID(c, "id", &req)
	if err != nil {
		return err
	}
	patch := req.VariantPatch
	patch.PriceSet = req.Price.Set
	if req.Price.Set && !req.Price.Null {
		patch.Price = &req.Price.Value
	}
	if patch.IfVersion, err = ifMatch(c, "variant"); err != nil {
		return err
	}
	ctx := c.Request().Context()
	v, err := database.Write(ctx, h.Tx, func(ctx context.Context, db *ent.Client) (*ent.Variant, error) {
		return h.Svc.UpdateVariant(ctx, db, id, patch)
	})
	if err != nil {
		return err
	}
	return h.WriteVariant(c, http.StatusOK, v)
}

// DeleteVariant soft-deletes a variant (not its product's last).
func (h *HTTP) DeleteVariant(c echo.Context) error {
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.Tx.Exec(ctx, func(ctx context.Context, db *ent.Client) error { return h.Svc.DeleteVariant(ctx, db, id) }); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
