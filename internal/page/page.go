// Package page implements keyset (cursor) pagination: an opaque cursor that
// holds the sort value and id of the last row, and the predicate and order
// that continue after it, so page N costs what page 1 costs and rows that
// share a sort value are neither skipped nor repeated.
package page

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"

	"shop/internal/apperr"
)

// Limits of a page (API.md: default 20, 1..100).
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Sort is a keyset order: a column and a direction, with id breaking ties
// in the same direction.
type Sort struct {
	Name   string // as the client names it, e.g. "-price"
	Column string
	Desc   bool
	// Kind says how the cursor value is typed: "int", "string" or "time".
	Kind string
}

// Cursor is the position after the last row of a page.
type Cursor struct {
	Sort  string `json:"s"`
	Value string `json:"v,omitempty"`
	ID    int    `json:"id"`
}

// Encode returns the opaque form of c.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrBadCursor means the cursor was not made by this server for this sort.
var ErrBadCursor = errors.New("malformed cursor")

// Decode reads a cursor made for sort s; an empty string is no cursor.
func Decode(raw string, s Sort) (*Cursor, error) {
	if raw == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(raw) > 512 {
		return nil, ErrBadCursor
	}
	var c Cursor
	if err := json.Unmarshal(b, &c); err != nil || c.Sort != s.Name || c.ID <= 0 ||
		!utf8.ValidString(c.Value) || strings.ContainsRune(c.Value, 0) {
		return nil, ErrBadCursor
	}
	if _, err := s.value(c.Value); err != nil {
		return nil, ErrBadCursor
	}
	return &c, nil
}

func (s Sort) value(v string) (any, error) {
	switch s.Kind {
	case "", "id":
		return nil, nil
	case "int":
		return strconv.ParseInt(v, 10, 64)
	case "time":
		return time.Parse(time.RFC3339Nano, v)
	default:
		return v, nil
	}
}

// FormatValue is the cursor form of a row's sort value.
func FormatValue(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case string:
		return x
	default:
		return ""
	}
}

// After returns the predicate that selects the rows after c in order s.
func (s Sort) After(c *Cursor) func(*sql.Selector) {
	return func(sel *sql.Selector) {
		if c == nil {
			return
		}
		cmp := sql.GT
		if s.Desc {
			cmp = sql.LT
		}
		if s.Column == "" || s.Column == "id" {
			sel.Where(cmp(sel.C("id"), c.ID))
			return
		}
		v, _ := s.value(c.Value)
		// A row comparison, (column, id) > (v, id), not the equivalent
		// "column > v OR (column = v AND id > …)": an index on (column, id)
		// serves it as one range, so every page costs the same.
		composite := sql.CompositeGT
		if s.Desc {
			composite = sql.CompositeLT
		}
		sel.Where(composite([]string{sel.C(s.Column), sel.C("id")}, v, c.ID))
	}
}

// Order returns the ORDER BY of s.
func (s Sort) Order() func(*sql.Selector) {
	return func(sel *sql.Selector) {
		dir := sql.Asc
		if s.Desc {
			dir = sql.Desc
		}
		if s.Column != "" && s.Column != "id" {
			sel.OrderBy(dir(sel.C(s.Column)))
		}
		sel.OrderBy(dir(sel.C("id")))
	}
}

// Params are the validated limit and cursor of a list request.
type Params struct {
	Limit  int
	Cursor *Cursor
}

// Parse validates limit and cursor query values for sort s; errors are
// validation_failed fields.
func Parse(limit, cursor string, s Sort) (Params, []apperr.FieldError) {
	var (
		p    = Params{Limit: DefaultLimit}
		errs []apperr.FieldError
	)
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			errs = append(errs, apperr.Field("limit", "must be an integer from 1 to 100"))
		} else {
			p.Limit = n
		}
	}
	c, err := Decode(cursor, s)
	if err != nil {
		errs = append(errs, apperr.Field("cursor", "is not a cursor of this list (pass next_cursor back as it is)"))
	}
	p.Cursor = c
	return p, errs
}

// List is the API's list shape.
type List[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// Build makes the List of a page fetched with limit+1 rows: the extra row
// only says there is a next page. cursorOf gives a row's cursor.
func Build[R any, T any](rows []R, limit int, mapFn func(R) T, cursorOf func(R) Cursor) List[T] {
	l := List[T]{Items: make([]T, 0, min(len(rows), limit))}
	if len(rows) > limit {
		rows = rows[:limit]
		c := cursorOf(rows[len(rows)-1]).Encode()
		l.NextCursor = &c
	}
	for _, r := range rows {
		l.Items = append(l.Items, mapFn(r))
	}
	return l
}

// NewestFirst orders rows by id, descending: ids grow with creation time,
// so this is newest first, with the primary key as the whole keyset.
var NewestFirst = Sort{Name: "-id", Column: "id", Desc: true}

// ByID is the cursor function of NewestFirst lists.
func ByID[R any](id func(R) int) func(R) Cursor {
	return func(r R) Cursor { return Cursor{Sort: NewestFirst.Name, ID: id(r)} }
}

// IDOrder orders rows by id, ascending (oldest first).
var IDOrder = Sort{Name: "id", Column: "id"}

// ByIDAscending is the cursor function of IDOrder lists.
func ByIDAscending[R any](id func(R) int) func(R) Cursor {
	return func(r R) Cursor { return Cursor{Sort: IDOrder.Name, ID: id(r)} }
}
