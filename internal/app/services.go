// Package app assembles the shop: the modules, wired to each other, and
// the HTTP server with every route. cmd/shop and the end-to-end tests both
// build the shop through it.
package app

import (
	"fmt"
	"strings"

	"shop/internal/apperr"
	"shop/internal/config"
	"shop/internal/database"
	"shop/modules/cart"
	"shop/modules/catalog"
	"shop/modules/identity"
	"shop/modules/inventory"
	"shop/modules/ordering"
	"shop/modules/pricing"
)

// Services wires the modules together: each gets the small interfaces it
// declares from the modules that own them.
type Services struct {
	Identity  *identity.Service
	Inventory inventory.Service
	Catalog   *catalog.Service
	Cart      cart.Service
	Ordering  *ordering.Service
	Pricing   *pricing.Service
}

// NewServices builds the modules for the configuration and dialect.
func NewServices(cfg config.Config, dialect string) *Services {
	inv := inventory.Service{}
	prices := &pricing.Service{Dialect: dialect, Currency: cfg.Currency}
	return &Services{
		Pricing:   prices,
		Identity:  &identity.Service{BcryptCost: cfg.BcryptCost},
		Inventory: inv,
		Catalog:   &catalog.Service{Stock: inv, Dialect: dialect},
		Cart:      cart.Service{Dialect: dialect},
		Ordering:  &ordering.Service{Cart: cart.Service{Dialect: dialect}, Stock: inv, Discounts: prices, Currency: cfg.Currency, Locking: cfg.CheckoutLocking, Dialect: dialect},
	}
}

// Describe turns a domain error into a one-line message for the terminal
// ("conflict: a user with this email already exists"). An internal error
// or an unreachable database is returned as it is: the operator needs what
// the database said.
func Describe(err error) error {
	e := database.Translate(err)
	if e == nil || e.Code == apperr.Internal || e.Code == apperr.Unavailable {
		return err
	}
	msg := e.Message
	if len(e.Fields) > 0 {
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			parts[i] = f.Field + " " + f.Message
		}
		msg = strings.Join(parts, "; ")
	}
	return fmt.Errorf("%s: %s", e.Code, msg)
}
