package ordering_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5/pgconn"

	"shop/ent"
	"shop/ent/cartitem"
	"shop/ent/variant"
	"shop/internal/app"
	"shop/internal/apperr"
	"shop/internal/config"
	"shop/internal/database"
	"shop/internal/events"
	"shop/internal/invariants"
	"shop/internal/testdb"
	"shop/modules/cart"
	"shop/modules/catalog"
	"shop/modules/identity"
	"shop/modules/inventory"
	"shop/modules/ordering"
	"shop/schema"
)

// env is a database with a counting driver, the shop's services, a user and
// ten products.
type env struct {
	db       *database.DB
	drv      *database.Counter
	client   *ent.Client
	run      *database.Runner
	svc      *app.Services
	userID   int
	products []int
}

func newEnv(tb testing.TB, dia, locking string) *env {
	tb.Helper()
	ctx := context.Background()
	db, drv := testdb.NewCounting(tb, dia)
	client := db.Client
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"SHOP_CHECKOUT_LOCKING": locking, "SHOP_BCRYPT_COST": "4"}[k]
	})
	if err != nil {
		tb.Fatal(err)
	}
	e := &env{db: db, drv: drv, client: client, run: testdb.Runner(tb, client), svc: app.NewServices(cfg, dia)}
	u, err := e.svc.Identity.CreateUser(ctx, client, identity.CreateUserInput{Email: "bench@example.com", Password: "password-1", Name: "B", Role: identity.RoleCustomer})
	if err != nil {
		tb.Fatal(err)
	}
	e.userID = u.ID
	err = e.run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		c, err := e.svc.Catalog.CreateCategory(ctx, tx.Client(), catalog.CategoryInput{Name: "B", Slug: "b"})
		if err != nil {
			return err
		}
		for i := range 10 {
			p, err := e.svc.Catalog.CreateProduct(ctx, tx.Client(), catalog.ProductInput{
				CategoryID: new(c.ID), Name: fmt.Sprintf("P%d", i), Price: new(int64(100 + i)), Stock: new(1_000_000_000),
			})
			if err != nil {
				return err
			}
			e.products = append(e.products, p.ID)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// fill puts n products in the user's cart.
func (e *env) fill(tb testing.TB, n int) {
	tb.Helper()
	ctx := context.Background()
	for _, id := range e.products[:n] {
		err := e.run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) error {
			_, err := e.svc.Cart.Add(ctx, tx.Client(), e.userID, cart.AddInput{ProductID: new(id), Quantity: new(1 + id%3)})
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

func (e *env) checkout(ctx context.Context, key string) (*ent.Order, error) {
	var o *ent.Order
	err := e.run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) (err error) {
		o, _, err = e.svc.Ordering.Checkout(ctx, tx.Client(), ordering.CheckoutInput{UserID: e.userID, IdempotencyKey: key})
		return err
	})
	return o, err
}

// statementBudget is the number of statements one checkout sends, BEGIN
// and COMMIT included, whatever its number of lines (docs/checkout.md),
// counted below database/sql: the order's, and the one INSERT that records
// its events as River jobs. PostgreSQL takes the cart's lines in one
// statement (DELETE … RETURNING), SQLite in two (read, delete).
func statementBudget(dia, locking, key string) int {
	n := map[string]map[string]int{
		ordering.Optimistic:  {"": 9, "key": 11},
		ordering.Pessimistic: {"": 10, "key": 12},
	}[locking][key]
	if dia == dialect.Postgres {
		n--
	}
	return n
}

func TestCheckout_StatementBudget(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		for _, locking := range []string{ordering.Optimistic, ordering.Pessimistic} {
			t.Run(locking, func(t *testing.T) {
				e := newEnv(t, dia, locking)
				for _, key := range []string{"", "key"} {
					for _, lines := range []int{1, 3, 10} {
						e.fill(t, lines)
						before := e.drv.N.Load()
						k := key
						if k != "" {
							k = fmt.Sprintf("%s-%d", key, lines)
						}
						o, err := e.checkout(context.Background(), k)
						if err != nil {
							t.Fatal(err)
						}
						got := int(e.drv.N.Load() - before)
						if len(o.Edges.Items) != lines {
							t.Fatalf("order has %d lines, want %d", len(o.Edges.Items), lines)
						}
						t.Logf("%d lines, key %q: %d statements", lines, key, got)
						if want := statementBudget(dia, locking, key); got != want {
							t.Errorf("checkout of %d lines (key %q) sent %d statements, want %d", lines, key, got, want)
						}
					}
				}
			})
		}
	})
}

