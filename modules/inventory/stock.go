package inventory

import (
	"context"
	"fmt"
	"sort"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"shop/ent"
	"shop/ent/inventorymovement"
	"shop/ent/product"
	"shop/internal/actor"
	"shop/internal/database"
	"shop/internal/events"
	"shop/schema"
)

// Line is a quantity of one product, taken from or put back into stock.
type Line struct {
	ProductID int
	Quantity  int
}

// Shortage is a line that stock could not cover.
type Shortage struct {
	ProductID int `json:"product_id"`
	Requested int `json:"requested"`
	Available int `json:"available"`
}

// SortLines orders lines by product id: every transaction that locks
// several products takes the locks in this order, so none waits on another
// in a cycle.
func SortLines(lines []Line) {
	sort.Slice(lines, func(i, j int) bool { return lines[i].ProductID < lines[j].ProductID })
}

// Taken is the outcome of taking a cart's quantities from stock.
type Taken struct {
	Short       []Shortage // lines stock could not cover
	Unavailable []int      // products gone inactive or deleted meanwhile
}

// OK reports whether every line was taken.
func (t Taken) OK() bool { return len(t.Short) == 0 && len(t.Unavailable) == 0 }

// LockStock locks the products' rows in id order (SELECT … ORDER BY id FOR
// UPDATE on PostgreSQL; SQLite's immediate transaction already holds the
// database's write lock) and checks the lines against what it read. It is
// the pessimistic strategy's first step.
func (s Service) LockStock(ctx context.Context, db *ent.Client, lines []Line) (Taken, error) {
	SortLines(lines)
	ids := make([]int, len(lines))
	for i, l := range lines {
		ids[i] = l.ProductID
	}
	q := db.Product.Query().Where(product.IDIn(ids...)).Order(ent.Asc(product.FieldID)).
		Select(product.FieldID, product.FieldStock, product.FieldIsActive, product.FieldDeletedAt)
	if s.Dialect == dialect.Postgres {
		q.ForUpdate()
	}
	rows, err := q.All(schema.SkipSoftDelete(ctx))
	if err != nil {
		return Taken{}, fmt.Errorf("lock stock: %w", err)
	}
	return check(lines, rows, nil), nil
}

