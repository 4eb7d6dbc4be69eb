package schema

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	gen "shop/ent"
	"shop/ent/auditlog"
	"shop/ent/inventorymovement"
	"shop/ent/product"
	"shop/internal/actor"
	"shop/internal/apperr"
	"shop/internal/database"
	"shop/internal/events"
)

// This file holds the stock rules: MoveStock, the one way stock changes
// (checkout's sales, stock adjustments, restocks on cancel), and Reconcile,
// the one check that every product's stock is the sum of its movements.
// Both work on the client they are given: a module's transaction, or a
// hook's mutation client (ent/runtime imports this package, so the
// primitive must live here to be usable from the order hook).

// StockMove is one change of one product's stock, with the ledger movement
// that records it.
type StockMove struct {
	ProductID int
	Change    int // ≠ 0: negative takes from stock, positive puts into it
	Reason    inventorymovement.Reason
	OrderID   *int
}

// Shortage is a product whose stock can't cover what a change takes.
type Shortage struct {
	ProductID int `json:"product_id"`
	Requested int `json:"requested"`
	Available int `json:"available"`
}

// StockRefusal names the products a stock change could not move. A
// refusal leaves the transaction half-written: the caller rolls it back.
type StockRefusal struct {
	Short       []Shortage // stock would go below zero (409 insufficient_stock)
	Unavailable []int      // gone, or for a sale inactive or deleted (409 product_unavailable)
}

// OK reports whether nothing was refused.
func (r StockRefusal) OK() bool { return len(r.Short) == 0 && len(r.Unavailable) == 0 }

// errStockLimit is returned when a stock change would take a product above
// MaxStock (CHECK product_stock_max is the backstop). Whichever path hits
// it (an adjustment, a restock on cancel), it is 409 conflict: like going
// below zero, it is the product's current stock, not the request, that
// refuses (docs/api-decisions.md).
func errStockLimit(productID int) *apperr.Error {
	return apperr.New(apperr.Conflict, "the change would take product %d's stock above 1,000,000,000 units", productID)
}

// MoveStock applies moves in the transaction of c, in two statements
// whatever their number: one INSERT of every movement, then one guarded
//
//	UPDATE products SET stock = stock + CASE id WHEN … END, updated_at = …
//	WHERE id IN (…) AND stock + CASE id WHEN … END BETWEEN 0 AND MaxStock
//	RETURNING id, stock
//
// so stock and ledger change together and stock stays in 0..MaxStock. On
// PostgreSQL the rows are first locked in id order by a sub-select of the
// same statement (… FROM (SELECT id … ORDER BY id FOR NO KEY UPDATE)), so
// concurrent changes never wait on each other in a cycle; the UPDATE is the
// last statement of a sale, so a hot product's lock is held until COMMIT
// only.
//
// A sale (every move's reason is sale) takes only from products for sale
// (active, not deleted); other changes move any existing product, deleted
// ones included (a cancelled order's lines go back). A taking change that
// takes stock from at least the low-stock threshold to below it records
// inventory.low_stock. Every change but a sale is audited as an update of
// the product's stock (a sale's record is its order).
//
// Products the UPDATE did not change are read again: a refusal names them
// (the caller must roll back); past MaxStock is errStockLimit (409 conflict); a row
// that changed between the two statements is database.ErrRetry.
func MoveStock(ctx context.Context, c *gen.Client, moves []StockMove) (StockRefusal, error) {
	if len(moves) == 0 {
		return StockRefusal{}, nil
	}
	sale := moves[0].Reason == inventorymovement.ReasonSale
	change := map[int]int{}
	for _, m := range moves {
		if (m.Reason == inventorymovement.ReasonSale) != sale || m.Change == 0 {
			return StockRefusal{}, fmt.Errorf("move stock: a sale can't be mixed with other changes, and no change is 0: %+v", moves)
		}
		change[m.ProductID] += m.Change
	}
	ids := make([]int, 0, len(change))
	for id := range change {
		ids = append(ids, id)
	}
	sort.Ints(ids)

	creates := make([]*gen.InventoryMovementCreate, len(moves))
	for i, m := range moves {
		creates[i] = movement(ctx, c, m)
	}
	if err := c.InventoryMovement.CreateBulk(creates...).Exec(ctx); err != nil {
		return StockRefusal{}, fmt.Errorf("record movements: %w", err)
	}

	after, err := updateStock(ctx, c, ids, change, sale)
	if err != nil {
		return StockRefusal{}, err
	}
	if len(after) < len(ids) {
		return missed(ctx, c, ids, change, after, sale)
	}
	events.AddLowStock(ctx, change, after)
	if sale {
		return StockRefusal{}, nil
	}
	return StockRefusal{}, auditStock(ctx, c, moves, after)
}

