package schema_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"shop/ent"
	"shop/ent/auditlog"
	"shop/ent/inventorymovement"
	"shop/internal/apperr"
	"shop/internal/testdb"
	"shop/modules/inventory/stock"
	"shop/schema"
)

var errRefused = errors.New("refused")

// TestMoveStock: the stock-change primitive writes each change with its
// movement (and audit row), refuses going below zero or above MaxStock
// whatever the path (an adjustment, a restock on cancel), and a sale takes
// only from products for sale.
func TestMoveStock(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		ctx := context.Background()
		f := newFixture(t, dia, 10)
		id, vid := f.product.ID, f.variant.ID
		move := func(moves ...stock.Change) (stock.Refusal, error) {
			t.Helper()
			var r stock.Refusal
			err := f.run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) (err error) {
				r, err = stock.Move(ctx, tx.Client(), moves)
				if err == nil && !r.OK() {
					err = errRefused // a refusal rolls back
				}
				return err
			})
			if errors.Is(err, errRefused) {
				err = nil
			}
			return r, err
		}
		adjust := func(change int, reason inventorymovement.Reason) stock.Change {
			return stock.Change{ProductID: id, VariantID: vid, Change: change, Reason: reason}
		}
		moves := func() []*ent.InventoryMovement {
			return f.c.InventoryMovement.Query().Where(inventorymovement.ProductID(id)).
				Order(inventorymovement.ByID()).AllX(ctx)
		}
		audits := func() []*ent.AuditLog {
			return f.c.AuditLog.Query().Where(auditlog.Entity("variant"), auditlog.EntityID(vid), auditlog.ActionEQ(auditlog.ActionUpdate)).
				Order(auditlog.ByID()).AllX(ctx)
		}
		want := func(stock, movements int) {
			t.Helper()
			if got := f.stock(t); got != stock {
				t.Fatalf("stock = %d, want %d", got, stock)
			}
			if got := len(moves()); got != movements {
				t.Fatalf("%d movements, want %d", got, movements)
			}
			f.checkLedger(t)
		}
		auditedStock := func(a *ent.AuditLog) string {
			return fmt.Sprint(a.Changes["stock"])
		}

		// The change and its movement, in one call; audited as a variant update.
		if r, err := move(adjust(5, inventorymovement.ReasonRestock)); err != nil || !r.OK() {
			t.Fatalf("restock: %+v %v", r, err)
		}
		want(15, 2)
		if m := moves()[1]; m.QuantityChange != 5 || m.Reason != inventorymovement.ReasonRestock || m.OrderID != nil {
			t.Fatalf("movement = %+v", m)
		}
		if a := audits(); len(a) != 1 || auditedStock(a[0]) != "map[new:15 old:10]" {
			t.Fatalf("audit = %v", a)
		}

		// Two moves of one product: one UPDATE, a movement and an audit row each.
		if r, err := move(adjust(2, inventorymovement.ReasonReturn), adjust(-3, inventorymovement.ReasonDamage)); err != nil || !r.OK() {
			t.Fatalf("two moves: %+v %v", r, err)
		}
		want(14, 4)
		if a := audits(); len(a) != 3 || auditedStock(a[1]) != "map[new:17 old:15]" || auditedStock(a[2]) != "map[new:14 old:17]" {
			t.Fatalf("audit = %v", a)
		}

		// Below zero: refused with what the product has; nothing written.
		r, err := move(adjust(-15, inventorymovement.ReasonDamage))
		if err != nil || len(r.Short) != 1 || r.Short[0] != (stock.Shortage{ProductID: id, VariantID: vid, Requested: 15, Available: 14}) {
			t.Fatalf("below zero: %+v %v, want a shortage of 15 with 14 available", r, err)
		}
		want(14, 4)

		// Up to MaxStock is fine; past it is a 409 conflict naming the product.
		if r, err := move(adjust(schema.MaxStock-14, inventorymovement.ReasonRestock)); err != nil || !r.OK() {
			t.Fatalf("up to the maximum: %+v %v", r, err)
		}
		want(schema.MaxStock, 5)
		isStockLimit := func(err error) bool {
			var ae *apperr.Error
			return errors.As(err, &ae) && ae.Code == apperr.Conflict &&
				strings.Contains(ae.Message, fmt.Sprintf("variant %d's stock above", vid))
		}
		if _, err := move(adjust(1, inventorymovement.ReasonRestock)); !isStockLimit(err) {
			t.Fatalf("past the maximum: %v, want the stock limit's conflict", err)
		}
		want(schema.MaxStock, 5)

		// The same rule for a restock on cancel: the cancel is refused.
		o := f.order(t, 1)
		if _, err := move(adjust(1, inventorymovement.ReasonRestock)); err != nil {
			t.Fatal(err)
		}
		if err := f.setStatus(ctx, o.ID, schema.StatusCancelled); !isStockLimit(err) {
			t.Fatalf("cancel past the maximum: %v, want the stock limit's conflict", err)
		}
		if st := f.c.Order.GetX(ctx, o.ID).Status; string(st) != schema.StatusPending {
			t.Fatalf("status = %s after a refused cancel", st)
		}
		want(schema.MaxStock, 7)

		// A sale takes only from a product for sale; an adjustment of an
		// inactive product goes through.
		f.c.Product.UpdateOneID(id).SetIsActive(false).ExecX(ctx)
		sale := stock.Change{ProductID: id, VariantID: vid, Change: -1, Reason: inventorymovement.ReasonSale, OrderID: &o.ID}
		if r, err := move(sale); err != nil || fmt.Sprint(r.Unavailable) != fmt.Sprint([]int{id}) || fmt.Sprint(r.UnavailableVariants) != fmt.Sprint([]int{vid}) || len(r.Short) != 0 {
			t.Fatalf("sale of an inactive product: %+v %v", r, err)
		}
		want(schema.MaxStock, 7)
		if r, err := move(adjust(-1, inventorymovement.ReasonAdjustment)); err != nil || !r.OK() {
			t.Fatalf("adjusting an inactive product: %+v %v", r, err)
		}
		want(schema.MaxStock-1, 8)
	})
}
