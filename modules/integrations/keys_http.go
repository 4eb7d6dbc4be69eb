package integrations

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"shop/ent"
	"shop/internal/database"
	"shop/internal/httpserver"
	"shop/internal/page"
	"shop/modules/identity"
)

// KeyJSON is an API key as listed: never the key itself.
type KeyJSON struct {
	ID         int        `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func toKeyJSON(k *ent.APIKey) KeyJSON {
	return KeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt.UTC(),
		LastUsedAt: utcPtr(k.LastUsedAt), RevokedAt: utcPtr(k.RevokedAt)}
}

// NewKeyJSON is the answer to creating a key: the one time it is shown.
type NewKeyJSON struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Prefix    string    `json:"prefix"`
	Key       string    `json:"key"`
	CreatedAt time.Time `json:"created_at"`
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// CreateKey creates an API key and answers it, the only time it is shown.
func (h *HTTP) CreateKey(c echo.Context) error {
	var in KeyInput
	if err := httpserver.Bind(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var key string
	row, err := database.Write(ctx, h.Tx, func(ctx context.Context, db *ent.Client) (k *ent.APIKey, err error) {
		k, key, err = h.Keys.Create(ctx, db, in)
		return k, err
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusCreated, NewKeyJSON{ID: row.ID, Name: row.Name, Prefix: row.Prefix, Key: key, CreatedAt: row.CreatedAt.UTC()})
}

// ListKeys answers a page of API keys (never the keys themselves).
func (h *HTTP) ListKeys(c echo.Context) error {
	return httpserver.List(c, httpserver.NewQuery(c), page.NewestFirst,
		func(ctx context.Context, p page.Params) ([]*ent.APIKey, error) { return h.Keys.List(ctx, h.DB, p) },
		toKeyJSON, page.ByID(func(k *ent.APIKey) int { return k.ID }))
}

// RevokeKey revokes an API key, effective on the next request.
func (h *HTTP) RevokeKey(c echo.Context) error {
	id, err := httpserver.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.Tx.Exec(ctx, func(ctx context.Context, db *ent.Client) error { return h.Keys.Revoke(ctx, db, id) }); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// KeyVerifier is the auth middleware's view of the keys: it checks an
// "sk_" bearer against the database on every request.
type KeyVerifier struct {
	Keys Keys
	DB   *ent.Client
}

// VerifyKey returns the id of the live key, identity.ErrInvalidToken for
// an unknown or revoked one, or a database error.
func (v KeyVerifier) VerifyKey(ctx context.Context, key string) (int, error) {
	id, err := v.Keys.Verify(ctx, v.DB, key)
	if errors.Is(err, ErrBadKey) {
		return 0, identity.ErrInvalidToken
	}
	return id, err
}
