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

// LockStock locks the products' rows (SELECT … ORDER BY id FOR UPDATE on
// PostgreSQL; SQLite's immediate transaction already holds the database's
// write lock) and returns their stock. It is the pessimistic strategy's
// first step.
func (s Service) LockStock(ctx context.Context, db *ent.Client, ids []int) (map[int]int, error) {
	q := db.Product.Query().Where(product.IDIn(ids...)).Order(ent.Asc(product.FieldID)).
		Select(product.FieldID, product.FieldStock)
	if s.Dialect == dialect.Postgres {
		q.ForUpdate()
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock stock: %w", err)
	}
	stock := make(map[int]int, len(rows))
	for _, r := range rows {
		stock[r.ID] = r.Stock
	}
	return stock, nil
}

// Decrement takes every line's quantity from stock in one guarded
// statement: UPDATE products SET stock = stock - q WHERE id IN (…) AND
// stock >= q, returning the rows it changed. Rows are reached through the
// primary key in id order. A line whose row did not change is short; the
// caller must then roll back. Returns the shortages (none: all taken).
func (s Service) Decrement(ctx context.Context, db *ent.Client, lines []Line) ([]Shortage, error) {
	if len(lines) == 0 {
		return nil, nil
	}
	SortLines(lines)
	ids := make([]any, len(lines))
	for i, l := range lines {
		ids[i] = l.ProductID
	}
	// quantity writes CASE id WHEN p1 THEN q1 … END: each line's quantity.
	quantity := func(b *sql.Builder) {
		b.WriteString("CASE id")
		for _, l := range lines {
			b.WriteString(" WHEN CAST(").Arg(l.ProductID).WriteString(" AS BIGINT) THEN CAST(").Arg(l.Quantity).WriteString(" AS BIGINT)")
		}
		b.WriteString(" END")
	}
	upd := sql.Dialect(s.Dialect).Update(product.Table).
		Set(product.FieldStock, sql.ExprFunc(func(b *sql.Builder) {
			b.WriteString(product.FieldStock + " - ")
			quantity(b)
		})).
		Set(product.FieldUpdatedAt, time.Now().UTC().Truncate(time.Microsecond)).
		Where(sql.And(
			sql.In(product.FieldID, ids...),
			sql.P(func(b *sql.Builder) {
				b.WriteString(product.FieldStock + " >= ")
				quantity(b)
			}),
		)).
		Returning(product.FieldID, product.FieldStock)
	query, qargs := upd.Query()
	rows, err := db.QueryContext(ctx, query, qargs...)
	if err != nil {
		return nil, fmt.Errorf("decrement stock: %w", err)
	}
	defer rows.Close()
	after := make(map[int]int, len(lines))
	for rows.Next() {
		var id, stock int
		if err := rows.Scan(&id, &stock); err != nil {
			return nil, fmt.Errorf("decrement stock: %w", err)
		}
		after[id] = stock
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("decrement stock: %w", err)
	}
	if len(after) == len(lines) {
		return nil, nil
	}
	return s.shortages(ctx, db, lines, after)
}

// shortages reports, for each line the UPDATE skipped, what was asked and
// what the product has (read in the same transaction).
func (s Service) shortages(ctx context.Context, db *ent.Client, lines []Line, taken map[int]int) ([]Shortage, error) {
	var missing []int
	for _, l := range lines {
		if _, ok := taken[l.ProductID]; !ok {
			missing = append(missing, l.ProductID)
		}
	}
	rows, err := db.Product.Query().Where(product.IDIn(missing...)).Select(product.FieldID, product.FieldStock).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read short stock: %w", err)
	}
	have := make(map[int]int, len(rows))
	for _, r := range rows {
		have[r.ID] = r.Stock
	}
	var out []Shortage
	for _, l := range lines {
		if _, ok := taken[l.ProductID]; !ok {
			out = append(out, Shortage{ProductID: l.ProductID, Requested: l.Quantity, Available: have[l.ProductID]})
		}
	}
	return out, nil
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
