package catalog

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"shop/ent"
	"shop/internal/apperr"
	"shop/internal/database"
	"shop/internal/events"
	"shop/internal/httpserver"
	"shop/internal/page"
	"shop/modules/identity"
	"shop/schema"
)

// HTTP serves the catalog endpoints of API.md.
type HTTP struct {
	Svc      *Service
	DB       *ent.Client
	Tx       *database.Runner // every write
	Currency string
}

// CategoryJSON is the Category of API.md.
type CategoryJSON struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Slug      string    `json:"slug"`
	ParentID  *int      `json:"parent_id"`
	CreatedAt time.Time `json:"created_at"`
}

func toCategoryJSON(c *ent.Category) CategoryJSON {
	return CategoryJSON{ID: c.ID, Name: c.Name, Slug: c.Slug, ParentID: c.ParentID, CreatedAt: c.CreatedAt.UTC()}
}

// ProductJSON is the Product of API.md: the shape product events carry
// too (internal/events), so REST and events can't drift apart.
type ProductJSON = events.Product

func (h *HTTP) toProductJSON(p *ent.Product) ProductJSON {
	return events.NewProduct(p, h.Currency)
}

// ETag is a product's entity tag: its version, which every change of its
// editable content bumps, and its stock, which sales and adjustments change
// without a new version. If-None-Match compares it whole (a cached copy is
// current only if the stock is too); If-Match compares the version alone
// (etagVersion), so an admin's edit is not refused because of a sale.
func ETag(p *ent.Product) string {
	return `"` + strconv.Itoa(p.Version) + "." + strconv.Itoa(p.Stock) + `"`
}

// etagVersion is the version an If-Match tag names ("3.17", or "3" as
// ETags were before they carried the stock).
func etagVersion(tag string) (int, error) {
	v, _, _ := strings.Cut(strings.Trim(strings.TrimPrefix(tag, "W/"), `"`), ".")
	return strconv.Atoi(v)
}

// ifMatch is the version a request's If-Match names (nil: none, or "*"),
// for the PATCHes of products and variants; a tag that is not one of ours
// is 412 version_conflict.
func ifMatch(c echo.Context, what string) (*int, error) {
	im := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if im == "" || im == "*" {
		return nil, nil
	}
	v, err := etagVersion(im)
	if err != nil {
		return nil, apperr.New(apperr.VersionConflict, "If-Match does not match the %s's ETag", what)
	}
	return &v, nil
}

// notModified reports whether the request's If-None-Match names etag (weak
// comparison, RFC 9110 §13.1.2; "*" matches any current product).
func notModified(c echo.Context, etag string) bool {
	inm := c.Request().Header.Get("If-None-Match")
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || (t != "" && strings.TrimPrefix(t, "W/") == etag) {
			return true
		}
	}
	return false
}

// WriteProduct answers with a product and its ETag.
// Its variants are loaded if they are not yet (the write paths answering
// with it are an admin's, who sees every live variant).
func (h *HTTP) WriteProduct(c echo.Context, status int, p *ent.Product) error {
	if err := h.Svc.WithVariants(c.Request().Context(), h.DB, p, true); err != nil {
		return err
	}
	c.Response().Header().Set("ETag", ETag(p))
	return c.JSON(status, h.toProductJSON(p))
}

