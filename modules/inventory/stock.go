package inventory

import (
	"context"
	"fmt"
	"sort"

	"shop/ent"
	"shop/ent/inventorymovement"
	"shop/modules/inventory/stock"
)

// Line is a quantity of one variant (of its product), taken from or put
// back into stock.
type Line struct {
	ProductID int
	VariantID int
	Quantity  int
}

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
type Taken = stock.Refusal

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
	read, err := stock.Read(ctx, db, ids, true)
	if err != nil {
		return Taken{}, fmt.Errorf("lock stock: %w", err)
	}
	t, _ := stock.Check(ids, change, read, true)
	return t, nil
}

// Sell takes every line of an order from stock with its `sale` movement,
// through stock.Move: one INSERT of the movements, then one guarded
// UPDATE of every line's variant, which must be the checkout's last
// statement. A line it could not take is short or no longer for sale
// (Taken says which); the caller must then roll back.
func (s Service) Sell(ctx context.Context, db *ent.Client, orderID int, lines []Line) (Taken, error) {
	SortLines(lines)
	moves := make([]stock.Change, len(lines))
	for i, l := range lines {
		moves[i] = stock.Change{ProductID: l.ProductID, VariantID: l.VariantID, Change: -l.Quantity,
			Reason: inventorymovement.ReasonSale, OrderID: &orderID}
	}
	return stock.Move(ctx, db, moves)
}
