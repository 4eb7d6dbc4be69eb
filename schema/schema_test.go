package schema_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"shop/ent"
	"shop/ent/inventorymovement"
	"shop/ent/order"
	"shop/ent/product"
	"shop/internal/apperr"
	"shop/internal/database"
	"shop/internal/testdb"
	"shop/modules/inventory/stock"
	"shop/schema"
)

// fixture holds a user and a product with stock, on a fresh database.
type fixture struct {
	db      *database.DB
	c       *ent.Client
	run     *database.Runner
	user    *ent.User
	product *ent.Product
	variant *ent.Variant
}

func newFixture(t *testing.T, dia string, stock int) *fixture {
	t.Helper()
	ctx := context.Background()
	db := testdb.New(t, dia)
	c := db.Client
	u := c.User.Create().SetEmail("a@example.com").SetName("A").SetPasswordHash("x").SaveX(ctx)
	cat := c.Category.Create().SetName("Tools").SetSlug("tools").SaveX(ctx)
	p := c.Product.Create().SetCategory(cat).SetName("Hammer").SetPrice(1999).SaveX(ctx)
	v := c.Variant.Create().SetProduct(p).SetStock(stock).SaveX(ctx)
	c.InventoryMovement.Create().SetProduct(p).SetVariant(v).SetQuantityChange(stock).SetReason(inventorymovement.ReasonInitial).SaveX(ctx)
	return &fixture{db: db, c: c, run: testdb.Runner(t, c), user: u, product: p, variant: v}
}

// order places a pending order of qty units, taking them from stock with a
// sale movement, as checkout does.
func (f *fixture) order(t *testing.T, qty int) *ent.Order {
	t.Helper()
	ctx := context.Background()
	var o *ent.Order
	err := f.run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		o = tx.Order.Create().SetUserID(f.user.ID).SetTotalAmount(int64(qty) * 1999).SetCurrency("USD").SaveX(ctx)
		tx.OrderItem.Create().SetOrder(o).SetProductID(f.product.ID).SetVariantID(f.variant.ID).SetProductName("Hammer").SetUnitPrice(1999).SetQuantity(qty).SaveX(ctx)
		r, err := stock.Move(ctx, tx.Client(), []stock.Change{{ProductID: f.product.ID, VariantID: f.variant.ID, Change: -qty, Reason: inventorymovement.ReasonSale, OrderID: &o.ID}})
		if err == nil && !r.OK() {
			err = fmt.Errorf("sale refused: %+v", r)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// setStatus changes an order's status in its own transaction.
func (f *fixture) setStatus(ctx context.Context, id int, to string) error {
	return f.run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		return tx.Order.UpdateOneID(id).SetStatus(order.Status(to)).Exec(ctx)
	})
}

func (f *fixture) stock(t *testing.T) int {
	t.Helper()
	return f.c.Product.GetX(context.Background(), f.product.ID).Stock
}

// checkLedger fails unless every product's stock is the sum of its
// movements.
func (f *fixture) checkLedger(t *testing.T) {
	t.Helper()
	r, err := stock.Reconcile(context.Background(), f.c)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range r.Discrepancies {
		t.Fatalf("product %d variant %v: stock %d != ledger sum %d", d.ProductID, d.VariantID, d.Stock, d.LedgerSum)
	}
}

