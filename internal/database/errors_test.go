package database_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5/pgconn"

	"shop/internal/apperr"
	"shop/internal/database"
	"shop/internal/testdb"
)

// TestTranslate_Pure: errors that need no database. A coded error is found
// through wrapping and returned as it is; an error that is not ours is
// internal, its text kept as the cause, never as the message.
func TestTranslate_Pure(t *testing.T) {
	t.Parallel()
	if database.Translate(nil) != nil {
		t.Error("Translate(nil) != nil")
	}

	coded := apperr.New(apperr.NotFound, "no product 7")
	if got := database.Translate(fmt.Errorf("checkout: %w", fmt.Errorf("tx: %w", coded))); got != coded {
		t.Errorf("Translate(wrapped *apperr.Error) = %v, want the same error", got)
	}

	for _, err := range []error{
		errors.New(`pq: duplicate key value violates unique constraint "users_email_key"`),
		fmt.Errorf("wrapped: %w", errors.New("SELECT * FROM secrets")),
		&pgconn.PgError{Code: "42601", Message: `syntax error at or near "secrets"`},
		&pgconn.PgError{Code: "0A000", Message: `feature not supported on secrets`},
	} {
		e := database.Translate(err)
		if e.Code != apperr.Internal || e.Code.HTTPStatus() != http.StatusInternalServerError {
			t.Errorf("Translate(%v).Code = %q, want internal", err, e.Code)
		}
		if strings.Contains(e.Message, "pq:") || strings.Contains(e.Message, "SELECT") || strings.Contains(e.Message, "secrets") {
			t.Errorf("Translate(%v).Message leaks the cause: %q", err, e.Message)
		}
		if !errors.Is(e, err) {
			t.Errorf("Translate(%v) lost its cause", err)
		}
	}

	// Issue 18 item 6: a statement that failed because the schema changed
	// under it (migrate down --force, then up, while serving) is 503
	// unavailable, never a 500 (before: internal), and says nothing of it.
	for _, err := range []error{
		&pgconn.PgError{Code: "42P01", Message: `relation "secrets" does not exist`},
		&pgconn.PgError{Code: "42703", Message: `column secrets.x does not exist`},
		&pgconn.PgError{Code: "0A000", Message: "cached plan must not change result type"},
		&pgconn.PgError{Code: "XX000", Message: "cache lookup failed for type 16403"},
		// A statement cancelled at statement_timeout, or by the cancel
		// request sent when its request's context ended (seen as a 500
		// in TestDatabaseOutage once contexts cancelled statements).
		&pgconn.PgError{Code: "57014", Message: "canceling statement due to user request on secrets"},
		fmt.Errorf("checkout: %w", errors.New("SQL logic error: no such table: secrets (1)")),
	} {
		e := database.Translate(fmt.Errorf("query: %w", err))
		if e.Code != apperr.Unavailable || strings.Contains(e.Message, "secrets") {
			t.Errorf("Translate(%v) = %q %q, want unavailable without internals", err, e.Code, e.Message)
		}
	}

	// The database's own verdicts outrank what a module made of them.
	down := &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}
	if got := database.Translate(apperr.New(apperr.Conflict, "slug taken").Wrap(down)).Code; got != apperr.Unavailable {
		t.Errorf("unreachable under a module's conflict: %q, want unavailable", got)
	}
	gone := &pgconn.PgError{Code: "23503", ConstraintName: "cart_items_users_cart_items"}
	if got := database.Translate(fmt.Errorf("add: %w", gone)).Code; got != apperr.Unauthorized {
		t.Errorf("unknown user: %q, want unauthorized", got)
	}
}

