package main

import (
	"context"
	"flag"
	"fmt"

	"shop/ent"
	"shop/internal/app"
	"shop/internal/database"
	"shop/modules/identity"
)

func userCreateFlags(fs *flag.FlagSet) func(context.Context, deps) error {
	email := fs.String("email", "", "email (required)")
	password := fs.String("password", "", "password, 8..128 characters (required)")
	role := fs.String("role", identity.RoleCustomer, "admin or customer")
	name := fs.String("name", "", "display name (default: the email's local part)")
	return func(ctx context.Context, e deps) error {
		if *email == "" || *password == "" {
			return usageError("user create: --email and --password are required")
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
		db, err := openDB(e.cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		svc := app.NewServices(e.cfg, db.Dialect)
		u, err := database.Write(ctx, app.NewRunner(e.cfg, db), func(ctx context.Context, db *ent.Client) (*ent.User, error) {
			return svc.Identity.CreateUser(ctx, db, identity.CreateUserInput{
				Email: *email, Password: *password, Name: *name, Role: *role,
			})
		})
		if err != nil {
			return app.Describe(err)
		}
		fmt.Fprintln(e.stdout, u.ID)
		return nil
	}
}
