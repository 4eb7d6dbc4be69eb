package inventory

import (
	"context"
	"fmt"
	"sort"

	"entgo.io/ent/dialect"

	"shop/ent"
	"shop/ent/inventorymovement"
	"shop/ent/product"
	"shop/schema"
)

// Line is a quantity of one product, taken from or put back into stock.
type Line struct {
	ProductID int
	Quantity  int
}

// Shortage is a line that stock could not cover.
type Shortage = schema.Shortage

// SortLines orders lines by product id: every transaction that locks
// several products takes the locks in this order, so none waits on another
// in a cycle.
func SortLines(lines []Line) {
	sort.Slice(lines, func(i, j int) bool { return lines[i].ProductID < lines[j].ProductID })
}

// Taken is the outcome of taking a cart's quantities from stock: the lines
// stock could not cover (Short) and the products gone inactive or deleted
// meanwhile (Unavailable). OK reports whether every line was taken.
type Taken = schema.StockRefusal

// sale is the change of each line: its quantity taken from stock.
func sale(lines []Line) (ids []int, change map[int]int) {
	ids, change = make([]int, len(lines)), make(map[int]int, len(lines))
	for i, l := range lines {
		ids[i], change[l.ProductID] = l.ProductID, -l.Quantity
	}
	return ids, change
}

// LockStock locks the products' rows in id order (SELECT … ORDER BY id FOR
// UPDATE on PostgreSQL; SQLite's immediate transaction already holds the
// database's write lock) and checks the lines against what it read, by the
// rules Sell applies. It is the pessimistic strategy's first step.
func (s Service) LockStock(ctx context.Context, db *ent.Client, lines []Line) (Taken, error) {
	SortLines(lines)
	ids, change := sale(lines)
	q := db.Product.Query().Where(product.IDIn(ids...)).Order(ent.Asc(product.FieldID)).
		Select(product.FieldID, product.FieldStock, product.FieldIsActive, product.FieldDeletedAt)
	if s.Dialect == dialect.Postgres {
		q.ForUpdate()
	}
	rows, err := q.All(schema.SkipSoftDelete(ctx))
	if err != nil {
		return Taken{}, fmt.Errorf("lock stock: %w", err)
	}
	t, _ := schema.CheckStock(ids, change, rows, true)
	return t, nil
}

// Sell takes every line of an order from stock with its `sale` movement,
// through schema.MoveStock: one INSERT of the movements, then one guarded
// UPDATE of every line, which must be the checkout's last statement. A line
// it could not take is short or no longer for sale (Taken says which); the
// caller must then roll back.
func (s Service) Sell(ctx context.Context, db *ent.Client, orderID int, lines []Line) (Taken, error) {
	SortLines(lines)
	moves := make([]schema.StockMove, len(lines))
	for i, l := range lines {
		moves[i] = schema.StockMove{ProductID: l.ProductID, Change: -l.Quantity,
			Reason: inventorymovement.ReasonSale, OrderID: &orderID}
	}
	return schema.MoveStock(ctx, db, moves)
}