func TestChecks(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		f := newFixture(t, dia, 5)

		t.Run("StockNeverNegative", func(t *testing.T) {
			// Below Ent (whose hook refuses any stock change outside
			// stock.Move), the CHECK must hold.
			_, err := f.db.SQL.ExecContext(ctx, fmt.Sprintf("UPDATE variants SET stock = stock - 6 WHERE id = %d", f.variant.ID))
			if err == nil {
				t.Fatal("stock below zero: accepted, want the CHECK to refuse it")
			}
			if got := f.stock(t); got != 5 {
				t.Fatalf("stock = %d after refused update, want 5", got)
			}
		})
		t.Run("StockOnlyThroughMoveStock", func(t *testing.T) {
			for name, upd := range map[string]*ent.ProductUpdateOne{
				"SetStock(-1)":  f.c.Product.UpdateOneID(f.product.ID).SetStock(-1),
				"SetStock(100)": f.c.Product.UpdateOneID(f.product.ID).SetStock(100),
				"AddStock(1)":   f.c.Product.UpdateOneID(f.product.ID).AddStock(1),
				"AddStock(-1)":  f.c.Product.UpdateOneID(f.product.ID).AddStock(-1),
			} {
				if err := upd.Exec(ctx); !errors.Is(err, schema.ErrStockSet) {
					t.Fatalf("%s: %v, want ErrStockSet", name, err)
				}
			}
			for name, upd := range map[string]*ent.VariantUpdateOne{
				"variant SetStock(100)": f.c.Variant.UpdateOneID(f.variant.ID).SetStock(100),
				"variant AddStock(1)":   f.c.Variant.UpdateOneID(f.variant.ID).AddStock(1),
			} {
				if err := upd.Exec(ctx); !errors.Is(err, schema.ErrStockSet) {
					t.Fatalf("%s: %v, want ErrStockSet", name, err)
				}
			}
			if err := f.c.Product.Create().SetCategoryID(f.product.CategoryID).SetName("X").SetPrice(1).SetStock(3).Exec(ctx); !errors.Is(err, schema.ErrStockSet) {
				t.Fatalf("product created with stock: %v, want ErrStockSet", err)
			}
			if err := f.c.Product.Update().Where(product.ID(f.product.ID)).AddStock(1).Exec(ctx); !errors.Is(err, schema.ErrStockSet) {
				t.Fatalf("bulk AddStock: %v, want ErrStockSet", err)
			}
			if got := f.stock(t); got != 5 {
				t.Fatalf("stock = %d after refused updates, want 5", got)
			}
		})
		t.Run("PricePositive", func(t *testing.T) {
			err := f.c.Product.UpdateOneID(f.product.ID).AddPrice(-1999).Exec(ctx)
			if !ent.IsConstraintError(err) {
				t.Fatalf("price 0: %v, want a constraint error", err)
			}
		})
		t.Run("CartQuantityBounds", func(t *testing.T) {
			line := f.c.CartItem.Create().SetUserID(f.user.ID).SetProductID(f.product.ID).SetVariantID(f.variant.ID).SetQuantity(1).SaveX(ctx)
			defer f.c.CartItem.DeleteOne(line).ExecX(ctx)
			for _, delta := range []int{-1, 1000} {
				err := f.c.CartItem.UpdateOne(line).AddQuantity(delta).Exec(ctx)
				if !ent.IsConstraintError(err) {
					t.Errorf("quantity 1%+d: %v, want a constraint error", delta, err)
				}
			}
			if err := f.c.CartItem.UpdateOne(line).AddQuantity(999).Exec(ctx); err != nil {
				t.Errorf("quantity 1000: %v", err)
			}
			for _, q := range []int{0, 1001} {
				if err := f.c.CartItem.Create().SetUserID(f.user.ID).SetProductID(f.product.ID).SetVariantID(f.variant.ID).SetQuantity(q).Exec(ctx); err == nil {
					t.Errorf("create with quantity %d succeeded", q)
				}
			}
		})
		t.Run("OneCartLinePerProduct", func(t *testing.T) {
			f.c.CartItem.Create().SetUserID(f.user.ID).SetProductID(f.product.ID).SetVariantID(f.variant.ID).SetQuantity(1).ExecX(ctx)
			err := f.c.CartItem.Create().SetUserID(f.user.ID).SetProductID(f.product.ID).SetVariantID(f.variant.ID).SetQuantity(2).Exec(ctx)
			if !ent.IsConstraintError(err) {
				t.Fatalf("second line: %v, want a constraint error", err)
			}
		})
		t.Run("UniqueEmailAndSlug", func(t *testing.T) {
			if err := f.c.User.Create().SetEmail("a@example.com").SetName("B").SetPasswordHash("x").Exec(ctx); !ent.IsConstraintError(err) {
				t.Errorf("duplicate email: %v", err)
			}
			if err := f.c.Category.Create().SetName("T").SetSlug("tools").Exec(ctx); !ent.IsConstraintError(err) {
				t.Errorf("duplicate slug: %v", err)
			}
			if err := f.c.Category.Create().SetName("T").SetSlug("Bad Slug").Exec(ctx); err == nil {
				t.Errorf("bad slug accepted")
			}
		})
		t.Run("LedgerAppendOnly", func(t *testing.T) {
			m := f.c.InventoryMovement.Query().FirstX(ctx)
			if err := f.c.InventoryMovement.DeleteOne(m).Exec(ctx); err == nil {
				t.Error("movement deleted")
			}
		})
	})
}

