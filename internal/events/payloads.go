package events

import (
	"context"
	"sync/atomic"
	"time"

	gen "shop/ent"
	"shop/internal/money"
)

// Settings are the process settings events are built with: the store
// currency (money in event data carries it, as in the REST API) and the
// low-stock threshold. cmd/shop sets them from the environment at start;
// every replica reads the same environment.
type Settings struct {
	Currency          string
	LowStockThreshold int
}

var settings atomic.Pointer[Settings]

// Configure sets the settings of this process.
func Configure(s Settings) { settings.Store(&s) }

// Current returns the settings (USD and 5 until Configure runs).
func Current() Settings {
	if s := settings.Load(); s != nil {
		return *s
	}
	return Settings{Currency: "USD", LowStockThreshold: 5}
}

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
	ProductID   int    `json:"product_id"`
	ProductName string `json:"product_name"`
	Quantity    int    `json:"quantity"`
	UnitPrice   int64  `json:"unit_price"`
	Subtotal    int64  `json:"subtotal"`
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
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// LowStock is the data of inventory.low_stock.
type LowStock struct {
	ProductID int `json:"product_id"`
	Stock     int `json:"stock"`
	Threshold int `json:"threshold"`
}

// NewOrder maps an order and its lines (nil: none yet) to event data.
func NewOrder(o *gen.Order, items []*gen.OrderItem) *Order {
	out := &Order{ID: o.ID, UserID: o.UserID, Status: string(o.Status), SubtotalAmount: o.SubtotalAmount,
		DiscountCode: o.DiscountCode, DiscountAmount: o.DiscountAmount, TotalAmount: o.TotalAmount,
		Currency: o.Currency, Items: []OrderItem{}, CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC()}
	for _, it := range items {
		out.AddItem(it.ProductID, it.ProductName, it.Quantity, it.UnitPrice, it.DiscountAmount)
	}
	return out
}

// AddItem appends a line with its share of the order's discount.
func (o *Order) AddItem(productID int, name string, qty int, unitPrice, discount int64) {
	sub, _ := money.Line(unitPrice, qty) // the CHECKs bound it: ≤ 10^10 × 1000
	o.Items = append(o.Items, OrderItem{ProductID: productID, ProductName: name, Quantity: qty,
		UnitPrice: unitPrice, Subtotal: sub, DiscountAmount: discount})
}

// NewProduct maps a product to event data.
func NewProduct(p *gen.Product) Product {
	return Product{ID: p.ID, CategoryID: p.CategoryID, Name: p.Name, Description: p.Description,
		Price: p.Price, Currency: Current().Currency, Stock: p.Stock, IsActive: p.IsActive,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
}

// RecordLowStock records inventory.low_stock for each product whose stock
// went by change[id] to after[id] and so from at least the threshold to
// below it, in the transaction of c. Hooks and raw statements that move
// stock share it.
func RecordLowStock(ctx context.Context, c *gen.Client, change, after map[int]int) error {
	t := Current().LowStockThreshold
	for id, stock := range after {
		if d := change[id]; d < 0 && stock < t && stock-d >= t {
			if err := Record(ctx, c, InventoryLowStock, "", LowStock{ProductID: id, Stock: stock, Threshold: t}); err != nil {
				return err
			}
		}
	}
	return nil
}
