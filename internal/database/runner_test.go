package database_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"shop/ent"
	"shop/ent/product"
	"shop/internal/actor"
	"shop/internal/apperr"
	"shop/internal/database"
	"shop/internal/events"
	"shop/internal/testdb"
)

// TestRunner_Outbox: each transaction's events go through its own outbox,
// built with its runner's settings, so two runners with different
// currencies in one process (two servers, or parallel tests) each send
// their own; a rolled-back transaction sends nothing; an event no active
// webhook subscribes to is not recorded (product.updated here: one webhook
// subscribes to it but is inactive, the active one only to
// product.created).
func TestRunner_Outbox(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		db := testdb.New(t, dia)
		ctx := context.Background()
		testdb.Subscribe(t, db.Client, events.ProductCreated)
		off := testdb.Subscribe(t, db.Client, events.ProductUpdated)
		db.Client.Webhook.UpdateOneID(off).SetActive(false).ExecX(ctx)
		cat := db.Client.Category.Create().SetName("C").SetSlug("c").SaveX(ctx)
		runners := map[string]*database.Runner{}
		for _, cur := range []string{"USD", "EUR"} {
			r, err := database.NewRunner(db.Client, events.Settings{Currency: cur, LowStockThreshold: 5})
			if err != nil {
				t.Fatal(err)
			}
			runners[cur] = r
		}
		var wg sync.WaitGroup
		for i := range 8 {
			cur := []string{"USD", "EUR"}[i%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := runners[cur].Exec(ctx, func(ctx context.Context, db *ent.Client) error {
					return db.Product.Create().SetCategory(cat).SetName(fmt.Sprintf("%s %d", cur, i)).SetPrice(100).Exec(ctx)
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		err := runners["USD"].Exec(ctx, func(ctx context.Context, db *ent.Client) error {
			return db.Product.Update().Where(product.NameHasPrefix("USD")).SetPrice(200).Exec(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		errBoom := errors.New("boom")
		err = runners["USD"].Exec(ctx, func(ctx context.Context, db *ent.Client) error {
			if err := db.Product.Create().SetCategory(cat).SetName("rolled back").SetPrice(100).Exec(ctx); err != nil {
				return err
			}
			if n := events.FromContext(ctx).Len(); n != 1 {
				t.Errorf("%d events in the outbox, want 1", n)
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("Exec = %v", err)
		}
		args := "args"
		if dia == dialect.SQLite {
			args = "json(args)" // River keeps them as JSONB there
		}
		rows, err := db.SQL.QueryContext(ctx, `SELECT `+args+` FROM river_job WHERE kind = 'shop_event'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		seen := 0
		for rows.Next() {
			var raw []byte
			if err := rows.Scan(&raw); err != nil {
				t.Fatal(err)
			}
			var ev struct {
				Type string
				Data events.Product
			}
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Type != events.ProductCreated || ev.Data.Currency != ev.Data.Name[:3] {
				t.Errorf("event %s of %q in %s", ev.Type, ev.Data.Name, ev.Data.Currency)
			}
			seen++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if seen != 8 {
			t.Fatalf("%d events, want 8 (none of the rolled-back transaction, no product.updated)", seen)
		}
	})
}

// TestRunner_ForeignKey: a write that violates a foreign key is 401 only
// when the missing row is the acting user (SQLite does not name the key,
// so the runner reads whether the user exists); a missing product is a
// conflict, on both databases and through Tx and Do alike.
func TestRunner_ForeignKey(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		db := testdb.New(t, dia)
		run := testdb.Runner(t, db.Client)
		ctx := context.Background()
		u := db.Client.User.Create().SetEmail("a@example.com").SetName("A").SetPasswordHash("x").SaveX(ctx)
		cat := db.Client.Category.Create().SetName("C").SetSlug("c").SaveX(ctx)
		p := db.Client.Product.Create().SetCategory(cat).SetName("P").SetPrice(100).SaveX(ctx)
		v := db.Client.Variant.Create().SetProduct(p).SetStock(1).SaveX(ctx)
		addLine := func(userID, productID int) func(ctx context.Context, db *ent.Client) error {
			variantID := v.ID
			if productID != p.ID {
				variantID += 100 // a missing product's missing variant
			}
			return func(ctx context.Context, db *ent.Client) error {
				return db.CartItem.Create().SetUserID(userID).SetProductID(productID).SetVariantID(variantID).SetQuantity(1).Exec(ctx)
			}
		}
		for name, tc := range map[string]struct {
			actor, userID, productID int
			want                     apperr.Code
		}{
			"vanished user":   {u.ID + 100, u.ID + 100, p.ID, apperr.Unauthorized},
			"missing product": {u.ID, u.ID, p.ID + 100, apperr.Conflict},
		} {
			ctx := actor.With(ctx, actor.Actor{UserID: tc.actor})
			for way, err := range map[string]error{
				"Tx": run.Exec(ctx, addLine(tc.userID, tc.productID)),
				"Do": run.Do(ctx, addLine(tc.userID, tc.productID)),
			} {
				if got := database.Translate(err); got == nil || got.Code != tc.want {
					t.Errorf("%s through %s: %v, want %s", name, way, got, tc.want)
				}
			}
		}
	})
}
