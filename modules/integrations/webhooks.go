package integrations

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"shop/ent"
	"shop/ent/predicate"
	"shop/internal/page"
)

// SecretPrefix starts a webhook secret (Standard Webhooks).
const SecretPrefix = "whsec_"

// Webhooks manages webhook endpoints.
type Webhooks struct {
	Guard Guard
}

func newSecret() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// guard is the SSRF check of a webhook's url, as the inputs' checks take it.
func (w Webhooks) guard(ctx context.Context) func(string) error {
	return func(u string) error { return w.Guard.CheckURL(ctx, u) }
}

// Check is in's Validate plus the SSRF guard on its url, which resolves the
// host: run it before the write transaction opens, so a slow name server
// holds no connection and, on SQLite, no write lock. (Delivery checks the
// address it dials again, whatever path wrote the endpoint.)
func (w Webhooks) Check(ctx context.Context, in WebhookInput) error {
	return in.check(w.guard(ctx)).Err()
}

// CheckPatch is Check for a patch.
func (w Webhooks) CheckPatch(ctx context.Context, p WebhookPatch) error {
	return p.check(w.guard(ctx)).Err()
}

// Create adds an endpoint with a new secret (validation_failed: in's
// Validate; the caller ran Check first).
func (w Webhooks) Create(ctx context.Context, db *ent.Client, in WebhookInput) (*ent.Webhook, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	secret, err := newSecret()
	if err != nil {
		return nil, err
	}
	hook, err := db.Webhook.Create().SetURL(in.URL).SetEvents(in.Events).
		SetDescription(in.Description).SetSecret(secret).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create webhook: %w", err)
	}
	return hook, nil
}

// Get returns an endpoint (not_found if none).
func (w Webhooks) Get(ctx context.Context, db *ent.Client, id int) (*ent.Webhook, error) {
	hook, err := db.Webhook.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("find webhook: %w", err)
	}
	return hook, nil
}

// List returns a page of endpoints, newest first.
func (w Webhooks) List(ctx context.Context, db *ent.Client, p page.Params) ([]*ent.Webhook, error) {
	return db.Webhook.Query().
		Where(predicate.Webhook(page.NewestFirst.After(p.Cursor))).
		Order(page.NewestFirst.Order()).Limit(p.Limit + 1).All(ctx)
}

// Update applies patch (not_found, validation_failed; the caller ran
// CheckPatch first).
func (w Webhooks) Update(ctx context.Context, db *ent.Client, id int, patch WebhookPatch) (*ent.Webhook, error) {
	if err := patch.Validate(); err != nil {
		return nil, err
	}
	if _, err := w.Get(ctx, db, id); err != nil {
		return nil, err
	}
	u := db.Webhook.UpdateOneID(id).SetNillableURL(patch.URL).
		SetNillableDescription(patch.Description).SetNillableActive(patch.Active)
	if patch.Events != nil {
		u.SetEvents(patch.Events)
	}
	hook, err := u.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	return hook, nil
}

// Delete removes an endpoint (not_found). Its pending deliveries are
// dropped: the delivery worker cancels a job whose webhook is gone.
func (w Webhooks) Delete(ctx context.Context, db *ent.Client, id int) error {
	if _, err := w.Get(ctx, db, id); err != nil {
		return err
	}
	if err := db.Webhook.DeleteOneID(id).Exec(ctx); err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	return nil
}
