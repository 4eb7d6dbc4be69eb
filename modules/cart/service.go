// Package cart owns cart lines: one per (user, variant), priced live from
// the variant (its own price, else its product's) on every read.
package cart

import (
	"context"
	sqldb "database/sql"
	"encoding/json"
	"fmt"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"shop/ent"
	"shop/ent/cartitem"
	"shop/ent/predicate"
	"shop/ent/product"
	"shop/ent/variant"
	"shop/internal/apperr"
	"shop/internal/database"
	"shop/modules/inventory/stock"
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
	VariantID int
	Quantity  int
	Name      string // the product's, live
	Price     int64  // the variant's own, else the product's, live
	Stock     int    // the variant's
	SKU       *string
	Options   map[string]string
	// ForSale is the variant's "for sale" state: it and its product
	// active and not deleted.
	ForSale bool
	// DiscountID is the discount code the cart holds (pricing's; 0: none),
	// the same on every line: read with the lines, so a cart without a
	// code costs no statement more.
	DiscountID int
}

// Available reports whether the line can be checked out as it is.
func (l Line) Available() bool { return l.ForSale && l.Stock >= l.Quantity }

// Lines returns the user's cart lines in variant-id order with their
// variants and products (deleted ones too, so the cart can show them as
// unavailable), in one statement.
func (s Service) Lines(ctx context.Context, db *ent.Client, userID int) ([]Line, error) {
	return s.lines(ctx, db, userID)
}

// TakeLines is Lines for checkout: it reads the lines and removes them
// from the cart in the caller's transaction, so a rolled-back checkout
// keeps them. On PostgreSQL in one statement (DELETE … RETURNING, joined
// with their variants and products): the delete holds the lines' row locks
// until the transaction ends, so a second checkout of the same cart waits,
// then finds it empty, and a concurrent change of a line waits, then finds
// it gone; a line added meanwhile (not yet visible) stays. On SQLite (no
// DML in a WITH; the immediate transaction already excludes every other
// writer) it reads the lines, then deletes them.
func (s Service) TakeLines(ctx context.Context, db *ent.Client, userID int) ([]Line, error) {
	if s.Dialect == dialect.Postgres {
		rows, err := db.QueryContext(ctx, takeLinesSQL, userID)
		if err != nil {
			return nil, fmt.Errorf("cart lines: %w", err)
		}
		defer rows.Close()
		return scanLines(rows)
	}
	lines, err := s.lines(ctx, db, userID)
	if err != nil || len(lines) == 0 {
		return lines, err
	}
	ids := make([]int, len(lines))
	for i, l := range lines {
		ids[i] = l.ID
	}
	if _, err := db.CartItem.Delete().Where(cartitem.UserID(userID), cartitem.IDIn(ids...)).Exec(ctx); err != nil {
		return nil, fmt.Errorf("clear cart: %w", err)
	}
	return lines, nil
}

func (s Service) lines(ctx context.Context, db *ent.Client, userID int) ([]Line, error) {
	rows, err := db.QueryContext(ctx, linesSQL[s.Dialect], userID)
	if err != nil {
		return nil, fmt.Errorf("cart lines: %w", err)
	}
	defer rows.Close()
	return scanLines(rows)
}

// scanLines reads the rows of a statement that selects selectLines.
func scanLines(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) ([]Line, error) {
	var lines []Line
	for rows.Next() {
		var (
			l    Line
			sku  sqldb.NullString
			opts []byte
			err  error
		)
		if err := rows.Scan(&l.ID, &l.ProductID, &l.VariantID, &l.Quantity, &l.Name, &l.Price, &l.Stock, &sku, &opts, &l.ForSale, &l.DiscountID); err != nil {
			return nil, fmt.Errorf("cart lines: %w", err)
		}
		if sku.Valid {
			l.SKU = &sku.String
		}
		if l.Options, err = options(opts); err != nil {
			return nil, fmt.Errorf("cart lines: options: %w", err)
		}
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cart lines: %w", err)
	}
	return lines, nil
}

// options decodes a variant's options column. A product's default variant
// has none ("{}", every W1 line): that is an empty map without the JSON
// decoder, as json.Unmarshal would give.
func options(raw []byte) (map[string]string, error) {
	if string(raw) == "{}" {
		return map[string]string{}, nil
	}
	var m map[string]string
	err := json.Unmarshal(raw, &m)
	return m, err
}

