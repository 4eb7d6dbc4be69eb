// Package integrations lets other systems work with the shop: API keys
// that act with admin rights, webhook endpoints, and the River workers that
// deliver the shop's events to them (Standard Webhooks 1.0).
package integrations

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"shop/ent"
	"shop/ent/apikey"
	"shop/ent/predicate"
	"shop/internal/page"
	"shop/modules/identity"
)

// KeyPrefix starts every API key: identity's, whose auth middleware tells
// a key from a JWT by it.
const KeyPrefix = identity.APIKeyPrefix

// keyAlphabet is base62: 40 characters carry ~238 bits of randomness.
const keyAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const keyRandomLen = 40

// lastUsedEvery is how stale last_used_at may get: a key used all the time
// costs one write a minute, not one per request.
const lastUsedEvery = time.Minute

// Keys creates, lists, revokes and verifies API keys.
type Keys struct {
	Now func() time.Time // nil: time.Now
}

func (k Keys) now() time.Time {
	if k.Now != nil {
		return k.Now().UTC()
	}
	return time.Now().UTC()
}

// newKey returns a fresh key: "sk_" and 40 random base62 characters.
func newKey() (string, error) {
	b := make([]byte, keyRandomLen)
	out := make([]byte, 0, len(KeyPrefix)+keyRandomLen)
	out = append(out, KeyPrefix...)
	for len(out) < cap(out) {
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("random key: %w", err)
		}
		for _, c := range b {
			if c < 248 && len(out) < cap(out) { // 248 = 4*62: no modulo bias
				out = append(out, keyAlphabet[int(c)%62])
			}
		}
	}
	return string(out), nil
}

// hashKey is the stored form of a key: SHA-256 is right for a random key
// of this length (nothing to brute-force, and verification is one lookup).
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Create makes a key named in.Name and returns it with its plain text,
// which is never stored or shown again. Errors: validation_failed.
func (k Keys) Create(ctx context.Context, db *ent.Client, in KeyInput) (*ent.APIKey, string, error) {
	if err := in.Validate(); err != nil {
		return nil, "", err
	}
	key, err := newKey()
	if err != nil {
		return nil, "", err
	}
	row, err := db.APIKey.Create().
		SetName(in.Name).
		SetPrefix(key[:len(KeyPrefix)+8]).
		SetKeyHash(hashKey(key)).
		Save(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("create api key: %w", err)
	}
	return row, key, nil
}

// List returns a page of keys, newest first.
func (k Keys) List(ctx context.Context, db *ent.Client, p page.Params) ([]*ent.APIKey, error) {
	return db.APIKey.Query().
		Where(predicate.APIKey(page.NewestFirst.After(p.Cursor))).
		Order(page.NewestFirst.Order()).Limit(p.Limit + 1).All(ctx)
}

// Revoke refuses the key from the next request on (not_found if there is
// no such key; revoking twice keeps the first time).
func (k Keys) Revoke(ctx context.Context, db *ent.Client, id int) error {
	row, err := db.APIKey.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("find api key: %w", err)
	}
	if row.RevokedAt != nil {
		return nil
	}
	return db.APIKey.UpdateOne(row).SetRevokedAt(k.now()).Exec(ctx)
}

// ErrBadKey is a key that is unknown or revoked.
var ErrBadKey = errors.New("unknown or revoked API key")

// Verify returns the id of the live key key, or ErrBadKey. It reads the
// database on every call (a revoked key is refused at once on every
// replica) and writes last_used_at at most once a minute per key: the
// conditional UPDATE lets only one of several replicas write it.
func (k Keys) Verify(ctx context.Context, db *ent.Client, key string) (int, error) {
	row, err := db.APIKey.Query().
		Where(apikey.KeyHash(hashKey(key)), apikey.RevokedAtIsNil()).
		Select(apikey.FieldID, apikey.FieldLastUsedAt).Only(ctx)
	if ent.IsNotFound(err) {
		return 0, ErrBadKey
	}
	if err != nil {
		return 0, fmt.Errorf("verify api key: %w", err)
	}
	now := k.now()
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) >= lastUsedEvery {
		err := db.APIKey.Update().
			Where(apikey.ID(row.ID), apikey.Or(apikey.LastUsedAtIsNil(), apikey.LastUsedAtLTE(now.Add(-lastUsedEvery)))).
			SetLastUsedAt(now).Exec(ctx)
		if err != nil {
			return 0, fmt.Errorf("api key last used: %w", err)
		}
	}
	return row.ID, nil
}
