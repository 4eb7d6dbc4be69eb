// Package stock is the inventory module's stock primitive: Move, the one
// way a variant's stock changes (checkout's sales, stock adjustments,
// restocks on cancel), and Reconcile, the one check that every variant's
// stock is the sum of its movements and every product's the sum of its live
// variants'. It works on the client it is given (a module's transaction, or
// the order hook's mutation client: the schema imports this package, so it
// imports nothing of the schema).
package stock

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	gen "shop/ent"
	"shop/ent/auditlog"
	"shop/ent/inventorymovement"
	"shop/ent/variant"
	"shop/internal/actor"
	"shop/internal/apperr"
	"shop/internal/audit"
	"shop/internal/database"
	"shop/internal/events"
)

// MaxStock is the most units a variant (and a product) may hold: 10^9
// (API.md); the schema's field ranges and CHECKs use it too.
const MaxStock = 1_000_000_000

// Change is one change of one variant's stock, with the ledger movement
// that records it (the movement names the variant and its product).
type Change struct {
	ProductID int
	VariantID int
	Change    int // ≠ 0: negative takes from stock, positive puts into it
	Reason    inventorymovement.Reason
	OrderID   *int
	// Expected, when set, makes the change apply only if the variant's
	// stock is exactly that (compare-and-set; else 409 stock_changed). Only
	// a lone move may carry it.
	Expected *int
}

// Shortage is a variant whose stock can't cover what a change takes.
type Shortage struct {
	ProductID int `json:"product_id"`
	VariantID int `json:"variant_id"`
	Requested int `json:"requested"`
	Available int `json:"available"`
}

// Refusal names the variants a stock change could not move. A
// refusal leaves the transaction half-written: the caller rolls it back.
type Refusal struct {
	Short []Shortage // stock would go below zero (409 insufficient_stock)
	// Unavailable are the products, and UnavailableVariants the variants,
	// gone, or for a sale not for sale (409 product_unavailable).
	Unavailable         []int
	UnavailableVariants []int
}

// OK reports whether nothing was refused.
func (r Refusal) OK() bool { return len(r.Short) == 0 && len(r.UnavailableVariants) == 0 }

// errStockLimit is returned when a stock change would take a variant above
// MaxStock (CHECK variant_stock_max is the backstop). Whichever path hits
// it (an adjustment, a restock on cancel), it is 409 conflict: like going
// below zero, it is the variant's current stock, not the request, that
// refuses (docs/api-decisions.md).
func errStockLimit(variantID int) *apperr.Error {
	return apperr.New(apperr.Conflict, "the change would take variant %d's stock above 1,000,000,000 units", variantID)
}

// moved is a variant as Move's UPDATE left it.
type moved struct {
	productID, stock int
	sku              *string
}

// Move applies moves in the transaction of c, in two statements
// whatever their number: one INSERT of every movement, then one guarded
//
//	UPDATE variants SET stock = stock + CASE id WHEN … END, updated_at = …
//	WHERE id IN (…) AND stock + CASE id WHEN … END BETWEEN 0 AND MaxStock
//	RETURNING id, product_id, stock, sku
//
// so stock and ledger change together and stock stays in 0..MaxStock. The
// product's stock (the sum of its live variants') follows in the same
// statement, by the variants' trigger (migration *_variants.sql). On
// PostgreSQL the rows are first locked in variant-id order by a sub-select
// of the same statement (… FROM (SELECT id … ORDER BY id FOR NO KEY
// UPDATE)), so concurrent changes never wait on each other in a cycle on
// the variants; the UPDATE is the last statement of a sale, so a hot
// variant's lock is held until COMMIT only.
//
// A sale (every move's reason is sale) takes only from variants for sale
// (the variant and its product active and not deleted); other changes move
// any existing variant, deleted ones included (a cancelled order's lines
// go back). A taking change that takes a variant's stock from at least the
// low-stock threshold to below it records inventory.low_stock. Every
// change but a sale is audited as an update of the variant's stock (a
// sale's record is its order).
//
// Variants the UPDATE did not change are read again: a refusal names them
// (the caller must roll back); past MaxStock is errStockLimit (409
// conflict); a row that changed between the two statements is
// database.ErrRetry.
func Move(ctx context.Context, c *gen.Client, moves []Change) (Refusal, error) {
	if len(moves) == 0 {
		return Refusal{}, nil
	}
	sale := moves[0].Reason == inventorymovement.ReasonSale
	change := map[int]int{}
	for _, m := range moves {
		if (m.Reason == inventorymovement.ReasonSale) != sale || m.Change == 0 || m.VariantID == 0 {
			return Refusal{}, fmt.Errorf("move stock: a sale can't be mixed with other changes, no change is 0 and every move names its variant: %+v", moves)
		}
		change[m.VariantID] += m.Change
		if m.Expected != nil && len(moves) != 1 {
			return Refusal{}, fmt.Errorf("move stock: an expected stock needs a lone move: %+v", moves)
		}
	}
	expected := moves[0].Expected
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
		return Refusal{}, fmt.Errorf("record movements: %w", err)
	}

	// On PostgreSQL the events so far (a sale's order.created) are
	// written now, and the UPDATE records its low_stock itself, so nothing
	// but COMMIT follows it. SQLite (no DML in a WITH) writes every event
	// at COMMIT in one INSERT: one writer at a time, so the order of the
	// statements holds no row lock longer.
	if c.Dialect() == dialect.Postgres {
		if err := events.FromContext(ctx).FlushNow(ctx); err != nil {
			return Refusal{}, err
		}
	}
	after, recorded, err := updateStock(ctx, c, ids, change, sale, expected)
	if err != nil {
		return Refusal{}, err
	}
	if len(after) < len(ids) {
		return missed(ctx, c, ids, change, after, sale, expected)
	}
	if !recorded {
		low := make([]events.StockChange, 0, len(after))
		for _, id := range ids {
			v := after[id]
			low = append(low, events.StockChange{ProductID: v.productID, VariantID: id, SKU: v.sku, Change: change[id], Stock: v.stock})
		}
		events.AddLowStock(ctx, low)
	}
	if sale {
		return Refusal{}, nil
	}
	return Refusal{}, auditStock(ctx, c, moves, after)
}