func TestSoftDelete(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		f := newFixture(t, dia, 5)
		f.c.Product.DeleteOneID(f.product.ID).ExecX(ctx)
		if _, err := f.c.Product.Get(ctx, f.product.ID); !ent.IsNotFound(err) {
			t.Fatalf("deleted product still readable: %v", err)
		}
		p, err := f.c.Product.Get(schema.SkipSoftDelete(ctx), f.product.ID)
		if err != nil {
			t.Fatalf("deleted product gone from the table: %v", err)
		}
		if p.DeletedAt == nil {
			t.Fatal("deleted_at not set")
		}
		if p.Version != 2 {
			t.Errorf("version = %d after delete, want 2", p.Version)
		}
	})
}

func TestOrderStatus_Transitions(t *testing.T) {
	t.Parallel()
	all := []string{schema.StatusPending, schema.StatusProcessing, schema.StatusShipped, schema.StatusDelivered, schema.StatusCancelled}
	// pathTo lists the moves from pending that reach a status.
	pathTo := map[string][]string{
		schema.StatusPending:    nil,
		schema.StatusProcessing: {schema.StatusProcessing},
		schema.StatusShipped:    {schema.StatusProcessing, schema.StatusShipped},
		schema.StatusDelivered:  {schema.StatusProcessing, schema.StatusShipped, schema.StatusDelivered},
		schema.StatusCancelled:  {schema.StatusCancelled},
	}
	allowed := map[[2]string]bool{
		{"pending", "processing"}: true, {"pending", "cancelled"}: true,
		{"processing", "shipped"}: true, {"processing", "cancelled"}: true,
		{"shipped", "delivered"}: true,
	}
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		f := newFixture(t, dia, 1000)
		for _, from := range all {
			for _, to := range all {
				t.Run(from+"->"+to, func(t *testing.T) {
					o := f.order(t, 2)
					for _, s := range pathTo[from] {
						if err := f.setStatus(ctx, o.ID, s); err != nil {
							t.Fatalf("reaching %s: %v", from, err)
						}
					}
					stockBefore := f.stock(t)
					err := f.setStatus(ctx, o.ID, to)
					got := f.c.Order.GetX(ctx, o.ID).Status
					if allowed[[2]string{from, to}] {
						if err != nil {
							t.Fatalf("%s -> %s refused: %v", from, to, err)
						}
						if string(got) != to {
							t.Fatalf("status = %s, want %s", got, to)
						}
					} else {
						if !isTransition(err, from, to) {
							t.Fatalf("%s -> %s: %v, want invalid_status_transition from %s to %s", from, to, err, from, to)
						}
						if string(got) != from {
							t.Fatalf("status = %s after refusal, want %s", got, from)
						}
					}
					wantStock := stockBefore
					if err == nil && to == schema.StatusCancelled {
						wantStock += 2
					}
					if s := f.stock(t); s != wantStock {
						t.Fatalf("stock = %d, want %d", s, wantStock)
					}
					f.checkLedger(t)
				})
			}
		}
		if schema.CanTransition("pending", "bogus") {
			t.Error("transition to an unknown status allowed")
		}
	})
}