// movement is m's ledger row, by the actor of ctx.
func movement(ctx context.Context, c *gen.Client, m StockMove) *gen.InventoryMovementCreate {
	return c.InventoryMovement.Create().
		SetProductID(m.ProductID).
		SetQuantityChange(m.Change).
		SetReason(m.Reason).
		SetNillableOrderID(m.OrderID).
		SetNillableActorID(actor.From(ctx).UserIDPtr())
}

// RecordInitialStock writes the `initial` movement of a product just
// created with stock units (its create sets the stock; none for 0, as a
// movement is never 0).
func RecordInitialStock(ctx context.Context, c *gen.Client, productID, stock int) error {
	if stock == 0 {
		return nil
	}
	if err := movement(ctx, c, StockMove{ProductID: productID, Change: stock, Reason: inventorymovement.ReasonInitial}).Exec(ctx); err != nil {
		return fmt.Errorf("record initial stock: %w", err)
	}
	return nil
}

// updateStock runs MoveStock's guarded UPDATE and returns the stock of each
// row it changed.
func updateStock(ctx context.Context, c *gen.Client, ids []int, change map[int]int, sale bool) (map[int]int, error) {
	pg := c.Dialect() == dialect.Postgres
	col := func(name string) string {
		if pg {
			return "products." + name
		}
		return name
	}
	// delta writes CASE id WHEN p1 THEN d1 … END: each product's change.
	delta := func(b *entsql.Builder) {
		b.WriteString("CASE " + col("id"))
		for _, id := range ids {
			b.WriteString(" WHEN CAST(").Arg(id).WriteString(" AS BIGINT) THEN CAST(").Arg(change[id]).WriteString(" AS BIGINT)")
		}
		b.WriteString(" END")
	}
	in := func(b *entsql.Builder) {
		for i, id := range ids {
			if i > 0 {
				b.WriteString(", ")
			}
			b.Arg(id)
		}
	}
	var b entsql.Builder
	b.SetDialect(c.Dialect())
	b.WriteString("UPDATE products SET stock = " + col("stock") + " + ")
	delta(&b)
	b.WriteString(", updated_at = ").Arg(now())
	if pg {
		b.WriteString(" FROM (SELECT id FROM products WHERE id IN (")
		in(&b)
		b.WriteString(") ORDER BY id FOR NO KEY UPDATE) AS locked WHERE products.id = locked.id")
	} else {
		b.WriteString(" WHERE id IN (")
		in(&b)
		b.WriteString(")")
	}
	if sale {
		b.WriteString(" AND " + col("is_active") + " AND " + col("deleted_at") + " IS NULL")
	}
	b.WriteString(" AND " + col("stock") + " + ")
	delta(&b)
	b.WriteString(" BETWEEN 0 AND " + strconv.Itoa(MaxStock))
	b.WriteString(" RETURNING " + col("id") + ", " + col("stock"))
	query, args := b.Query()
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("move stock: %w", err)
	}
	defer rows.Close()
	after := make(map[int]int, len(ids))
	for rows.Next() {
		var id, stock int
		if err := rows.Scan(&id, &stock); err != nil {
			return nil, fmt.Errorf("move stock: %w", err)
		}
		after[id] = stock
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("move stock: %w", err)
	}
	return after, nil
}

// missed reads the products the UPDATE skipped, in the same transaction,
// and says why it skipped them.
func missed(ctx context.Context, c *gen.Client, ids []int, change, after map[int]int, sale bool) (StockRefusal, error) {
	var skipped []int
	for _, id := range ids {
		if _, ok := after[id]; !ok {
			skipped = append(skipped, id)
		}
	}
	rows, err := c.Product.Query().Where(product.IDIn(skipped...)).
		Select(product.FieldID, product.FieldStock, product.FieldIsActive, product.FieldDeletedAt).
		All(SkipSoftDelete(ctx))
	if err != nil {
		return StockRefusal{}, fmt.Errorf("read refused stock: %w", err)
	}
	r, full := CheckStock(skipped, change, rows, sale)
	switch {
	case !r.OK():
		return r, nil
	case len(full) > 0:
		return StockRefusal{}, errStockLimit(full[0])
	}
	// The rows changed between the UPDATE and this read; the caller rolls
	// back and a fresh attempt decides.
	return StockRefusal{}, database.ErrRetry
}

