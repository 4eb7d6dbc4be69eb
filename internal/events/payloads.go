package events

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/riverqueue/river"

	gen "shop/ent"
	"shop/internal/money"
)

// Order is the data of order.created and the order of order.status_changed:
// the Order of API.md.
type Order struct {
	ID     int    `json:"id"`
	UserID int    `json:"user_id"`
	Status string `json:"status"`
	// SubtotalAmount = Σ line subtotals; TotalAmount = SubtotalAmount −
	// DiscountAmount; DiscountCode is nil without a code.
	SubtotalAmount int64       `json:"subtotal_amount"`
	DiscountCode   *string     `json:"discount_code"`
	DiscountAmount int64       `json:"discount_amount"`
	TotalAmount    int64       `json:"total_amount"`
	Currency       string      `json:"currency"`
	Items          []OrderItem `json:"items"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`
}

// OrderItem is a line of Order.
type OrderItem struct {
	ProductID   int               `json:"product_id"`
	VariantID   int               `json:"variant_id"`
	SKU         *string           `json:"sku"`
	Options     map[string]string `json:"options"`
	ProductName string            `json:"product_name"`
	Quantity    int               `json:"quantity"`
	UnitPrice   int64             `json:"unit_price"`
	Subtotal    int64             `json:"subtotal"`
	// DiscountAmount is the line's share of the order's discount.
	DiscountAmount int64 `json:"discount_amount"`
}