// The cart's statements, written once per dialect (their arguments are
// positional, in the order each caller passes them).
var (
	linesSQL, upsertSQL, upsertByProductSQL, whySQL = map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}
	takeLinesSQL                                    = buildTakeLines()
)

func init() {
	for _, d := range []string{dialect.Postgres, dialect.SQLite} {
		linesSQL[d] = buildLines(d)
		upsertSQL[d] = buildUpsert(d, false)
		upsertByProductSQL[d] = buildUpsert(d, true)
		whySQL[d] = buildWhy(d)
	}
}

// selectLines selects the columns of a Line (scanLines) from the cart rows
// src (id, product_id, variant_id, quantity, user_id), aliased c, joined
// with their variants v and products p.
func selectLines(src string) string {
	return "SELECT c.id, c.product_id, c.variant_id, c.quantity, p.name, COALESCE(v.price, p.price), v.stock, v.sku, v.options, " +
		stock.ForSaleSQL("v", "p") + ", " + cartCode("c") + " FROM " + src +
		" AS c JOIN variants AS v ON v.id = c.variant_id JOIN products AS p ON p.id = v.product_id"
}

// buildLines: the user's lines joined with their products. Args: user id.
func buildLines(d string) string {
	b := sql.Dialect(d).Select().Builder
	b.WriteString(selectLines("cart_items") + " WHERE c.user_id = ").Arg(0).WriteString(" ORDER BY c.variant_id")
	query, _ := b.Query()
	return query
}

// buildTakeLines: PostgreSQL's TakeLines, the user's lines deleted and
// returned joined with their products. Args: user id.
func buildTakeLines() string {
	b := sql.Dialect(dialect.Postgres).Select().Builder
	b.WriteString("WITH taken AS (DELETE FROM cart_items WHERE user_id = ").Arg(0).
		WriteString(" RETURNING id, product_id, variant_id, quantity, user_id) " + selectLines("taken") + " ORDER BY c.variant_id")
	query, _ := b.Query()
	return query
}

// buildUpsert: the guarded upsert of Add, naming the variant (byProduct
// false) or a product that has exactly one live variant (byProduct true).
// Args: user id, quantity, created_at, updated_at, variant or product id,
// quantity, quantity, user id. On PostgreSQL the same statement answers the
// cart after the add, as Lines would (the upserted line from RETURNING,
// the others from the table: a data-modifying CTE's effect is not visible
// to its own statement), and no row when the upsert changed none; SQLite
// (no DML in a WITH) returns the line's id.
func buildUpsert(d string, byProduct bool) string {
	b := sql.Dialect(d).Select().Builder
	if d == dialect.Postgres {
		b.WriteString("WITH up AS (")
	}
	q := func() { b.WriteString("CAST(").Arg(0).WriteString(" AS BIGINT)") }
	b.WriteString("INSERT INTO cart_items (user_id, product_id, variant_id, quantity, created_at, updated_at) SELECT CAST(").
		Arg(0).WriteString(" AS BIGINT), p.id, v.id, ")
	q()
	if d == dialect.Postgres {
		b.WriteString(", CAST(").Arg(0).WriteString(" AS timestamptz), CAST(").Arg(0).WriteString(" AS timestamptz)")
	} else {
		b.WriteString(", ").Arg(0).WriteString(", ").Arg(0)
	}
	b.WriteString(" FROM variants AS v JOIN products AS p ON p.id = v.product_id WHERE ")
	if byProduct {
		b.WriteString("v.product_id = ").Arg(0).
			WriteString(" AND NOT EXISTS (SELECT 1 FROM variants AS o WHERE o.product_id = v.product_id AND o.deleted_at IS NULL AND o.id <> v.id)")
	} else {
		b.WriteString("v.id = ").Arg(0)
	}
	b.WriteString(" AND " + stock.ForSaleSQL("v", "p") + " AND v.stock >= ")
	q()
	b.WriteString(" AND ")
	q()
	b.WriteString(fmt.Sprintf(" <= %d", schema.MaxLineQuantity))
	b.WriteString(" ON CONFLICT (user_id, variant_id) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity," +
		" updated_at = excluded.updated_at" +
		fmt.Sprintf(" WHERE cart_items.quantity + excluded.quantity <= %d", schema.MaxLineQuantity) +
		" AND (SELECT v2.stock FROM variants AS v2 WHERE v2.id = excluded.variant_id) >= cart_items.quantity + excluded.quantity")
	if d != dialect.Postgres {
		b.WriteString(" RETURNING cart_items.id")
		query, _ := b.Query()
		return query
	}
	b.WriteString(" RETURNING cart_items.id, cart_items.product_id, cart_items.variant_id, cart_items.quantity, cart_items.user_id)," +
		" l AS (SELECT id, product_id, variant_id, quantity, user_id FROM up UNION ALL" +
		" SELECT o.id, o.product_id, o.variant_id, o.quantity, o.user_id FROM cart_items AS o WHERE o.user_id = ").Arg(0).
		WriteString(" AND EXISTS (SELECT 1 FROM up) AND NOT EXISTS (SELECT 1 FROM up WHERE up.variant_id = o.variant_id))" +
			" " + selectLines("l") + " ORDER BY c.variant_id")
	query, _ := b.Query()
	return query
}

