package inventory

import (
	"context"
	"fmt"
	"sort"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"shop/ent"
	"shop/ent/inventorymovement"
	"shop/schema"
)

// Line is a quantity of one variant (of its product), taken from or put
// back into stock.
type Line struct {
	ProductID int
	VariantID int
	Quantity  int
}

// Shortage is a line that stock could not cover.
type Shortage = schema.Shortage

// SortLines orders lines by variant id: every transaction that locks
// several variants takes the locks in this order, so none waits on another
// in a cycle.
func SortLines(lines []Line) {
	sort.Slice(lines, func(i, j int) bool { return lines[i].VariantID < lines[j].VariantID })
}

// Taken is the outcome of taking a cart's quantities from stock: the lines
// stock could not cover (Short) and the variants gone inactive or deleted
// meanwhile (Unavailable, UnavailableVariants). OK reports whether every
// line was taken.
type Taken = schema.StockRefusal

// sale is the change of each line: its quantity taken from stock.
func sale(lines []Line) (ids []int, change map[int]int) {
	ids, change = make([]int, len(lines)), make(map[int]int, len(lines))
	for i, l := range lines {
		ids[i], change[l.VariantID] = l.VariantID, -l.Quantity
	}
	return ids, change
}

// LockStock locks the variants' rows in id order (SELECT … JOIN products …
// ORDER BY id FOR UPDATE OF the variants on PostgreSQL; SQLite's immediate
// transaction already holds the database's write lock) and checks the lines
// against what it read, by the rules Sell applies, in one statement. It is
// the pessimistic strategy's first step.
func (s Service) LockStock(ctx context.Context, db *ent.Client, lines []Line) (Taken, error) {
	SortLines(lines)
	ids, change := sale(lines)
	b := entsql.Dialect(s.Dialect).Select().Builder
	b.WriteString("SELECT v.id, v.product_id, v.stock, v.is_active, v.deleted_at IS NULL, p.is_active, p.deleted_at IS NULL" +
		" FROM variants AS v JOIN products AS p ON p.id = v.product_id WHERE v.id IN (")
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Arg(id)
	}
	b.WriteString(") ORDER BY v.id")
	if s.Dialect == dialect.Postgres {
		b.WriteString(" FOR UPDATE OF v")
	}
	query, args := b.Query()
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return Taken{}, fmt.Errorf("lock stock: %w", err)
	}
	defer rows.Close()
	var read []*ent.Variant
	for rows.Next() {
		var (
			v            ent.Variant
			p            ent.Product
			vLive, pLive bool
			deleted      = time.Time{}
		)
		if err := rows.Scan(&v.ID, &v.ProductID, &v.Stock, &v.IsActive, &vLive, &p.IsActive, &pLive); err != nil {
			return Taken{}, fmt.Errorf("lock stock: %w", err)
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
	if err := rows.Err(); err != nil {
		return Taken{}, fmt.Errorf("lock stock: %w", err)
	}
	t, _ := schema.CheckStock(ids, change, read, true)
	return t, nil
}

// Sell takes every line of an order from stock with its `sale` movement,
// through schema.MoveStock: one INSERT of the movements, then one guarded
// UPDATE of every line's variant, which must be the checkout's last
// statement. A line it could not take is short or no longer for sale
// (Taken says which); the caller must then roll back.
func (s Service) Sell(ctx context.Context, db *ent.Client, orderID int, lines []Line) (Taken, error) {
	SortLines(lines)
	moves := make([]schema.StockMove, len(lines))
	for i, l := range lines {
		moves[i] = schema.StockMove{ProductID: l.ProductID, VariantID: l.VariantID, Change: -l.Quantity,
			Reason: inventorymovement.ReasonSale, OrderID: &orderID}
	}
	return schema.MoveStock(ctx, db, moves)
}