func TestOrderStatus_CancelRestocks(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		f := newFixture(t, dia, 10)
		o := f.order(t, 3)
		if s := f.stock(t); s != 7 {
			t.Fatalf("stock after order = %d", s)
		}
		if err := f.c.Order.UpdateOneID(o.ID).SetStatus(order.StatusCancelled).Exec(ctx); !errors.Is(err, schema.ErrCancelOutsideTx) {
			t.Fatalf("cancel outside a transaction: %v, want ErrCancelOutsideTx", err)
		}
		if err := f.setStatus(ctx, o.ID, schema.StatusCancelled); err != nil {
			t.Fatal(err)
		}
		if s := f.stock(t); s != 10 {
			t.Fatalf("stock after cancel = %d, want 10", s)
		}
		moves := f.c.InventoryMovement.Query().Where(inventorymovement.ReasonEQ(inventorymovement.ReasonCancellation)).AllX(ctx)
		if len(moves) != 1 || moves[0].QuantityChange != 3 || moves[0].OrderID == nil || *moves[0].OrderID != o.ID {
			t.Fatalf("cancellation movements = %+v", moves)
		}
	})
}

func TestOrderStatus_CreateAndDelete(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		f := newFixture(t, dia, 10)
		err := f.c.Order.Create().SetUserID(f.user.ID).SetTotalAmount(0).SetCurrency("USD").SetStatus(order.StatusShipped).Exec(ctx)
		if !isTransition(err, "", schema.StatusShipped) {
			t.Fatalf("create as shipped: %v, want invalid_status_transition", err)
		}
		o := f.order(t, 1)
		if err := f.c.Order.DeleteOneID(o.ID).Exec(ctx); err == nil {
			t.Fatal("order deleted")
		}
		if n := f.c.Order.Query().CountX(ctx); n != 1 {
			t.Fatalf("orders = %d, want 1", n)
		}
	})
}

func TestOrderStatus_Concurrent(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		f := newFixture(t, dia, 100)
		for round := range 5 {
			t.Run(fmt.Sprint(round), func(t *testing.T) {
				o := f.order(t, 1)
				if err := f.setStatus(ctx, o.ID, schema.StatusProcessing); err != nil {
					t.Fatal(err)
				}
				// Ship and cancel race; each makes the other invalid.
				targets := []string{schema.StatusShipped, schema.StatusCancelled, schema.StatusShipped, schema.StatusCancelled}
				errs := make([]error, len(targets))
				var wg sync.WaitGroup
				for i, to := range targets {
					wg.Add(1)
					go func() {
						defer wg.Done()
						errs[i] = f.setStatus(ctx, o.ID, to)
					}()
				}
				wg.Wait()
				wins := 0
				var winner string
				for i, err := range errs {
					var ae *apperr.Error
					switch {
					case err == nil:
						wins++
						winner = targets[i]
					case !errors.As(err, &ae):
						t.Fatalf("transition to %s: unexpected error %v", targets[i], err)
					case ae.Code == apperr.InvalidStatusTransition,
						ae.Code == apperr.Conflict && strings.Contains(ae.Message, "changed by another request"):
					default:
						t.Fatalf("transition to %s: unexpected error %v", targets[i], err)
					}
				}
				if wins != 1 {
					t.Fatalf("%d transitions won, want exactly 1", wins)
				}
				if got := string(f.c.Order.GetX(ctx, o.ID).Status); got != winner {
					t.Fatalf("status = %s, winner was %s", got, winner)
				}
				f.checkLedger(t)
			})
		}
	})
}

func TestOrderStatus_Bulk(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		f := newFixture(t, dia, 100)
		ids := []int{f.order(t, 1).ID, f.order(t, 2).ID, f.order(t, 3).ID}
		bulk := func(to order.Status) (int, error) {
			var n int
			err := f.run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) (err error) {
				n, err = tx.Order.Update().Where(order.IDIn(ids...)).SetStatus(to).Save(ctx)
				return err
			})
			return n, err
		}
		if n, err := bulk(order.StatusProcessing); err != nil || n != 3 {
			t.Fatalf("bulk to processing: n=%d err=%v", n, err)
		}
		// One order moves on; now a bulk delivery is invalid for the others.
		if err := f.setStatus(ctx, ids[0], schema.StatusShipped); err != nil {
			t.Fatal(err)
		}
		_, err := bulk(order.StatusDelivered)
		if !isTransition(err, schema.StatusProcessing, schema.StatusDelivered) {
			t.Fatalf("bulk delivered: %v, want invalid_status_transition from processing", err)
		}
		if n := f.c.Order.Query().Where(order.StatusEQ(order.StatusDelivered)).CountX(ctx); n != 0 {
			t.Fatalf("%d orders delivered by a refused bulk update", n)
		}
		ids = ids[1:]
		if n, err := bulk(order.StatusCancelled); err != nil || n != 2 {
			t.Fatalf("bulk cancel: n=%d err=%v", n, err)
		}
		if s := f.stock(t); s != 99 {
			t.Fatalf("stock after bulk cancel = %d, want 99", s)
		}
		f.checkLedger(t)
	})
}