// buildWhy: the variant's state and the user's line. Args: user id,
// variant id.
func buildWhy(d string) string {
	b := sql.Dialect(d).Select().Builder
	b.WriteString("SELECT " + stock.ForSaleSQL("v", "p") + ", v.stock, v.product_id, COALESCE((SELECT c.quantity FROM cart_items AS c WHERE c.user_id = ").
		Arg(0).WriteString(" AND c.variant_id = v.id), 0) FROM variants AS v JOIN products AS p ON p.id = v.product_id WHERE v.deleted_at IS NULL AND v.id = ").Arg(0)
	query, _ := b.Query()
	return query
}

// cartCode is the id of the discount code the cart of line t holds, 0 for
// none (pricing's discount_usages row marked in_cart).
func cartCode(t string) string {
	return "COALESCE((SELECT u.discount_id FROM discount_usages AS u WHERE u.user_id = " + t + ".user_id AND u.in_cart), 0)"
}

// forSalePredicate is the "for sale" rule (stock.ForSale, stock.ForSaleSQL
// in the cart's raw statements) for Ent's queries.
func forSalePredicate() predicate.Variant {
	return variant.And(variant.IsActive(true), variant.DeletedAtIsNil(),
		variant.HasProductWith(product.IsActive(true), product.DeletedAtIsNil()))
}

// Add puts quantity units of a variant (or of a product's only variant) in
// the cart, adding to an existing line, in ONE guarded upsert on the unique
// (user, variant) line:
//
//	INSERT INTO cart_items … SELECT … FROM variants JOIN products WHERE v.id = ? AND <for sale> AND stock >= q
//	ON CONFLICT (user_id, variant_id) DO UPDATE SET quantity = quantity + q
//	WHERE quantity + q <= 1000 AND (SELECT stock …) >= quantity + q RETURNING …
//
// By product the statement picks the product's variant if it is its only
// live one. The "for sale" rule, the stock rule and the 1000 limit live in
// that statement, so concurrent adds all count (the conflict arm re-checks
// the line's latest quantity) and no transaction is needed. When it changes
// no row, a read says why. Add returns the cart's lines after the add
// (Lines): on PostgreSQL the same statement answers them, on SQLite (no
// DML in a WITH) one read after it. Errors: validation_failed (in, or the line
// would pass 1000), not_found, variant_required, product_unavailable,
// insufficient_stock; a driver error (e.g. the user's foreign key) is
// returned wrapped.
func (s Service) Add(ctx context.Context, db *ent.Client, userID int, in AddInput) ([]Line, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	quantity := *in.Quantity
	for attempt := 0; attempt < 5; attempt++ {
		var (
			lines []Line
			ok    bool
			err   error
		)
		if in.VariantID != nil {
			lines, ok, err = s.upsert(ctx, db, upsertSQL, userID, *in.VariantID, quantity)
		} else {
			lines, ok, err = s.upsert(ctx, db, upsertByProductSQL, userID, *in.ProductID, quantity)
		}
		if err != nil {
			return nil, err
		}
		if ok {
			if lines == nil { // SQLite
				return s.lines(ctx, db, userID)
			}
			return lines, nil
		}
		variantID := 0
		if in.VariantID != nil {
			variantID = *in.VariantID
		} else if variantID, err = s.onlyVariant(ctx, db, *in.ProductID); err != nil {
			return nil, err
		}
		if err := s.whyNotAdded(ctx, db, userID, variantID, quantity); err != nil {
			return nil, err
		}
		// The variant or the line changed between the two statements: the
		// upsert decides again.
	}
	return nil, fmt.Errorf("add to cart: the cart line kept changing")
}