// ListCategories answers every category.
func (h *HTTP) ListCategories(c echo.Context) error {
	cats, err := h.Svc.ListCategories(c.Request().Context(), h.DB)
	if err != nil {
		return err
	}
	items := make([]CategoryJSON, len(cats))
	for i, cat := range cats {
		items[i] = toCategoryJSON(cat)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// ListProducts answers a page of products matching the query's filters and sort.
func (h *HTTP) ListProducts(c echo.Context) error {
	q := httpserver.NewQuery(c)
	sortName := q.OneOf("sort", "-created_at", "created_at", "-created_at", "price", "-price", "name")
	sort := ProductSorts[sortName]
	f := ProductFilter{
		Query:    q.String("q", 200),
		MinPrice: q.Int64("min_price", 0, schema.MaxPrice),
		MaxPrice: q.Int64("max_price", 0, schema.MaxPrice),
		InStock:  q.Bool("in_stock"),
	}
	slug := q.String("category", 100)
	if f.MinPrice != nil && f.MaxPrice != nil && *f.MinPrice > *f.MaxPrice {
		q.Add(apperr.Field("max_price", "must not be below min_price"))
	}
	return httpserver.List(c, q, sort, func(ctx context.Context, p page.Params) ([]*ent.Product, error) {
		if slug != "" {
			ids, err := h.Svc.Descendants(ctx, h.DB, slug)
			if err != nil {
				return nil, err
			}
			f.CategoryIDs = append([]int{}, ids...)
		}
		f.Query = strings.TrimSpace(f.Query)
		return h.Svc.ListProducts(ctx, h.DB, f, sort, p)
	}, h.toProductJSON, ProductCursor(sort))
}

// GetProduct answers one product with its ETag.
func (h *HTTP) GetProduct(c echo.Context) error {
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	// Whether inactive products show: the caller's current role, read
	// only when the token claims admin (identity.IsAdmin).
	admin, err := identity.IsAdmin(ctx, h.DB)
	if err != nil {
		return err
	}
	p, err := h.Svc.GetProduct(ctx, h.DB, id, admin)
	if err != nil {
		return err
	}
	if etag := ETag(p); notModified(c, etag) {
		c.Response().Header().Set("ETag", etag)
		return c.NoContent(http.StatusNotModified)
	}
	return h.WriteProduct(c, http.StatusOK, p)
}

// CreateCategory creates a category.
func (h *HTTP) CreateCategory(c echo.Context) error {
	var in CategoryInput
	if err := httpserver.Bind(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	cat, err := database.Write(ctx, h.Tx, func(ctx context.Context, db *ent.Client) (*ent.Category, error) {
		return h.Svc.CreateCategory(ctx, db, in)
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toCategoryJSON(cat))
}

// updateCategoryRequest is a CategoryPatch as JSON: parent_id tells absent
// (unchanged) from null (make it a root).
type updateCategoryRequest struct {
	CategoryPatch
	ParentID httpserver.Optional[int] `json:"parent_id"`
}

// UpdateCategory renames or moves a category.
func (h *HTTP) UpdateCategory(c echo.Context) error {
	var req updateCategoryRequest
	id, err := httpserver.BindID(c, "id", &req)
	if err != nil {
		return err
	}
	patch := req.CategoryPatch
	patch.ParentSet = req.ParentID.Set
	if req.ParentID.Set && !req.ParentID.Null {
		patch.ParentID = &req.ParentID.Value
	}
	ctx := c.Request().Context()
	cat, err := database.Write(ctx, h.Tx, func(ctx context.Context, db *ent.Client) (*ent.Category, error) {
		return h.Svc.UpdateCategory(ctx, db, id, patch)
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toCategoryJSON(cat))
}

// DeleteCategory soft-deletes a category that holds nothing live.
func (h *HTTP) DeleteCategory(c echo.Context) error {
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.Tx.Exec(ctx, func(ctx context.Context, db *ent.Client) error { return h.Svc.DeleteCategory(ctx, db, id) }); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// CreateProduct creates a product with its opening stock.
func (h *HTTP) CreateProduct(c echo.Context) error {
	var in ProductInput
	if err := httpserver.Bind(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, err := database.Write(ctx, h.Tx, func(ctx context.Context, db *ent.Client) (*ent.Product, error) {
		return h.Svc.CreateProduct(ctx, db, in)
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/products/"+strconv.Itoa(p.ID))
	return h.WriteProduct(c, http.StatusCreated, p)
}

// UpdateProduct changes a product's content, honouring If-Match.
func (h *HTTP) UpdateProduct(c echo.Context) error {
	var patch ProductPatch
	id, err := httpserver.BindID(c, "id", &patch)
	if err != nil {
		return err
	}
	if patch.IfVersion, err = ifMatch(c, "product"); err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, err := database.Write(ctx, h.Tx, func(ctx context.Context, db *ent.Client) (*ent.Product, error) {
		return h.Svc.UpdateProduct(ctx, db, id, patch)
	})
	if err != nil {
		return err
	}
	return h.WriteProduct(c, http.StatusOK, p)
}

// DeleteProduct soft-deletes a product.
func (h *HTTP) DeleteProduct(c echo.Context) error {
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.Tx.Exec(ctx, func(ctx context.Context, db *ent.Client) error { return h.Svc.DeleteProduct(ctx, db, id) }); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