// StatusChange is the data of order.status_changed.
type StatusChange struct {
	Order Order  `json:"order"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Product is the data of product.created, .updated and .deleted: the
// Product of API.md.
type Product struct {
	ID          int       `json:"id"`
	CategoryID  int       `json:"category_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Price       int64     `json:"price"`
	Currency    string    `json:"currency"`
	Stock       int       `json:"stock"`
	IsActive    bool      `json:"is_active"`
	Options     []string  `json:"options"`
	Variants    []Variant `json:"variants"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Variant is the Variant of API.md.
type Variant struct {
	ID        int               `json:"id"`
	ProductID int               `json:"product_id"`
	SKU       *string           `json:"sku"`
	Options   map[string]string `json:"options"`
	Price     int64             `json:"price"`
	Currency  string            `json:"currency"`
	Stock     int               `json:"stock"`
	IsActive  bool              `json:"is_active"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// NewVariant maps a variant to its data; productPrice is its product's
// price, which the variant's follows until it has its own.
func NewVariant(v *gen.Variant, productPrice int64, currency string) Variant {
	price := productPrice
	if v.Price != nil {
		price = *v.Price
	}
	opts := v.Options
	if opts == nil {
		opts = map[string]string{}
	}
	return Variant{ID: v.ID, ProductID: v.ProductID, SKU: v.Sku, Options: opts, Price: price, Currency: currency,
		Stock: v.Stock, IsActive: v.IsActive, CreatedAt: v.CreatedAt.UTC(), UpdatedAt: v.UpdatedAt.UTC()}
}

// LowStock is the data of inventory.low_stock.
type LowStock struct {
	ProductID int     `json:"product_id"`
	VariantID int     `json:"variant_id"`
	SKU       *string `json:"sku"`
	Stock     int     `json:"stock"`
	Threshold int     `json:"threshold"`
}

// NewOrder maps an order and its lines (nil: none yet) to event data.
func NewOrder(o *gen.Order, items []*gen.OrderItem) *Order {
	out := &Order{ID: o.ID, UserID: o.UserID, Status: string(o.Status), SubtotalAmount: o.SubtotalAmount,
		DiscountCode: o.DiscountCode, DiscountAmount: o.DiscountAmount, TotalAmount: o.TotalAmount,
		Currency: o.Currency, Items: []OrderItem{}, CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC()}
	for _, it := range items {
		out.AddItem(OrderItem{ProductID: it.ProductID, VariantID: it.VariantID, SKU: it.Sku, Options: it.Options,
			ProductName: it.ProductName, Quantity: it.Quantity, UnitPrice: it.UnitPrice, DiscountAmount: it.DiscountAmount})
	}
	return out
}

// AddItem appends a line (its subtotal computed here) with its share of
// the order's discount (it.DiscountAmount).
func (o *Order) AddItem(it OrderItem) {
	if it.Options == nil {
		it.Options = map[string]string{}
	}
	it.Subtotal, _ = money.Line(it.UnitPrice, it.Quantity) // the CHECKs bound it: ≤ 10^10 × 1000
	o.Items = append(o.Items, it)
}

// NewProduct maps a product, with the variants loaded on it
// (p.Edges.Variants), to event data; currency is the store's.
func NewProduct(p *gen.Product, currency string) Product {
	opts := p.Options
	if opts == nil {
		opts = []string{}
	}
	vs := make([]Variant, len(p.Edges.Variants))
	for i, v := range p.Edges.Variants {
		vs[i] = NewVariant(v, p.Price, currency)
	}
	return Product{ID: p.ID, CategoryID: p.CategoryID, Name: p.Name, Description: p.Description,
		Price: p.Price, Currency: currency, Stock: p.Stock, IsActive: p.IsActive, Options: opts, Variants: vs,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
}

// StockChange is one variant's stock moved by Change to Stock.
type StockChange struct {
	ProductID, VariantID int
	SKU                  *string
	Change, Stock        int
}

// AddLowStock records, in the outbox of ctx, inventory.low_stock for each
// variant whose stock went from at least the threshold to below it. Every
// stock change (stock.Move) calls it.
func AddLowStock(ctx context.Context, changes []StockChange) {
	o := FromContext(ctx)
	if o == nil {
		return
	}
	t := o.settings.LowStockThreshold
	for _, ch := range changes {
		if ch.Change < 0 && ch.Stock < t && ch.Stock-ch.Change >= t {
			o.Add(InventoryLowStock, LowStock{ProductID: ch.ProductID, VariantID: ch.VariantID, SKU: ch.SKU, Stock: ch.Stock, Threshold: t})
		}
	}
}

// LowStockSQL writes AddLowStock's rule for PostgreSQL into the statement
// that moves the stock, as a data-modifying CTE
//
//	name AS (INSERT INTO river_job (…) SELECT … FROM from
//	         WHERE from.stock < t AND from.stock_before >= t AND from.stock < from.stock_before)
//
// over the relation from (columns id, product_id, sku, stock after the
// change, stock_before), so inventory.low_stock is recorded by the
// statement that takes the stock and a sale's decrement is followed by
// nothing but COMMIT. The job is the one Flush would insert: River's kind,
// queue, default priority and attempts; args {id, type, created_at, data}
// with the data of AddLowStock, written only when an active webhook
// subscribes to inventory.low_stock, as Flush does. ids are the variants the statement may move
// (each gets an event id, used if it crosses). It writes nothing and
// reports false when ctx has no outbox. SQLite has no data-modifying CTE:
// there stock.Move calls AddLowStock (one writer at a time, so the order
// of its statements holds no lock longer).
func LowStockSQL(ctx context.Context, b *entsql.Builder, name, from string, ids []int) bool {
	o := FromContext(ctx)
	if o == nil {
		return false
	}
	evIDs := make(map[string]string, len(ids))
	for _, id := range ids {
		evIDs[strconv.Itoa(id)] = NewID()
	}
	raw, _ := json.Marshal(evIDs)
	now := time.Now().UTC().Truncate(time.Microsecond)
	t := o.settings.LowStockThreshold
	col := func(c string) string { return from + "." + c }
	b.WriteString(name + " AS (INSERT INTO river_job (args, created_at, kind, max_attempts, priority, queue, scheduled_at, state, tags)" +
		" SELECT jsonb_build_object('id', CAST(").Arg(string(raw)).WriteString(" AS jsonb) ->> CAST(" + col("id") + " AS text)").
		WriteString(", 'type', CAST(").Arg(InventoryLowStock).WriteString(" AS text)").
		WriteString(", 'created_at', CAST(").Arg(now.Format(time.RFC3339Nano)).WriteString(" AS text)").
		WriteString(", 'data', jsonb_build_object('product_id', " + col("product_id") + ", 'variant_id', " + col("id") +
			", 'sku', " + col("sku") + ", 'stock', " + col("stock") + ", 'threshold', CAST(").Arg(t).WriteString(" AS BIGINT)))").
		WriteString(", CAST(").Arg(now).WriteString(" AS timestamptz), CAST(").Arg(Args{}.Kind()).WriteString(" AS text)").
		WriteString(", CAST(").Arg(river.MaxAttemptsDefault).WriteString(" AS smallint), CAST(").Arg(river.PriorityDefault).WriteString(" AS smallint)").
		WriteString(", CAST(").Arg(Queue).WriteString(" AS text), CAST(").Arg(now).WriteString(" AS timestamptz), 'available', '{}'").
		WriteString(" FROM " + from + " WHERE " + col("stock") + " < CAST(").Arg(t).WriteString(" AS BIGINT) AND " + col("stock_before") + " >= CAST(").Arg(t).
		WriteString(" AS BIGINT) AND " + col("stock") + " < " + col("stock_before") + " AND " + subscribed(dialect.Postgres, lit(InventoryLowStock)) + ")")
	return true
}
