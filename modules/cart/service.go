// Package cart owns cart lines: one per (user, product), priced live from
// the product on every read.
package cart

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"shop/ent"
	"shop/ent/cartitem"
	"shop/ent/predicate"
	"shop/ent/product"
	"shop/internal/apperr"
	"shop/schema"
)

// Service implements the cart's use cases on the caller's client. Every
// method is scoped to one user: a line of another user is not_found.
type Service struct {
	// Dialect is the database's (dialect.Postgres or dialect.SQLite).
	Dialect string
}

// Line is a cart line with its product's live state, read in one joined
// statement.
type Line struct {
	ID        int
	ProductID int
	Quantity  int
	Name      string // the product's, live
	Price     int64  // the product's, live
	Stock     int
	// ForSale is the product's "for sale" state: active and not deleted.
	ForSale bool
	// DiscountID is the discount code the cart holds (pricing's; 0: none),
	// the same on every line: read with the lines, so a cart without a
	// code costs no statement more.
	DiscountID int
}

// Available reports whether the line can be checked out as it is.
func (l Line) Available() bool { return l.ForSale && l.Stock >= l.Quantity }

// Lines returns the user's cart lines in product-id order with their
// products (deleted ones too, so the cart can show them as unavailable),
// in one statement.
func (s Service) Lines(ctx context.Context, db *ent.Client, userID int) ([]Line, error) {
	return s.lines(ctx, db, userID, false)
}

// LockLines is Lines for checkout: on PostgreSQL the lines (not their
// products) are locked (FOR UPDATE OF the cart rows) until the transaction
// ends, so a second checkout of the same cart waits, then finds it empty,
// and a concurrent change of a line waits instead of being lost. (SQLite's
// immediate transaction already excludes every other writer.)
func (s Service) LockLines(ctx context.Context, db *ent.Client, userID int) ([]Line, error) {
	return s.lines(ctx, db, userID, s.Dialect == dialect.Postgres)
}

func (s Service) lines(ctx context.Context, db *ent.Client, userID int, lock bool) ([]Line, error) {
	query := linesSQL[s.Dialect]
	if lock {
		query = lockLinesSQL[s.Dialect]
	}
	args := []any{userID}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cart lines: %w", err)
	}
	defer rows.Close()
	var lines []Line
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.ID, &l.ProductID, &l.Quantity, &l.Name, &l.Price, &l.Stock, &l.ForSale, &l.DiscountID); err != nil {
			return nil, fmt.Errorf("cart lines: %w", err)
		}
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cart lines: %w", err)
	}
	return lines, nil
}

// The cart's statements, written once per dialect (their arguments are
// positional, in the order each caller passes them).
var (
	linesSQL, lockLinesSQL, upsertSQL, whySQL = map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}
)

func init() {
	for _, d := range []string{dialect.Postgres, dialect.SQLite} {
		linesSQL[d] = buildLines(d, false)
		lockLinesSQL[d] = buildLines(d, true)
		upsertSQL[d] = buildUpsert(d)
		whySQL[d] = buildWhy(d)
	}
}

// buildLines: the user's lines joined with their products. Args: user id.
func buildLines(d string, lock bool) string {
	b := sql.Dialect(d).Select().Builder
	b.WriteString("SELECT c.id, c.product_id, c.quantity, p.name, p.price, p.stock, " + forSale("p") +
		", " + cartCode("c") + " FROM cart_items AS c JOIN products AS p ON p.id = c.product_id WHERE c.user_id = ").Arg(0).
		WriteString(" ORDER BY c.product_id")
	if lock {
		b.WriteString(" FOR UPDATE OF c")
	}
	query, _ := b.Query()
	return query
}