// TestCheckout_DecrementLast checks that on PostgreSQL nothing but COMMIT
// follows the stock decrement, so a hot product's row lock is held for the
// least time (docs/checkout.md): the order's events are written before it,
// and an inventory.low_stock the decrement causes is recorded by the
// decrement's own statement (WITH moved AS (UPDATE …), low AS (INSERT INTO
// river_job …)); with and without Idempotency-Key, both lockings, with and
// without a low-stock crossing. SQLite has no data-modifying CTE and one
// writer at a time (no row lock to hold longer): there the decrement is
// followed by the one INSERT of all the events, then COMMIT.
func TestCheckout_DecrementLast(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		for _, locking := range []string{ordering.Optimistic, ordering.Pessimistic} {
			e := newEnv(t, dia, locking)
			testdb.Subscribe(t, e.client) // events are recorded only when a webhook subscribes
			for _, key := range []string{"", "last-" + locking} {
				for _, crossing := range []bool{false, true} {
					e.fill(t, 3)
					lowVariant := 0
					if crossing {
						// Stock 6, threshold 5: taking 2 leaves 4.
						lowVariant = e.addLow(t, 6, 2)
					}
					var sent []string
					e.drv.Before = func(_ context.Context, _ int64, query string) { sent = append(sent, query) }
					k := key
					if k != "" && crossing {
						k += "-low"
					}
					_, err := e.checkoutOnce(context.Background(), k)
					e.drv.Before = nil
					if err != nil {
						t.Fatal(err)
					}
					n, dec, ev := len(sent), -1, -1
					for i, q := range sent {
						switch {
						case isDecrement(q):
							dec = i
						case isEventInsert(q) && ev < 0:
							ev = i
						}
					}
					if dec < 0 || ev < 0 {
						t.Fatalf("%s, key %q, low stock %v: no decrement or no events' INSERT in %q", locking, k, crossing, sent)
					}
					afterDecrement := sent[dec+1:]
					want, order := []string{"COMMIT"}, ev < dec
					if dia == dialect.SQLite {
						want, order = []string{"(the events' INSERT)", "COMMIT"}, ev == dec+1
						if len(afterDecrement) == 2 && isEventInsert(afterDecrement[0]) {
							afterDecrement[0] = want[0]
						}
					}
					if !order || n-dec-1 != len(want) || fmt.Sprint(afterDecrement) != fmt.Sprint(want) {
						t.Errorf("%s, key %q, low stock %v: want only %q after the decrement; sent %q", locking, k, crossing, want, sent)
					}
					if crossing {
						e.wantLowStock(t, lowVariant, 4)
					}
				}
			}
		}
	})
}

// isDecrement reports whether query is the stock primitive's UPDATE (on
// PostgreSQL inside its WITH).
func isDecrement(query string) bool {
	return strings.HasPrefix(query, "UPDATE variants SET stock") || strings.HasPrefix(query, "WITH moved AS (UPDATE variants SET stock")
}

// isEventInsert reports whether query is the outbox's INSERT of River jobs:
// the events of a transaction.
func isEventInsert(query string) bool {
	q := strings.ToLower(query)
	return !isDecrement(query) && strings.Contains(q, "insert into") && strings.Contains(q, "river_job")
}

// addLow creates a product of one variant with stock units and puts
// quantity of it in the user's cart; it returns the variant's id.
func (e *env) addLow(tb testing.TB, stock, quantity int) int {
	tb.Helper()
	ctx := context.Background()
	var pid int
	err := e.run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		n := tx.Product.Query().CountX(ctx)
		c, err := e.svc.Catalog.CreateCategory(ctx, tx.Client(), catalog.CategoryInput{Name: fmt.Sprintf("Low %d", n), Slug: fmt.Sprintf("low-%d", n)})
		if err != nil {
			return err
		}
		p, err := e.svc.Catalog.CreateProduct(ctx, tx.Client(), catalog.ProductInput{
			CategoryID: new(c.ID), Name: fmt.Sprintf("Low %d", n), Price: new(int64(100)), Stock: new(stock),
		})
		pid = p.ID
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	err = e.run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		_, err := e.svc.Cart.Add(ctx, tx.Client(), e.userID, cart.AddInput{ProductID: new(pid), Quantity: new(quantity)})
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return e.client.Variant.Query().Where(variant.ProductID(pid)).OnlyIDX(ctx)
}