// onlyVariant is the product's only live variant: not_found without one,
// variant_required with several.
func (s Service) onlyVariant(ctx context.Context, db *ent.Client, productID int) (int, error) {
	ids, err := db.Variant.Query().Where(variant.ProductID(productID)).
		Order(ent.Asc(variant.FieldID)).Limit(schema.MaxVariants + 1).IDs(ctx)
	if err != nil {
		return 0, fmt.Errorf("add to cart: %w", err)
	}
	switch len(ids) {
	case 0:
		return 0, apperr.New(apperr.NotFound, "no such product")
	case 1:
		return ids[0], nil
	}
	return 0, apperr.New(apperr.VariantRequired, "the product has several variants: add one of them").With("variant_ids", ids)
}

// upsert runs the guarded upsert stmt and reports whether it added; on
// PostgreSQL it returns the cart's lines after the add as well (nil on
// SQLite).
func (s Service) upsert(ctx context.Context, db *ent.Client, stmt map[string]string, userID, id, quantity int) ([]Line, bool, error) {
	now := database.Now()
	args := []any{userID, quantity, now, now, id, quantity, quantity}
	if s.Dialect == dialect.Postgres {
		args = append(args, userID)
	}
	rows, err := db.QueryContext(ctx, stmt[s.Dialect], args...)
	if err != nil {
		return nil, false, fmt.Errorf("add to cart: %w", err)
	}
	defer rows.Close()
	if s.Dialect != dialect.Postgres {
		ok := rows.Next()
		if err := rows.Err(); err != nil {
			return nil, false, fmt.Errorf("add to cart: %w", err)
		}
		return nil, ok, nil
	}
	lines, err := scanLines(rows)
	if err != nil {
		return nil, false, fmt.Errorf("add to cart: %w", err)
	}
	return lines, len(lines) > 0, nil
}

// whyNotAdded explains a refused add from one read of the variant and the
// user's line; nil means nothing refuses it now (try again).
func (s Service) whyNotAdded(ctx context.Context, db *ent.Client, userID, variantID, quantity int) error {
	query, args := whySQL[s.Dialect], []any{userID, variantID}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("add to cart: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return fmt.Errorf("add to cart: %w", err)
		}
		return apperr.New(apperr.NotFound, "no such variant")
	}
	var (
		sale                   bool
		stock, productID, have int
	)
	if err := rows.Scan(&sale, &stock, &productID, &have); err != nil {
		return fmt.Errorf("add to cart: %w", err)
	}
	want := have + quantity
	switch {
	case !sale:
		return unavailable(productID, variantID)
	case want > schema.MaxLineQuantity:
		return apperr.Validation(apperr.Field("quantity", "the line would hold more than 1000"))
	case want > stock:
		return insufficient(productID, variantID, want, stock)
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
				cartitem.HasVariantWith(forSalePredicate(), variant.StockGTE(quantity)),
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
			WithVariant(func(q *ent.VariantQuery) { q.WithProduct() }).All(schema.SkipSoftDelete(ctx))
		if err != nil {
			return fmt.Errorf("set cart quantity: %w", err)
		}
		if len(lines) == 0 {
			return apperr.New(apperr.NotFound, "no such cart item")
		}
		line, v := lines[0], lines[0].Edges.Variant
		switch {
		case quantity <= line.Quantity:
		case !stock.ForSale(v):
			return unavailable(v.ProductID, v.ID)
		case quantity > v.Stock:
			return insufficient(v.ProductID, v.ID, quantity, v.Stock)
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

// Clear empties the user's cart.
func (Service) Clear(ctx context.Context, db *ent.Client, userID int) error {
	_, err := db.CartItem.Delete().Where(cartitem.UserID(userID)).Exec(ctx)
	return err
}

func insufficient(productID, variantID, requested, available int) error {
	return apperr.New(apperr.InsufficientStock, "not enough stock for variant %d", variantID).
		With("items", []stock.Shortage{{ProductID: productID, VariantID: variantID, Requested: requested, Available: available}})
}

func unavailable(productID, variantID int) error {
	return apperr.New(apperr.ProductUnavailable, "the variant is not for sale").
		With("product_ids", []int{productID}).With("variant_ids", []int{variantID})
}