// movement is m's ledger row, by the actor of ctx.
func movement(ctx context.Context, c *gen.Client, m Change) *gen.InventoryMovementCreate {
	return c.InventoryMovement.Create().
		SetProductID(m.ProductID).
		SetVariantID(m.VariantID).
		SetQuantityChange(m.Change).
		SetReason(m.Reason).
		SetNillableOrderID(m.OrderID).
		SetNillableActorID(actor.From(ctx).UserIDPtr())
}

// RecordInitial writes the `initial` movement of a variant just
// created with stock units (its create sets the stock; none for 0, as a
// movement is never 0).
func RecordInitial(ctx context.Context, c *gen.Client, productID, variantID, stock int) error {
	if stock == 0 {
		return nil
	}
	m := Change{ProductID: productID, VariantID: variantID, Change: stock, Reason: inventorymovement.ReasonInitial}
	if err := movement(ctx, c, m).Exec(ctx); err != nil {
		return fmt.Errorf("record initial stock: %w", err)
	}
	return nil
}

// updateStock runs Move's guarded UPDATE and returns each variant it
// changed. On PostgreSQL, in a transaction with an outbox, the same
// statement records inventory.low_stock (events.LowStockSQL: WITH moved AS
// (UPDATE … RETURNING …), low AS (INSERT INTO river_job … FROM moved)
// SELECT … FROM moved), and recorded is true.
func updateStock(ctx context.Context, c *gen.Client, ids []int, change map[int]int, sale bool, expected *int) (after map[int]moved, recorded bool, err error) {
	pg := c.Dialect() == dialect.Postgres
	col := func(name string) string {
		if pg {
			return "variants." + name
		}
		return name
	}
	// delta writes CASE id WHEN v1 THEN d1 … END: each variant's change.
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
	cte := pg && events.FromContext(ctx) != nil
	if cte {
		b.WriteString("WITH moved AS (")
	}
	b.WriteString("UPDATE variants SET stock = " + col("stock") + " + ")
	delta(&b)
	b.WriteString(", updated_at = ").Arg(database.Now())
	if pg {
		b.WriteString(" FROM (SELECT id FROM variants WHERE id IN (")
		in(&b)
		b.WriteString(") ORDER BY id FOR NO KEY UPDATE) AS locked WHERE variants.id = locked.id")
	} else {
		b.WriteString(" WHERE id IN (")
		in(&b)
		b.WriteString(")")
	}
	if sale {
		b.WriteString(" AND EXISTS (SELECT 1 FROM products AS p WHERE p.id = variants.product_id AND " + ForSaleSQL("variants", "p") + ")")
	}
	if expected != nil {
		b.WriteString(" AND " + col("stock") + " = CAST(").Arg(*expected).WriteString(" AS BIGINT)")
	}
	b.WriteString(" AND " + col("stock") + " + ")
	delta(&b)
	b.WriteString(" BETWEEN 0 AND " + strconv.Itoa(MaxStock))
	b.WriteString(" RETURNING " + col("id") + ", " + col("product_id") + ", " + col("stock") + ", " + col("sku"))
	if cte {
		b.WriteString(", " + col("stock") + " - (")
		delta(&b)
		b.WriteString(") AS stock_before), ")
		recorded = events.LowStockSQL(ctx, &b, "low", "moved", ids)
		b.WriteString(" SELECT id, product_id, stock, sku FROM moved")
	}
	query, args := b.Query()
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, false, fmt.Errorf("move stock: %w", err)
	}
	defer rows.Close()
	after = make(map[int]moved, len(ids))
	for rows.Next() {
		var (
			id  int
			v   moved
			sku sql.NullString
		)
		if err := rows.Scan(&id, &v.productID, &v.stock, &sku); err != nil {
			return nil, false, fmt.Errorf("move stock: %w", err)
		}
		if sku.Valid {
			v.sku = &sku.String
		}
		after[id] = v
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("move stock: %w", err)
	}
	return after, recorded, nil
}