// wantLowStock checks that one inventory.low_stock job was recorded for the
// variant, with its stock and the threshold (5), as River will work it.
func (e *env) wantLowStock(tb testing.TB, variantID, stock int) {
	tb.Helper()
	q := `SELECT args::text FROM river_job WHERE kind = 'shop_event'`
	if e.db.Dialect == dialect.SQLite {
		q = `SELECT json(args) FROM river_job WHERE kind = 'shop_event'`
	}
	rows, err := e.db.SQL.QueryContext(context.Background(), q)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var found []events.Args
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			tb.Fatal(err)
		}
		var a events.Args
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			tb.Fatalf("job args %s: %v", raw, err)
		}
		var d events.LowStock
		if a.Type == events.InventoryLowStock && json.Unmarshal(a.Data, &d) == nil && d.VariantID == variantID {
			if !strings.HasPrefix(a.ID, "evt_") || a.CreatedAt.IsZero() || d.Stock != stock || d.Threshold != 5 || d.ProductID == 0 {
				tb.Errorf("low_stock event %+v, data %s", a, a.Data)
			}
			found = append(found, a)
		}
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(found) != 1 {
		tb.Errorf("%d inventory.low_stock events for variant %d, want 1", len(found), variantID)
	}
}

// TestCheckout_ConnectionKilled kills the checkout's PostgreSQL connection
// before each of its statements in turn: nothing partial remains, the cart
// is intact, and the next checkout succeeds.
func TestCheckout_ConnectionKilled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, dialect.Postgres, ordering.Optimistic)
	e.db.SQL.SetMaxOpenConns(1) // the checkout's connection is the only one
	admin := testdb.Open(t, testdb.PostgresAdminURL())
	budget := statementBudget(dialect.Postgres, ordering.Optimistic, "key")
	for point := 1; point <= budget; point++ {
		t.Run(fmt.Sprintf("before statement %d", point), func(t *testing.T) {
			e.fill(t, 3)
			var pid int
			if err := e.db.SQL.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
				t.Fatal(err)
			}
			stockBefore := stocks(t, e)
			ordersBefore := e.client.Order.Query().CountX(ctx)
			start := e.drv.N.Load()
			e.drv.Before = func(_ context.Context, n int64, _ string) {
				if n == start+int64(point) {
					if _, err := admin.SQL.ExecContext(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
						t.Errorf("terminate: %v", err)
					}
				}
			}
			_, err := e.checkoutOnce(ctx, fmt.Sprintf("killed-%d", point))
			e.drv.Before = nil
			if err == nil {
				t.Fatal("checkout succeeded on a killed connection")
			}
			var ae *apperr.Error
			if errors.As(err, &ae) {
				t.Fatalf("a killed connection surfaced as %s", ae.Code)
			}
			if n := e.client.Order.Query().CountX(ctx); n != ordersBefore {
				t.Fatalf("%d orders after a killed checkout, want %d", n, ordersBefore)
			}
			if got := stocks(t, e); fmt.Sprint(got) != fmt.Sprint(stockBefore) {
				t.Fatalf("stock changed by a killed checkout: %v → %v", stockBefore, got)
			}
			if n := e.client.CartItem.Query().Where(cartitem.UserID(e.userID)).CountX(ctx); n != 3 {
				t.Fatalf("cart has %d lines after a killed checkout, want 3", n)
			}
			bad, err := invariants.Check(ctx, e.client)
			if err != nil || len(bad) > 0 {
				t.Fatalf("invariants: %v %v", err, bad)
			}
			if _, err := e.checkout(ctx, fmt.Sprintf("after-%d", point)); err != nil {
				t.Fatalf("the next checkout failed: %v", err)
			}
		})
	}
}

// checkoutOnce runs one checkout through the runner, which runs it again
// only after a transient conflict (a killed connection is not one).
func (e *env) checkoutOnce(ctx context.Context, key string) (*ent.Order, error) {
	var o *ent.Order
	err := e.run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) (err error) {
		o, _, err = e.svc.Ordering.Checkout(ctx, tx.Client(), ordering.CheckoutInput{UserID: e.userID, IdempotencyKey: key})
		return err
	})
	return o, err
}

func stocks(t testing.TB, e *env) []int {
	t.Helper()
	var out []int
	for _, id := range e.products {
		out = append(out, e.client.Product.GetX(context.Background(), id).Stock)
	}
	return out
}

