// Package graph is the admin GraphQL API: the schema Ent generates
// (ent.graphql) plus the admin's mutations (admin.graphql), resolved over
// the same module services as REST.
package graph

import (
	"context"
	"fmt"

	"shop/ent"
	"shop/internal/apperr"
	keyset "shop/internal/page"
	"shop/modules/catalog"
	"shop/modules/integrations"
	"shop/modules/inventory"
	"shop/modules/ordering"
	"shop/modules/pricing"
	"shop/schema"
)

// MaxPage caps first and last of every connection: the REST lists' limit
// (internal/page), so both APIs page alike.
const MaxPage = keyset.MaxLimit

// DefaultPage is the page size when neither first nor last is given, as in
// REST.
const DefaultPage = keyset.DefaultLimit

// Resolver holds the services the resolvers call. Mutations run inside the
// operation's transaction (the runner's, opened by admin's transactions
// extension) and pass its client down.
type Resolver struct {
	Client    *ent.Client
	Catalog   *catalog.Service
	Inventory inventory.Service
	Ordering  *ordering.Service
	Pricing   *pricing.Service
	// DeliveryLog reads the webhook delivery log (River's job table); nil
	// makes Webhook.deliveries answer unavailable.
	DeliveryLog *integrations.Runner
	// StoreCurrency is the store currency (SHOP_CURRENCY): Product.currency.
	StoreCurrency string
}

// db is the transaction's client in a mutation, the plain client otherwise.
func (r *Resolver) db(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return r.Client
}

// historyProduct is the product an order line or an inventory movement
// refers to, soft-deleted or not, so order history never breaks: the one
// the parent query loaded with it (entgql's field collection, which skips
// deleted products), else a read that includes deleted rows. Only these
// two edges see deleted products; the catalog's connections and edges
// don't.
func historyProduct(ctx context.Context, loaded func() (*ent.Product, error), query func() *ent.ProductQuery) (*ent.Product, error) {
	if p, err := loaded(); err == nil {
		return p, nil
	}
	return query().Only(schema.SkipSoftDelete(ctx))
}

// page validates first/last and defaults first so no connection is unbounded.
func page(first, last *int) (*int, *int, error) {
	for name, v := range map[string]*int{"first": first, "last": last} {
		if v != nil && (*v < 0 || *v > MaxPage) {
			return nil, nil, apperr.Validation(apperr.Field(name, fmt.Sprintf("must be from 0 to %d", MaxPage)))
		}
	}
	if first == nil && last == nil {
		n := DefaultPage
		first = &n
	}
	return first, last, nil
}

// stringMap narrows a GraphQL Map argument whose values must be strings (a
// variant's options) to Go's map[string]string; a value of another type is
// validation_failed naming arg.key.
func stringMap(arg string, m map[string]any) (map[string]string, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return nil, apperr.Validation(apperr.Field(arg+"."+k, "must be a string"))
		}
		out[k] = s
	}
	return out, nil
}

// variantInput is the catalog's input for a GraphQL NewVariantInput (of
// createVariant, or one of createProduct's variants): the same input and
// Validate as REST's; field names its options in errors.
func variantInput(in NewVariantInput, field string) (catalog.VariantInput, error) {
	opts, err := stringMap(field, in.Options)
	if err != nil {
		return catalog.VariantInput{}, err
	}
	return catalog.VariantInput{SKU: in.Sku, Options: opts, Price: in.Price, Stock: in.InitialStock, IsActive: in.IsActive}, nil
}

// clearOr maps a patch's value and its clearX flag to the service's (set,
// value): clear sets it to nil, a value sets it, neither leaves it alone.
func clearOr[T any](clear *bool, v *T) (bool, *T) {
	if clear != nil && *clear {
		return true, nil
	}
	return v != nil, v
}