// TestTranslate: real Ent and driver errors from both databases, each
// translated to its code, field and message.
func TestTranslate(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		c := testdb.New(t, dia).Client
		u := c.User.Create().SetEmail("a@example.com").SetName("A").SetPasswordHash("x").SaveX(ctx)
		cat := c.Category.Create().SetName("Tools").SetSlug("tools").SaveX(ctx)
		p := c.Product.Create().SetCategory(cat).SetName("Hammer").SetPrice(1999).SaveX(ctx)
		v := c.Variant.Create().SetProduct(p).SetStock(1).SaveX(ctx)
		c.CartItem.Create().SetUserID(u.ID).SetProductID(p.ID).SetVariantID(v.ID).SetQuantity(1).ExecX(ctx)

		// On SQLite a foreign-key violation doesn't name its key, so
		// Translate alone calls each a conflict; the runner tells a
		// vanished user apart with a read (TestRunner_ForeignKey).
		vanished, vanishedMsg, overModule := apperr.Unauthorized, "the user of this token no longer exists", apperr.Unauthorized
		if dia == dialect.SQLite {
			vanished, vanishedMsg, overModule = apperr.Conflict, "the change conflicts with the data already stored", apperr.Conflict
		}
		tests := []struct {
			name    string
			err     func() error
			code    apperr.Code
			message string   // "" for any
			fields  []string // the fields of a validation_failed
		}{
			{"unique email", func() error {
				return c.User.Create().SetEmail("a@example.com").SetName("B").SetPasswordHash("x").Exec(ctx)
			}, apperr.Conflict, "a user with this email already exists", nil},
			{"unique slug", func() error {
				return c.Category.Create().SetName("T").SetSlug("tools").Exec(ctx)
			}, apperr.Conflict, "a category with this slug already exists", nil},
			{"unique slug on update", func() error {
				other := c.Category.Create().SetName("Other").SetSlug("other").SaveX(ctx)
				return fmt.Errorf("update category: %w", c.Category.UpdateOne(other).SetSlug("tools").Exec(ctx))
			}, apperr.Conflict, "a category with this slug already exists", nil},
			{"unique index without a message", func() error {
				return c.CartItem.Create().SetUserID(u.ID).SetProductID(p.ID).SetVariantID(v.ID).SetQuantity(1).Exec(ctx)
			}, apperr.Conflict, "the change conflicts with the data already stored", nil},
			{"check constraint", func() error {
				return c.Product.UpdateOneID(p.ID).AddPrice(-p.Price).Exec(ctx) // price ≥ 1
			}, apperr.Conflict, "the change conflicts with the data already stored", nil},
			{"foreign key to a vanished user", func() error {
				return c.CartItem.Create().SetUserID(u.ID + 1000).SetProductID(p.ID).SetVariantID(v.ID).SetQuantity(1).Exec(ctx)
			}, vanished, vanishedMsg, nil},
			{"foreign key to something else", func() error {
				return c.CartItem.Create().SetUserID(u.ID).SetProductID(p.ID + 1000).SetVariantID(v.ID + 1000).SetQuantity(1).Exec(ctx)
			}, apperr.Conflict, "", nil},
			{"not found", func() error {
				_, err := c.Product.Get(ctx, p.ID+1000)
				return fmt.Errorf("product: %w", err)
			}, apperr.NotFound, "no such product", nil},
			{"not found, two words", func() error {
				_, err := c.APIKey.Get(ctx, 1)
				return err
			}, apperr.NotFound, "no such API key", nil},
			{"not found by a query", func() error {
				_, err := c.Webhook.Query().Only(ctx)
				return err
			}, apperr.NotFound, "no such webhook", nil},
			{"ent validator", func() error {
				return c.Product.Create().SetCategory(cat).SetName("Free").SetPrice(0).Exec(ctx)
			}, apperr.ValidationFailed, "", []string{"price"}},
			{"schema hook", func() error {
				child := c.Category.Create().SetName("Child").SetSlug("child").SetParent(cat).SaveX(ctx)
				return c.Category.UpdateOne(cat).SetParentID(child.ID).Exec(ctx)
			}, apperr.ValidationFailed, "", []string{"parent_id"}},
			{"a module's code over a constraint", func() error {
				err := c.Category.Create().SetName("T").SetSlug("tools").Exec(ctx)
				return apperr.New(apperr.ValidationFailed, "module says").Wrap(err)
			}, apperr.ValidationFailed, "module says", nil},
			{"a vanished user over a module's code", func() error {
				err := c.CartItem.Create().SetUserID(u.ID + 2000).SetProductID(p.ID).SetVariantID(v.ID).SetQuantity(1).Exec(ctx)
				return apperr.New(apperr.Conflict, "module says").Wrap(err)
			}, overModule, "", nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.err()
				if err == nil {
					t.Fatal("no error")
				}
				e := database.Translate(err)
				if e.Code != tt.code {
					t.Fatalf("Translate(%v).Code = %q, want %q", err, e.Code, tt.code)
				}
				if tt.message != "" && e.Message != tt.message {
					t.Errorf("message = %q, want %q", e.Message, tt.message)
				}
				for _, leak := range []string{"ent:", "constraint", "SQL", "violates", "failed:"} {
					if strings.Contains(e.Message, leak) {
						t.Errorf("message %q leaks %q", e.Message, leak)
					}
				}
				var fields []string
				for _, f := range e.Fields {
					fields = append(fields, f.Field)
				}
				if !reflect.DeepEqual(fields, tt.fields) {
					t.Errorf("fields = %v, want %v", fields, tt.fields)
				}
				if !errors.Is(e, err) && !errors.Is(err, e) {
					t.Errorf("the cause is lost: %v", e)
				}
			})
		}
	})
}
