package events

import (
	"context"
	"time"

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

// NewProduct maps a product to event data; currency is the store's.
func NewProduct(p *gen.Product, currency string) Product {
	return Product{ID: p.ID, CategoryID: p.CategoryID, Name: p.Name, Description: p.Description,
		Price: p.Price, Currency: currency, Stock: p.Stock, IsActive: p.IsActive,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
}

// AddLowStock records, in the outbox of ctx, inventory.low_stock for each
// product whose stock went by change[id] to after[id] and so from at least
// the threshold to below it. Every stock change (schema.MoveStock) calls it.
func AddLowStock(ctx context.Context, change, after map[int]int) {
	o := FromContext(ctx)
	if o == nil {
		return
	}
	t := o.settings.LowStockThreshold
	for id, stock := range after {
		if d := change[id]; d < 0 && stock < t && stock-d >= t {
			o.Add(InventoryLowStock, LowStock{ProductID: id, Stock: stock, Threshold: t})
		}
	}
}
