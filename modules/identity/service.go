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
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"shop/ent"
	"shop/ent/user"
	"shop/internal/apperr"
)

// Roles.
const (
	RoleCustomer = "customer"
	RoleAdmin    = "admin"
)

// Service holds identity's settings; it keeps no database handle: every
// method takes the caller's client (or transaction client).
type Service struct {
	BcryptCost int

	dummyOnce sync.Once
	dummy     []byte
}

// CreateUserInput is a new user. Password is the clear text, 8..128 chars.
type CreateUserInput struct {
	Email    string
	Password string
	Name     string
	Role     string
}

// NormalizeEmail is the form emails are stored and looked up in.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CreateUser makes a user with a bcrypt hash of the password.
// Errors: validation_failed, conflict (email taken).
func (s *Service) CreateUser(ctx context.Context, db *ent.Client, in CreateUserInput) (*ent.User, error) {
	var fields []apperr.FieldError
	email := NormalizeEmail(in.Email)
	if !strings.Contains(email, "@") || len(email) > 254 {
		fields = append(fields, apperr.Field("email", "must be an email address"))
	}
	if n := utf8.RuneCountInString(in.Password); n < 8 || n > 128 {
		fields = append(fields, apperr.Field("password", "must be 8 to 128 characters"))
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		fields = append(fields, apperr.Field("name", "must be 1 to 200 characters"))
	}
	if in.Role != RoleCustomer && in.Role != RoleAdmin {
		fields = append(fields, apperr.Field("role", "must be customer or admin"))
	}
	if len(fields) > 0 {
		return nil, apperr.Validation(fields...)
	}
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
