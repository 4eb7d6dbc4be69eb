package catalog

import (
	"context"
	"fmt"

	"shop/ent"
	"shop/ent/category"
	"shop/ent/product"
)

type seedCategory struct {
	slug, name, parent string
	products           []string
}

// demoCatalog is the demo shop: a small category tree and 50 products.
var demoCatalog = []seedCategory{
	{slug: "electronics", name: "Electronics"},
	{slug: "laptops", name: "Laptops", parent: "electronics", products: []string{
		"Ultrabook 13", "Ultrabook 15", "Workstation 16", "Gaming Laptop 17", "Chromebook 11", "Convertible 14", "Student Laptop 15", "Creator Laptop 16"}},
	{slug: "phones", name: "Phones", parent: "electronics", products: []string{
		"Phone Mini", "Phone Pro", "Phone Max", "Rugged Phone", "Budget Phone", "Foldable Phone", "Phone Case", "USB-C Charger"}},
	{slug: "audio", name: "Audio", parent: "electronics", products: []string{
		"Wireless Earbuds", "Studio Headphones", "Bluetooth Speaker", "Soundbar", "Turntable", "Podcast Microphone", "DAC Amplifier"}},
	{slug: "home", name: "Home & Kitchen"},
	{slug: "kitchen", name: "Kitchen", parent: "home", products: []string{
		"Chef Knife", "Cast Iron Skillet", "Espresso Machine", "Burr Grinder", "Kettle", "Stand Mixer", "Cutting Board", "Dutch Oven", "Toaster"}},
	{slug: "furniture", name: "Furniture", parent: "home", products: []string{
		"Desk Chair", "Standing Desk", "Bookshelf", "Floor Lamp", "Sofa", "Coffee Table", "Bed Frame", "Nightstand"}},
	{slug: "outdoor", name: "Outdoor", products: []string{
		"Tent 2P", "Sleeping Bag", "Hiking Backpack", "Trekking Poles", "Headlamp", "Camp Stove", "Water Filter", "Rain Jacket", "Trail Shoes", "Insulated Bottle"}},
}

// Seed loads the demo catalog: categories by slug, products by name within
// their category, each created only if missing, so running it twice changes
// nothing. Initial stock is recorded as `initial` movements. Run it in a
// transaction. It returns how many rows it created.
// demoSizes is the demo product with variants: one T-shirt in three sizes,
// each its own SKU and stock.
var demoSizes = struct {
	category, name string
	sizes          []string
}{category: demoCatalog[len(demoCatalog)-1].slug, name: "Demo T-shirt", sizes: []string{"S", "M", "L"}}

func (s *Service) Seed(ctx context.Context, db *ent.Client) (int, error) {
	created := 0
	ids := map[string]int{}
	n := 0
	for _, sc := range demoCatalog {
		c, err := db.Category.Query().Where(category.Slug(sc.slug)).Only(ctx)
		if ent.IsNotFound(err) {
			in := CategoryInput{Name: sc.name, Slug: sc.slug}
			if sc.parent != "" {
				pid := ids[sc.parent]
				in.ParentID = &pid
			}
			c, err = s.CreateCategory(ctx, db, in)
			created++
		}
		if err != nil {
			return created, fmt.Errorf("seed category %s: %w", sc.slug, err)
		}
		ids[sc.slug] = c.ID
		if sc.slug == demoSizes.category {
			exists, err := db.Product.Query().Where(product.CategoryID(c.ID), product.Name(demoSizes.name)).Exist(ctx)
			if err != nil {
				return created, err
			}
			if !exists {
				vs := make([]VariantInput, len(demoSizes.sizes))
				for i, size := range demoSizes.sizes {
					vs[i] = VariantInput{SKU: new("DEMO-TEE-" + size), Options: map[string]string{"Size": size}, Stock: new(10 + 5*i)}
				}
				if _, err := s.CreateProduct(ctx, db, ProductInput{
					CategoryID: new(c.ID), Name: demoSizes.name, Description: "A T-shirt in three sizes, from the demo catalog.",
					Price: new(int64(1999)), Options: []string{"Size"}, Variants: vs,
				}); err != nil {
					return created, fmt.Errorf("seed product %s: %w", demoSizes.name, err)
				}
				created++
			}
		}
		for _, name := range sc.products {
			n++
			exists, err := db.Product.Query().Where(product.CategoryID(c.ID), product.Name(name)).Exist(ctx)
			if err != nil {
				return created, err
			}
			if exists {
				continue
			}
			_, err = s.CreateProduct(ctx, db, ProductInput{
				CategoryID:  new(c.ID),
				Name:        name,
				Description: fmt.Sprintf("%s from the demo catalog of %s.", name, sc.name),
				Price:       new(int64(499 + (n*7919)%150000)), // deterministic, 4.99 .. 1,504.98
				Stock:       new((n * 37) % 120),
			})
			if err != nil {
				return created, fmt.Errorf("seed product %s: %w", name, err)
			}
			created++
		}
	}
	return created, nil
}