// TestOrderStatus_DatabaseGuard: below the hook, the database refuses a
// forbidden status change from any path, raw SQL included.
func TestOrderStatus_DatabaseGuard(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		f := newFixture(t, dia, 10)
		o := f.order(t, 1)
		if err := f.setStatus(ctx, o.ID, schema.StatusCancelled); err != nil {
			t.Fatal(err)
		}
		q := "UPDATE orders SET status = 'pending' WHERE id = ?"
		if dia == "postgres" {
			q = "UPDATE orders SET status = 'pending' WHERE id = $1"
		}
		if _, err := f.db.SQL.ExecContext(ctx, q, o.ID); err == nil {
			t.Fatal("raw SQL revived a cancelled order")
		}
		if st := f.c.Order.GetX(ctx, o.ID).Status; st != order.StatusCancelled {
			t.Fatalf("status = %s", st)
		}
		// Allowed edges still pass through raw SQL.
		o2 := f.order(t, 1)
		q = "UPDATE orders SET status = 'processing' WHERE id = ?"
		if dia == "postgres" {
			q = "UPDATE orders SET status = 'processing' WHERE id = $1"
		}
		if _, err := f.db.SQL.ExecContext(ctx, q, o2.ID); err != nil {
			t.Fatalf("an allowed edge refused: %v", err)
		}
	})
}

// TestCategoryTree: the tree rules hold for a bare Ent write, not just REST.
func TestCategoryTree(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		f := newFixture(t, dia, 1) // "tools" holds the product
		root := f.c.Category.Create().SetName("Root").SetSlug("root").SaveX(ctx)
		child := f.c.Category.Create().SetName("Child").SetSlug("child").SetParent(root).SaveX(ctx)
		if err := f.c.Category.UpdateOne(root).SetParentID(child.ID).Exec(ctx); !isCycle(err) {
			t.Fatalf("cycle: %v", err)
		}
		if err := f.c.Category.UpdateOne(root).SetParentID(root.ID).Exec(ctx); !isCycle(err) {
			t.Fatalf("own parent: %v", err)
		}
		if p := f.c.Category.GetX(ctx, root.ID).ParentID; p != nil {
			t.Fatalf("root got parent %d", *p)
		}
		for _, id := range []int{root.ID, f.product.CategoryID} {
			err := f.run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) error { return tx.Category.DeleteOneID(id).Exec(ctx) })
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Conflict || !strings.Contains(ae.Message, "sub-categories or products") {
				t.Fatalf("delete category %d in use: %v", id, err)
			}
			if _, err := f.c.Category.Get(ctx, id); err != nil {
				t.Fatalf("category %d deleted anyway: %v", id, err)
			}
		}
		f.c.Category.DeleteOne(child).ExecX(ctx)
		f.c.Category.DeleteOne(root).ExecX(ctx)
		if n := f.c.Category.Query().CountX(ctx); n != 1 {
			t.Fatalf("%d categories left, want 1", n)
		}
	})
}

// isTransition reports whether err is the state machine's refusal of the
// change from → to: invalid_status_transition with from and to as members.
func isTransition(err error, from, to string) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) && ae.Code == apperr.InvalidStatusTransition &&
		ae.Extra["from"] == from && ae.Extra["to"] == to
}

// isCycle reports whether err is the tree's refusal of a parent that would
// make a category its own ancestor: validation_failed on parent_id.
func isCycle(err error) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) && ae.Code == apperr.ValidationFailed &&
		len(ae.Fields) == 1 && ae.Fields[0].Field == "parent_id"
}