// missed reads the variants the UPDATE skipped, with their products, in
// the same transaction, and says why it skipped them.
func missed(ctx context.Context, c *gen.Client, ids []int, change map[int]int, after map[int]moved, sale bool, expected *int) (Refusal, error) {
	var skipped []int
	for _, id := range ids {
		if _, ok := after[id]; !ok {
			skipped = append(skipped, id)
		}
	}
	rows, err := Read(ctx, c, skipped, false)
	if err != nil {
		return Refusal{}, fmt.Errorf("read refused stock: %w", err)
	}
	if expected != nil && len(rows) == 1 && rows[0].Stock != *expected {
		return Refusal{}, apperr.New(apperr.StockChanged, "the variant's stock is not the expected stock").
			With("expected_stock", *expected).With("stock", rows[0].Stock)
	}
	r, full := Check(skipped, change, rows, sale)
	switch {
	case !r.OK():
		return r, nil
	case len(full) > 0:
		return Refusal{}, errStockLimit(full[0])
	}
	// The rows changed between the UPDATE and this read; the caller rolls
	// back and a fresh attempt decides.
	return Refusal{}, database.ErrRetry
}

// Read reads the variants ids (deleted ones too), each with its product's
// is_active and deleted_at, in one statement ordered by id: what Check
// needs. With lock, on PostgreSQL, it locks the variants' rows in that
// order (FOR UPDATE OF v; SQLite's immediate transaction already holds the
// database's write lock).
func Read(ctx context.Context, c *gen.Client, ids []int, lock bool) ([]*gen.Variant, error) {
	b := entsql.Dialect(c.Dialect()).Select().Builder
	b.WriteString("SELECT v.id, v.product_id, v.stock, v.is_active, v.deleted_at IS NULL, p.is_active, p.deleted_at IS NULL" +
		" FROM variants AS v JOIN products AS p ON p.id = v.product_id WHERE v.id IN (")
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Arg(id)
	}
	b.WriteString(") ORDER BY v.id")
	if lock && c.Dialect() == dialect.Postgres {
		b.WriteString(" FOR UPDATE OF v")
	}
	query, args := b.Query()
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var read []*gen.Variant
	deleted := time.Time{} // a deleted row's deleted_at: only its presence matters here
	for rows.Next() {
		var (
			v            gen.Variant
			p            gen.Product
			vLive, pLive bool
		)
		if err := rows.Scan(&v.ID, &v.ProductID, &v.Stock, &v.IsActive, &vLive, &p.IsActive, &pLive); err != nil {
			return nil, err
		}
		if !vLive {
			v.DeletedAt = &deleted
		}
		if !pLive {
			p.DeletedAt = &deleted
		}
		p.ID = v.ProductID
		v.Edges.Product = &p
		read = append(read, &v)
	}
	return read, rows.Err()
}

// ForSale reports whether v (read with its product) can be sold: the
// variant and its product are active and not deleted. ForSaleSQL is the
// same rule in SQL.
func ForSale(v *gen.Variant) bool {
	p := v.Edges.Product
	return v.IsActive && v.DeletedAt == nil && p != nil && p.IsActive && p.DeletedAt == nil
}

// ForSaleSQL is ForSale's rule in SQL over the variants and products rows
// v and p (table names or aliases): the sale's UPDATE and the cart's
// guarded statements and line reads.
func ForSaleSQL(v, p string) string {
	return "(" + v + ".is_active AND " + v + ".deleted_at IS NULL AND " + p + ".is_active AND " + p + ".deleted_at IS NULL)"
}

// Check checks changes (variant id → change) of the variants ids, in
// that order, against their rows as read (with their products): what
// Move refuses, and the variants it would take past MaxStock. A sale
// refuses a variant that is not for sale; other changes move inactive and
// deleted variants too.
func Check(ids []int, change map[int]int, rows []*gen.Variant, sale bool) (r Refusal, full []int) {
	byID := make(map[int]*gen.Variant, len(rows))
	for _, v := range rows {
		byID[v.ID] = v
	}
	for _, id := range ids {
		v, d := byID[id], change[id]
		switch {
		case v == nil || sale && !ForSale(v):
			r.UnavailableVariants = append(r.UnavailableVariants, id)
			if v != nil {
				r.Unavailable = append(r.Unavailable, v.ProductID)
			}
		case v.Stock+d < 0:
			r.Short = append(r.Short, Shortage{ProductID: v.ProductID, VariantID: id, Requested: -d, Available: v.Stock})
		case v.Stock+d > MaxStock:
			full = append(full, id)
		}
	}
	return r, full
}