// check compares lines with their products' rows; taken marks lines the
// decrement already covered.
func check(lines []Line, rows []*ent.Product, taken map[int]bool) Taken {
	byID := make(map[int]*ent.Product, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	var t Taken
	for _, l := range lines {
		if taken[l.ProductID] {
			continue
		}
		p := byID[l.ProductID]
		switch {
		case p == nil || !p.IsActive || p.DeletedAt != nil:
			t.Unavailable = append(t.Unavailable, l.ProductID)
		case p.Stock < l.Quantity:
			t.Short = append(t.Short, Shortage{ProductID: l.ProductID, Requested: l.Quantity, Available: p.Stock})
		}
	}
	return t
}

// Decrement takes every line's quantity from stock in one guarded
// statement, returning the rows it changed:
//
//	UPDATE products SET stock = stock - CASE id WHEN … END
//	WHERE id IN (…) AND is_active AND deleted_at IS NULL AND stock >= CASE id WHEN … END
//
// On PostgreSQL the rows are first locked in id order by a sub-select
// (… FROM (SELECT id … ORDER BY id FOR NO KEY UPDATE)), still in the same
// statement, so two checkouts never wait on each other in a cycle. A line
// whose row did not change is short or no longer for sale; the caller must
// then roll back.
func (s Service) Decrement(ctx context.Context, db *ent.Client, lines []Line) (Taken, error) {
	if len(lines) == 0 {
		return Taken{}, nil
	}
	SortLines(lines)
	pg := s.Dialect == dialect.Postgres
	col := func(c string) string {
		if pg {
			return "products." + c
		}
		return c
	}
	// quantity writes CASE id WHEN p1 THEN q1 … END: each line's quantity.
	quantity := func(b *sql.Builder) {
		b.WriteString("CASE " + col("id"))
		for _, l := range lines {
			b.WriteString(" WHEN CAST(").Arg(l.ProductID).WriteString(" AS BIGINT) THEN CAST(").Arg(l.Quantity).WriteString(" AS BIGINT)")
		}
		b.WriteString(" END")
	}
	ids := func(b *sql.Builder) {
		for i, l := range lines {
			if i > 0 {
				b.WriteString(", ")
			}
			b.Arg(l.ProductID)
		}
	}
	var b sql.Builder
	b.SetDialect(s.Dialect)
	b.WriteString("UPDATE products SET stock = " + col("stock") + " - ")
	quantity(&b)
	b.WriteString(", updated_at = ").Arg(time.Now().UTC().Truncate(time.Microsecond))
	if pg {
		b.WriteString(" FROM (SELECT id FROM products WHERE id IN (")
		ids(&b)
		b.WriteString(") ORDER BY id FOR NO KEY UPDATE) AS locked WHERE products.id = locked.id")
	} else {
		b.WriteString(" WHERE id IN (")
		ids(&b)
		b.WriteString(")")
	}
	b.WriteString(" AND " + col("is_active") + " AND " + col("deleted_at") + " IS NULL AND " + col("stock") + " >= ")
	quantity(&b)
	b.WriteString(" RETURNING " + col("id") + ", " + col("stock"))
	query, args := b.Query()
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return Taken{}, fmt.Errorf("decrement stock: %w", err)
	}
	defer rows.Close()
	taken := make(map[int]bool, len(lines))
	after := make(map[int]int, len(lines))
	for rows.Next() {
		var id, stock int
		if err := rows.Scan(&id, &stock); err != nil {
			return Taken{}, fmt.Errorf("decrement stock: %w", err)
		}
		taken[id] = true
		after[id] = stock
	}
	if err := rows.Err(); err != nil {
		return Taken{}, fmt.Errorf("decrement stock: %w", err)
	}
	// This raw UPDATE bypasses the product hooks, so it records
	// inventory.low_stock itself (no extra statement: RETURNING has the
	// stock, and the event joins the transaction's one event INSERT).
	if err := events.RecordLowStock(ctx, db, lines2changes(lines), after); err != nil {
		return Taken{}, err
	}
	if len(taken) == len(lines) {
		return Taken{}, nil
	}
	return s.missed(ctx, db, lines, taken)
}

func lines2changes(lines []Line) map[int]int {
	out := make(map[int]int, len(lines))
	for _, l := range lines {
		out[l.ProductID] = -l.Quantity
	}
	return out
}

// missed reports, for each line the UPDATE skipped, why: short (with what
// the product has, read in the same transaction) or no longer for sale.
func (s Service) missed(ctx context.Context, db *ent.Client, lines []Line, taken map[int]bool) (Taken, error) {
	var ids []int
	for _, l := range lines {
		if !taken[l.ProductID] {
			ids = append(ids, l.ProductID)
		}
	}
	rows, err := db.Product.Query().Where(product.IDIn(ids...)).
		Select(product.FieldID, product.FieldStock, product.FieldIsActive, product.FieldDeletedAt).
		All(schema.SkipSoftDelete(ctx))
	if err != nil {
		return Taken{}, fmt.Errorf("read short stock: %w", err)
	}
	t := check(lines, rows, taken)
	if t.OK() {
		// The rows changed between the UPDATE and this read; the caller
		// rolls back and a fresh attempt decides.
		return Taken{}, database.ErrRetry
	}
	return t, nil
}

// RecordSales appends one `sale` movement per line of an order, in one
// INSERT.
func (s Service) RecordSales(ctx context.Context, db *ent.Client, orderID int, lines []Line) error {
	a := actor.From(ctx)
	creates := make([]*ent.InventoryMovementCreate, len(lines))
	for i, l := range lines {
		creates[i] = db.InventoryMovement.Create().
			SetProductID(l.ProductID).
			SetQuantityChange(-l.Quantity).
			SetReason(inventorymovement.ReasonSale).
			SetOrderID(orderID).
			SetNillableActorID(a.UserIDPtr())
	}
	if err := db.InventoryMovement.CreateBulk(creates...).Exec(ctx); err != nil {
		return fmt.Errorf("record sales: %w", err)
	}
	return nil
}