// buildUpsert: the guarded upsert of Add. Args: user id, quantity,
// created_at, updated_at, product id, quantity, quantity.
func buildUpsert(d string) string {
	b := sql.Dialect(d).Select().Builder
	q := func() { b.WriteString("CAST(").Arg(0).WriteString(" AS BIGINT)") }
	b.WriteString("INSERT INTO cart_items (user_id, product_id, quantity, created_at, updated_at) SELECT CAST(").
		Arg(0).WriteString(" AS BIGINT), p.id, ")
	q()
	if d == dialect.Postgres {
		b.WriteString(", CAST(").Arg(0).WriteString(" AS timestamptz), CAST(").Arg(0).WriteString(" AS timestamptz)")
	} else {
		b.WriteString(", ").Arg(0).WriteString(", ").Arg(0)
	}
	b.WriteString(" FROM products AS p WHERE p.id = ").Arg(0).
		WriteString(" AND " + forSale("p") + " AND p.stock >= ")
	q()
	b.WriteString(" AND ")
	q()
	b.WriteString(fmt.Sprintf(" <= %d", schema.MaxLineQuantity))
	b.WriteString(" ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity," +
		" updated_at = excluded.updated_at" +
		fmt.Sprintf(" WHERE cart_items.quantity + excluded.quantity <= %d", schema.MaxLineQuantity) +
		" AND (SELECT p2.stock FROM products AS p2 WHERE p2.id = excluded.product_id) >= cart_items.quantity + excluded.quantity" +
		" RETURNING cart_items.id")
	query, _ := b.Query()
	return query
}

// buildWhy: the product's state and the user's line. Args: user id,
// product id.
func buildWhy(d string) string {
	b := sql.Dialect(d).Select().Builder
	b.WriteString("SELECT " + forSale("p") + ", p.stock, COALESCE((SELECT c.quantity FROM cart_items AS c WHERE c.user_id = ").
		Arg(0).WriteString(" AND c.product_id = p.id), 0) FROM products AS p WHERE p.id = ").Arg(0)
	query, _ := b.Query()
	return query
}

// cartCode is the id of the discount code the cart of line t holds, 0 for
// none (pricing's discount_usages row marked in_cart).
func cartCode(t string) string {
	return "COALESCE((SELECT u.discount_id FROM discount_usages AS u WHERE u.user_id = " + t + ".user_id AND u.in_cart), 0)"
}

// The "for sale" rule (active and not deleted) of the cart's guarded
// statements: forSale is its SQL on the products row alias t, for the raw
// statements; forSalePredicate the same rule for Ent's queries; onSale for
// a product already read.
func forSale(t string) string {
	return "(" + t + ".is_active AND " + t + ".deleted_at IS NULL)"
}

func forSalePredicate() predicate.Product {
	return product.And(product.IsActive(true), product.DeletedAtIsNil())
}

func onSale(p *ent.Product) bool { return p.IsActive && p.DeletedAt == nil }

// Add puts quantity units of a product in the cart, adding to an existing
// line, in ONE guarded upsert on the unique (user, product) line:
//
//	INSERT INTO cart_items … SELECT … FROM products WHERE id = ? AND <for sale> AND stock >= q
//	ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = quantity + q
//	WHERE quantity + q <= 1000 AND (SELECT stock …) >= quantity + q RETURNING id
//
// The "for sale" rule, the stock rule and the 1000 limit live in that
// statement, so concurrent adds all count (the conflict arm re-checks the
// line's latest quantity) and no transaction is needed. When it changes no
// row, one read says why. Errors: validation_failed (in, or the line
// would pass 1000), not_found, product_unavailable, insufficient_stock; a
// driver error (e.g. the user's foreign key) is returned wrapped.
func (s Service) Add(ctx context.Context, db *ent.Client, userID int, in AddInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	productID, quantity := *in.ProductID, *in.Quantity
	for attempt := 0; attempt < 5; attempt++ {
		ok, err := s.upsert(ctx, db, userID, productID, quantity)
		if err != nil || ok {
			return err
		}
		if err := s.whyNotAdded(ctx, db, userID, productID, quantity); err != nil {
			return err
		}
		// The product or the line changed between the two statements: the
		// upsert decides again.
	}
	return fmt.Errorf("add to cart: product %d kept changing", productID)
}

func (s Service) upsert(ctx context.Context, db *ent.Client, userID, productID, quantity int) (bool, error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	query, args := upsertSQL[s.Dialect], []any{userID, quantity, now, now, productID, quantity, quantity}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("add to cart: %w", err)
	}
	defer rows.Close()
	ok := rows.Next()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("add to cart: %w", err)
	}
	return ok, nil
}