// CheckStock checks changes (product id → change) of the products ids, in
// that order, against their rows as read: what MoveStock refuses, and the
// products it would take past MaxStock. A sale refuses a product that is
// not for sale; other changes move inactive and deleted products too.
func CheckStock(ids []int, change map[int]int, rows []*gen.Product, sale bool) (r StockRefusal, full []int) {
	byID := make(map[int]*gen.Product, len(rows))
	for _, p := range rows {
		byID[p.ID] = p
	}
	for _, id := range ids {
		p, d := byID[id], change[id]
		switch {
		case p == nil || sale && (!p.IsActive || p.DeletedAt != nil):
			r.Unavailable = append(r.Unavailable, id)
		case p.Stock+d < 0:
			r.Short = append(r.Short, Shortage{ProductID: id, Requested: -d, Available: p.Stock})
		case p.Stock+d > MaxStock:
			full = append(full, id)
		}
	}
	return r, full
}

// auditStock writes one product update per move, {"stock": {"old", "new"}},
// as the audit hook writes an increment: the values come from the UPDATE's
// RETURNING, under its row locks, so concurrent changes audit exact values.
func auditStock(ctx context.Context, c *gen.Client, moves []StockMove, after map[int]int) error {
	stock := make(map[int]int, len(after))
	for _, m := range moves {
		stock[m.ProductID] -= m.Change
	}
	for id, s := range after {
		stock[id] += s // the stock before the first move
	}
	rows := make([]*gen.AuditLogCreate, len(moves))
	for i, m := range moves {
		old := stock[m.ProductID]
		stock[m.ProductID] += m.Change
		rows[i] = auditRow(ctx, c, auditlog.ActionUpdate, "product", m.ProductID,
			map[string]any{product.FieldStock: map[string]any{"old": old, "new": stock[m.ProductID]}})
	}
	if err := c.AuditLog.CreateBulk(rows...).Exec(ctx); err != nil {
		return fmt.Errorf("audit product: %w", err)
	}
	return nil
}

// Discrepancy is a product whose stock differs from the sum of its
// movements.
type Discrepancy struct {
	ProductID int `json:"product_id"`
	Stock     int `json:"stock"`
	LedgerSum int `json:"ledger_sum"`
}

// Reconciliation is every product checked against its ledger.
type Reconciliation struct {
	ProductsChecked int           `json:"products_checked"`
	Discrepancies   []Discrepancy `json:"discrepancies"`
}

// reconcileQuery checks every product (deleted ones too) in one statement:
// the count, and the products whose stock is not their ledger's sum.
const reconcileQuery = `
SELECT c.n, d.id, d.stock, d.ledger
FROM (SELECT COUNT(*) AS n FROM products) c
LEFT JOIN (
  SELECT p.id AS id, p.stock AS stock, COALESCE(l.total, 0) AS ledger
  FROM products p
  LEFT JOIN (SELECT product_id, SUM(quantity_change) AS total FROM inventory_movements GROUP BY product_id) l
    ON l.product_id = p.id
  WHERE p.stock <> COALESCE(l.total, 0)
) d ON 1 = 1
ORDER BY d.id`

// Reconcile compares every product's stock with the sum of its movements
// (invariant 2 of DESIGN.md), in one statement: the one definition of that
// check, for the admin endpoint and the tests' invariant checker alike.
func Reconcile(ctx context.Context, c *gen.Client) (Reconciliation, error) {
	r := Reconciliation{Discrepancies: []Discrepancy{}}
	rows, err := c.QueryContext(ctx, reconcileQuery)
	if err != nil {
		return r, fmt.Errorf("reconcile: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, stock, ledger sql.NullInt64
		if err := rows.Scan(&r.ProductsChecked, &id, &stock, &ledger); err != nil {
			return r, fmt.Errorf("reconcile: %w", err)
		}
		if id.Valid {
			r.Discrepancies = append(r.Discrepancies, Discrepancy{ProductID: int(id.Int64), Stock: int(stock.Int64), LedgerSum: int(ledger.Int64)})
		}
	}
	return r, rows.Err()
}
