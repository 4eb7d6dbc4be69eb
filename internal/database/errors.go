package database

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"shop/ent"
	"shop/internal/apperr"
)

// ErrUnknownUser is the answer to a write by a valid token whose user no
// longer exists (401).
func ErrUnknownUser() *apperr.Error {
	return apperr.New(apperr.Unauthorized, "the user of this token no longer exists")
}

// Translate returns the API error err stands for. It is the one place that
// knows what Ent's and the database drivers' errors mean; the REST error
// handler, the GraphQL error presenter and the command line all ask it, and
// modules simply return (or wrap) what Ent gave them.
//
//   - A database that can't be reached, or whose schema changed under the
//     statement (SchemaChanged), is unavailable (503), and a write
//     naming a user who no longer exists is unauthorized (401: the token is
//     valid but its user is gone). These two outrank whatever a module made
//     of the error, because no module can know them better.
//   - An *apperr.Error in err's chain (a module's or a schema hook's) is
//     returned as it is.
//   - No row (ent.NotFoundError) is not_found, naming the entity.
//   - An Ent field validator's refusal is validation_failed on that field.
//   - A unique, foreign-key or CHECK violation is conflict, with the message
//     constraints gives for the violated constraint, or a general one.
//   - Anything else is internal; its text (SQL, driver details) is kept as
//     the cause for the log, never shown.
func Translate(err error) *apperr.Error {
	if err == nil {
		return nil
	}
	if Unreachable(err) {
		return &apperr.Error{Code: apperr.Unavailable, Message: "the database is unreachable; retry later", Err: err}
	}
	if QueryCanceled(err) {
		return &apperr.Error{Code: apperr.Unavailable, Message: "the request ran past its deadline; retry later", Err: err}
	}
	if SchemaChanged(err) {
		return &apperr.Error{Code: apperr.Unavailable, Message: "the database schema is changing; retry later", Err: err}
	}
	if UnknownUser(err) {
		return ErrUnknownUser().Wrap(err)
	}
	var e *apperr.Error
	if errors.As(err, &e) {
		return e
	}
	var nf *ent.NotFoundError
	if errors.As(err, &nf) {
		return &apperr.Error{Code: apperr.NotFound, Message: "no such " + entityName(nf), Err: err}
	}
	var ve *ent.ValidationError
	if errors.As(err, &ve) {
		return &apperr.Error{Code: apperr.ValidationFailed, Message: "the request has invalid fields",
			Fields: []apperr.FieldError{apperr.Field(ve.Name, "is invalid")}, Err: err}
	}
	if name, ok := violation(err); ok || ent.IsConstraintError(err) {
		msg := "the change conflicts with the data already stored"
		for _, c := range constraints {
			if name != "" && (name == c.postgres || name == c.sqlite) {
				msg = c.message
				break
			}
		}
		return &apperr.Error{Code: apperr.Conflict, Message: msg, Err: err}
	}
	return &apperr.Error{Code: apperr.Internal, Message: "an internal error occurred", Err: err}
}

// constraints gives the conflict message of each constraint a request can
// violate although its input is valid, by the name PostgreSQL reports (the
// constraint or unique index) and what SQLite reports (table.column of a
// unique index, the name of a named CHECK).
var constraints = []struct {
	postgres, sqlite string
	message          string
}{
	{"user_email", "users.email", "a user with this email already exists"},
	{"category_slug", "categories.slug", "a category with this slug already exists"},
}

// entityName is the API's name of the entity a not-found error is about
// ("ent: api_key not found" → "API key").
func entityName(nf *ent.NotFoundError) string {
	label := strings.TrimSuffix(strings.TrimPrefix(nf.Error(), "ent: "), " not found")
	switch label {
	case "":
		return "resource"
	case "api_key":
		return "API key"
	}
	return strings.ReplaceAll(label, "_", " ")
}

// violation reports whether err is a unique, foreign-key or CHECK
// violation, with the constraint's name as the driver reports it: the constraint's or index's name on PostgreSQL;
// table.column for a unique index and the constraint's name for a CHECK on
// SQLite (which does not name the foreign key that failed).
func violation(err error) (name string, ok bool) {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505", "23503", "23514": // unique, foreign key, check
			return pg.ConstraintName, true
		}
		return "", false
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		switch lite.Code() {
		case 2067, 1555: // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
			return sqliteNamed(err.Error(), "UNIQUE constraint failed: "), true
		case 787: // SQLITE_CONSTRAINT_FOREIGNKEY
			return "", true
		case 275: // SQLITE_CONSTRAINT_CHECK
			return sqliteNamed(err.Error(), "CHECK constraint failed: "), true
		}
	}
	return "", false
}

// sqliteNamed returns what follows prefix in SQLite's message, up to the
// result code it appends: "UNIQUE constraint failed: users.email (2067)"
// gives users.email. A unique index over several columns is listed as
// "t.a, t.b".
func sqliteNamed(msg, prefix string) string {
	_, rest, ok := strings.Cut(msg, prefix)
	if !ok {
		return ""
	}
	if i := strings.LastIndex(rest, " ("); i >= 0 {
		rest = rest[:i]
	}
	return strings.TrimSpace(rest)
}