// whyNotAdded explains a refused add from one read of the product and the
// user's line; nil means nothing refuses it now (try again).
func (s Service) whyNotAdded(ctx context.Context, db *ent.Client, userID, productID, quantity int) error {
	query, args := whySQL[s.Dialect], []any{userID, productID}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("add to cart: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return fmt.Errorf("add to cart: %w", err)
		}
		return apperr.New(apperr.NotFound, "no such product")
	}
	var (
		sale        bool
		stock, have int
	)
	if err := rows.Scan(&sale, &stock, &have); err != nil {
		return fmt.Errorf("add to cart: %w", err)
	}
	want := have + quantity
	switch {
	case !sale:
		return unavailable(productID)
	case want > schema.MaxLineQuantity:
		return apperr.Validation(apperr.Field("quantity", "the line would hold more than 1000"))
	case want > stock:
		return insufficient(productID, want, stock)
	}
	return nil
}

// SetQuantity changes a line's quantity in one guarded UPDATE: lowering it
// is always allowed; raising it needs the product for sale with the stock
// for the new quantity. When it changes no row, one read says why.
// Errors: validation_failed, not_found, product_unavailable,
// insufficient_stock.
func (s Service) SetQuantity(ctx context.Context, db *ent.Client, userID, itemID int, in QuantityInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	quantity := *in.Quantity
	for attempt := 0; attempt < 5; attempt++ {
		n, err := db.CartItem.Update().
			Where(cartitem.ID(itemID), cartitem.UserID(userID), cartitem.Or(
				cartitem.QuantityGTE(quantity),
				cartitem.HasProductWith(forSalePredicate(), product.StockGTE(quantity)),
			)).
			SetQuantity(quantity).
			Save(schema.SkipSoftDelete(ctx))
		if err != nil {
			return fmt.Errorf("set cart quantity: %w", err)
		}
		if n > 0 {
			return nil
		}
		lines, err := db.CartItem.Query().Where(cartitem.ID(itemID), cartitem.UserID(userID)).
			WithProduct().All(schema.SkipSoftDelete(ctx))
		if err != nil {
			return fmt.Errorf("set cart quantity: %w", err)
		}
		if len(lines) == 0 {
			return apperr.New(apperr.NotFound, "no such cart item")
		}
		line, p := lines[0], lines[0].Edges.Product
		switch {
		case quantity <= line.Quantity:
		case !onSale(p):
			return unavailable(p.ID)
		case quantity > p.Stock:
			return insufficient(p.ID, quantity, p.Stock)
		}
	}
	return fmt.Errorf("set cart quantity: line %d kept changing", itemID)
}

// Remove deletes one of the user's lines. Errors: not_found.
func (Service) Remove(ctx context.Context, db *ent.Client, userID, itemID int) error {
	n, err := db.CartItem.Delete().Where(cartitem.ID(itemID), cartitem.UserID(userID)).Exec(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return apperr.New(apperr.NotFound, "no such cart item")
	}
	return nil
}

// RemoveLines deletes the given lines of the user's cart (those a checkout
// ordered); a line added meanwhile stays.
func (Service) RemoveLines(ctx context.Context, db *ent.Client, userID int, ids []int) error {
	_, err := db.CartItem.Delete().Where(cartitem.UserID(userID), cartitem.IDIn(ids...)).Exec(ctx)
	return err
}

// Clear empties the user's cart.
func (Service) Clear(ctx context.Context, db *ent.Client, userID int) error {
	_, err := db.CartItem.Delete().Where(cartitem.UserID(userID)).Exec(ctx)
	return err
}

func insufficient(productID, requested, available int) error {
	return apperr.New(apperr.InsufficientStock, "not enough stock for product %d", productID).
		With("items", []map[string]int{{"product_id": productID, "requested": requested, "available": available}})
}

func unavailable(productIDs ...int) error {
	return apperr.New(apperr.ProductUnavailable, "the product is not for sale").With("product_ids", productIDs)
}