// BenchmarkCheckout measures one checkout at the service level on
// PostgreSQL, by number of lines, with the statements it sends.
func BenchmarkCheckout(b *testing.B) {
	for _, lines := range []int{1, 3, 10} {
		b.Run(fmt.Sprintf("lines=%d", lines), func(b *testing.B) {
			e := newEnv(b, dialect.Postgres, ordering.Optimistic)
			ctx := context.Background()
			var statements int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e.fill(b, lines)
				before := e.drv.N.Load()
				b.StartTimer()
				if _, err := e.checkout(ctx, fmt.Sprintf("k%d", i)); err != nil {
					b.Fatal(err)
				}
				statements += e.drv.N.Load() - before
			}
			b.ReportMetric(float64(statements)/float64(b.N), "statements/op")
		})
	}
}

// TestCheckout_RetriedIsOneOrder: a checkout whose first attempt dies with
// a deadlock after doing all its work is run again and still makes exactly
// one order.
func TestCheckout_RetriedIsOneOrder(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		e := newEnv(t, dia, ordering.Optimistic)
		e.fill(t, 3)
		before := stocks(t, e)
		attempts, retries := 0, 0
		err := e.run.OnRetry(func(error) { retries++ }).Tx(ctx, func(ctx context.Context, tx *ent.Tx) error {
			attempts++
			if _, _, err := e.svc.Ordering.Checkout(ctx, tx.Client(), ordering.CheckoutInput{UserID: e.userID, IdempotencyKey: "k"}); err != nil {
				return err
			}
			if attempts == 1 {
				return &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
			}
			return nil
		})
		if err != nil || attempts != 2 || retries != 1 {
			t.Fatalf("err %v after %d attempts, %d retries", err, attempts, retries)
		}
		if n := e.client.Order.Query().CountX(ctx); n != 1 {
			t.Fatalf("%d orders after a retried checkout, want 1", n)
		}
		after := stocks(t, e)
		for i := range 3 {
			if want := before[i] - (1 + e.products[i]%3); after[i] != want {
				t.Fatalf("product %d stock %d, want %d (taken once)", e.products[i], after[i], want)
			}
		}
		bad, err := invariants.Check(ctx, e.client)
		if err != nil || len(bad) > 0 {
			t.Fatalf("invariants: %v %v", err, bad)
		}
	})
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "40001"}, true},
		{&pgconn.PgError{Code: "40P01"}, true},
		{fmt.Errorf("commit: %w", &pgconn.PgError{Code: "40001"}), true},
		{&pgconn.PgError{Code: "23505"}, false},
		{database.ErrRetry, true},
		{errors.New("boom"), false},
		{apperr.New(apperr.InsufficientStock, "x"), false},
	} {
		if got := database.Retryable(c.err); got != c.want {
			t.Errorf("Retryable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// TestSell_Unavailable: the guarded decrement also refuses a product
// deactivated or deleted after the cart was read, and says so.
func TestSell_Unavailable(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		e := newEnv(t, dia, ordering.Optimistic)
		off, gone, ok := e.products[0], e.products[1], e.products[2]
		e.client.Product.UpdateOneID(off).SetIsActive(false).ExecX(ctx)
		e.client.Product.DeleteOneID(gone).ExecX(ctx)
		stock := inventory.Service{}
		err := e.run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) error {
			vid := func(productID int) int {
				return tx.Variant.Query().Where(variant.ProductID(productID)).OnlyIDX(schema.SkipSoftDelete(ctx))
			}
			lines := []inventory.Line{{ProductID: ok, VariantID: vid(ok), Quantity: 1}, {ProductID: gone, VariantID: vid(gone), Quantity: 1}, {ProductID: off, VariantID: vid(off), Quantity: 1}}
			o := tx.Order.Create().SetUserID(e.userID).SetTotalAmount(3).SetCurrency("USD").SaveX(ctx)
			taken, err := stock.Sell(ctx, tx.Client(), o.ID, lines)
			if err != nil {
				return err
			}
			if fmt.Sprint(taken.Unavailable) != fmt.Sprint([]int{off, gone}) || len(taken.Short) != 0 {
				t.Errorf("taken = %+v, want %d and %d unavailable", taken, off, gone)
			}
			locked, err := stock.LockStock(ctx, tx.Client(), lines)
			if err != nil {
				return err
			}
			if fmt.Sprint(locked.Unavailable) != fmt.Sprint([]int{off, gone}) {
				t.Errorf("LockStock = %+v", locked)
			}
			return errors.New("roll back")
		})
		if err == nil || err.Error() != "roll back" {
			t.Fatal(err)
		}
	})
}
