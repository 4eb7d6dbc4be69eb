// Package identity owns users: registration, password hashing, login,
// tokens, roles and the viewer in the request context.
package identity

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"shop/ent"
	"shop/ent/user"
	"shop/internal/valid"
	"shop/schema"
)

// Roles.
const (
	RoleCustomer = schema.RoleCustomer
	RoleAdmin    = schema.RoleAdmin
)

// Service holds identity's settings; it keeps no database handle: every
// method takes the caller's client (or transaction client).
type Service struct {
	BcryptCost int

	dummyOnce sync.Once
	dummy     []byte
}

// CreateUserInput is a new user (REST: the register body; the role is
// set by the caller, never by the body). Password is the clear text.
type CreateUserInput struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
	Role     string `json:"-"`
}

// Password lengths, in characters. Passwords are not stored (their bcrypt
// hash is), so these are identity's limits, not the schema's.
const (
	MinPassword = 8
	MaxPassword = 128
)

// Validate checks every field.
func (in CreateUserInput) Validate() error {
	var f valid.Fields
	if f.Required("email", in.Email != "") {
		f.Email("email", in.Email)
		f.Text("email", in.Email, 0, schema.MaxEmail)
	}
	if f.Required("password", in.Password != "") {
		f.Text("password", in.Password, MinPassword, MaxPassword)
	}
	if f.Required("name", strings.TrimSpace(in.Name) != "") {
		f.Text("name", in.Name, 1, schema.MaxUserName)
		f.NotBlank("name", schema.Blank(in.Name))
	}
	f.OneOf("role", in.Role, schema.Roles...)
	return f.Err()
}

// Credentials are a login's email and password.
type Credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Validate checks that both are given and not longer than any user's.
func (c Credentials) Validate() error {
	var f valid.Fields
	if f.Required("email", c.Email != "") {
		f.Text("email", c.Email, 0, schema.MaxEmail)
	}
	if f.Required("password", c.Password != "") {
		f.Text("password", c.Password, 0, MaxPassword)
	}
	return f.Err()
}

// NormalizeEmail is the form emails are stored and looked up in.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CreateUser makes a user with a bcrypt hash of the password.
// Errors: validation_failed, conflict (email taken).
func (s *Service) CreateUser(ctx context.Context, db *ent.Client, in CreateUserInput) (*ent.User, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	email, name := NormalizeEmail(in.Email), strings.TrimSpace(in.Name)
	hash, err := bcrypt.GenerateFromPassword(prehash(in.Password), s.cost())
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	u, err := db.User.Create().
		SetEmail(email).
		SetName(name).
		SetPasswordHash(string(hash)).
		SetRole(user.Role(in.Role)).
		Save(ctx)
	if err != nil {
		// A taken email violates the unique index user_email: conflict.
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// prehash turns a password of any length into 44 bytes for bcrypt, which
// refuses more than 72: SHA-256, then base64 (no NUL bytes).
func prehash(password string) []byte {
	sum := sha256.Sum256([]byte(password))
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}

func (s *Service) cost() int {
	if s.BcryptCost < bcrypt.MinCost {
		return bcrypt.DefaultCost
	}
	return s.BcryptCost
}
