package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"shop/ent"
	"shop/internal/app"
	"shop/internal/config"
	"shop/internal/database"
	"shop/modules/identity"
)

func userCmd(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: shop user create --email E --password P --role admin|customer [--name N]")
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email (required)")
	password := fs.String("password", "", "password, 8..128 characters (required)")
	role := fs.String("role", identity.RoleCustomer, "admin or customer")
	name := fs.String("name", "", "display name (default: the email's local part)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *name == "" {
		*name = *email
		for i, r := range *email {
			if r == '@' {
				*name = (*email)[:i]
				break
			}
		}
	}
	db, err := openDB(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := app.NewServices(cfg, db.Dialect)
	u, err := database.Write(ctx, app.NewRunner(cfg, db), func(ctx context.Context, db *ent.Client) (*ent.User, error) {
		return svc.Identity.CreateUser(ctx, db, identity.CreateUserInput{
			Email: *email, Password: *password, Name: *name, Role: *role,
		})
	})
	if err != nil {
		return app.Describe(err)
	}
	fmt.Fprintln(stdout, u.ID)
	return nil
}