// auditStock writes one variant update per move, {"stock": {"old", "new"}},
// as the audit hook writes an increment: the values come from the UPDATE's
// RETURNING, under its row locks, so concurrent changes audit exact values.
func auditStock(ctx context.Context, c *gen.Client, moves []Change, after map[int]moved) error {
	stock := make(map[int]int, len(after))
	for _, m := range moves {
		stock[m.VariantID] -= m.Change
	}
	for id, v := range after {
		stock[id] += v.stock // the stock before the first move
	}
	rows := make([]*gen.AuditLogCreate, len(moves))
	for i, m := range moves {
		old := stock[m.VariantID]
		stock[m.VariantID] += m.Change
		rows[i] = audit.Row(ctx, c, auditlog.ActionUpdate, "variant", m.VariantID,
			map[string]any{variant.FieldStock: map[string]any{"old": old, "new": stock[m.VariantID]}})
	}
	if err := c.AuditLog.CreateBulk(rows...).Exec(ctx); err != nil {
		return fmt.Errorf("audit variant: %w", err)
	}
	return nil
}

// Discrepancy is a variant whose stock differs from the sum of its
// movements (VariantID set, LedgerSum the movements' sum), or a product
// whose stock differs from the sum of its live variants' (VariantID nil,
// LedgerSum that sum).
type Discrepancy struct {
	ProductID int  `json:"product_id"`
	VariantID *int `json:"variant_id"`
	Stock     int  `json:"stock"`
	LedgerSum int  `json:"ledger_sum"`
}

// Reconciliation is every variant checked against its ledger and every
// product against its variants.
type Reconciliation struct {
	ProductsChecked int           `json:"products_checked"`
	VariantsChecked int           `json:"variants_checked"`
	Discrepancies   []Discrepancy `json:"discrepancies"`
}

// reconcileQuery checks every variant and product (deleted ones too) in one
// statement: the counts, the variants whose stock is not their ledger's
// sum, and the products whose stock is not their live variants' sum.
const reconcileQuery = `
SELECT c.n, c.m, d.pid, d.vid, d.stock, d.total
FROM (SELECT (SELECT COUNT(*) FROM products) AS n, (SELECT COUNT(*) FROM variants) AS m) c
LEFT JOIN (
  SELECT v.product_id AS pid, v.id AS vid, v.stock AS stock, COALESCE(l.total, 0) AS total
  FROM variants v
  LEFT JOIN (SELECT variant_id, SUM(quantity_change) AS total FROM inventory_movements GROUP BY variant_id) l
    ON l.variant_id = v.id
  WHERE v.stock <> COALESCE(l.total, 0)
  UNION ALL
  SELECT p.id AS pid, NULL AS vid, p.stock AS stock, COALESCE(s.total, 0) AS total
  FROM products p
  LEFT JOIN (SELECT product_id, SUM(stock) AS total FROM variants WHERE deleted_at IS NULL GROUP BY product_id) s
    ON s.product_id = p.id
  WHERE p.stock <> COALESCE(s.total, 0)
) d ON 1 = 1
ORDER BY d.pid, d.vid`

// Reconcile compares every variant's stock with the sum of its movements
// and every product's with the sum of its live variants' (invariants 1
// and 2 of DESIGN.md), in one statement: the one definition of that
// check, for the admin endpoint and the tests' invariant checker alike.
func Reconcile(ctx context.Context, c *gen.Client) (Reconciliation, error) {
	r := Reconciliation{Discrepancies: []Discrepancy{}}
	rows, err := c.QueryContext(ctx, reconcileQuery)
	if err != nil {
		return r, fmt.Errorf("reconcile: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid, vid, stock, total sql.NullInt64
		if err := rows.Scan(&r.ProductsChecked, &r.VariantsChecked, &pid, &vid, &stock, &total); err != nil {
			return r, fmt.Errorf("reconcile: %w", err)
		}
		if pid.Valid {
			d := Discrepancy{ProductID: int(pid.Int64), Stock: int(stock.Int64), LedgerSum: int(total.Int64)}
			if vid.Valid {
				id := int(vid.Int64)
				d.VariantID = &id
			}
			r.Discrepancies = append(r.Discrepancies, d)
		}
	}
	return r, rows.Err()
}
