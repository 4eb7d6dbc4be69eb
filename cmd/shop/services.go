package main

import (
	"errors"
	"fmt"
	"strings"

	"shop/internal/apperr"
	"shop/internal/config"
	"shop/modules/catalog"
	"shop/modules/identity"
	"shop/modules/inventory"
)

// services wires the modules together: each gets the small interfaces it
// declares from the modules that own them.
type services struct {
	identity  *identity.Service
	inventory inventory.Service
	catalog   *catalog.Service
}

func newServices(cfg config.Config, dialect string) *services {
	inv := inventory.Service{}
	return &services{
		identity:  &identity.Service{BcryptCost: cfg.BcryptCost},
		inventory: inv,
		catalog:   &catalog.Service{Stock: inv, Dialect: dialect},
	}
}

// describe turns a domain error into a one-line message for the terminal.
func describe(err error) error {
	var e *apperr.Error
	if !errors.As(err, &e) {
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
