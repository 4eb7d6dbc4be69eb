package httpserver

import (
	"encoding/json"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"shop/internal/apperr"
)

// PathID reads a positive integer id from the path, in canonical decimal
// (no sign, no leading zeros), so one resource has one URL: `/products/007`
// and `/products/+7` name nothing (404 not_found), like any other text.
func PathID(c echo.Context, name string) (int, error) {
	raw := c.Param(name)
	if raw == "" || raw[0] < '1' || raw[0] > '9' {
		return 0, apperr.New(apperr.NotFound, "no such resource")
	}
	id, err := strconv.ParseInt(raw, 10, 0)
	if err != nil || id <= 0 || id > 1<<53 {
		return 0, apperr.New(apperr.NotFound, "no such resource")
	}
	return int(id), nil
}

// UniqueQuery refuses a request that gives a query parameter more than once
// (422 validation_failed): `limit=5&limit=500` has no one meaning, and
// taking the first silently hides the client's mistake. It also refuses a
// parameter that is not validly encoded (`cursor=%zz`, `a=1;b=2`), which
// Echo's QueryParams would silently drop, so the request would run as if
// the client had not sent it.
func UniqueQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		fields := badlyEncoded(c.Request().URL.RawQuery)
		for name, values := range c.QueryParams() {
			if len(values) > 1 {
				fields = append(fields, apperr.Field(name, "is given more than once"))
			}
		}
		if len(fields) > 0 {
			sort.Slice(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
			e := apperr.Validation(fields...)
			e.Message = "the query has invalid parameters"
			return e
		}
		return next(c)
	}
}

// badlyEncoded names each parameter of rawQuery that url.ParseQuery
// refuses: bad percent-encoding in its name or value, or a ';' separator.
// A name that can't be decoded is named as sent.
func badlyEncoded(rawQuery string) []apperr.FieldError {
	if _, err := url.ParseQuery(rawQuery); err == nil {
		return nil
	}
	var fields []apperr.FieldError
	seen := map[string]bool{}
	add := func(name, message string) {
		name = strings.ToValidUTF8(name, "\uFFFD")
		if !seen[name] {
			seen[name] = true
			fields = append(fields, apperr.Field(name, message))
		}
	}
	for _, pair := range strings.Split(rawQuery, "&") {
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, nameErr := url.QueryUnescape(rawName)
		if nameErr != nil {
			name = rawName
		}
		_, valueErr := url.QueryUnescape(rawValue)
		switch {
		case strings.Contains(pair, ";"):
			add(name, "is separated from the next parameter by ';'; use '&'")
		case nameErr != nil || valueErr != nil:
			add(name, "is not validly percent-encoded")
		}
	}
	return fields
}

// Query collects validated query parameters and their errors.
type Query struct {
	c      echo.Context
	Errors []apperr.FieldError
}

// NewQuery starts reading the query of c.
func NewQuery(c echo.Context) *Query { return &Query{c: c} }

// Int64 reads an optional integer within [min, max].
func (q *Query) Int64(name string, min, max int64) *int64 {
	raw := q.c.QueryParam(name)
	if raw == "" {
		return nil
	}
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || v < min || v > max {
		q.Errors = append(q.Errors, apperr.Field(name, "must be an integer from "+strconv.FormatInt(min, 10)+" to "+strconv.FormatInt(max, 10)))
		return nil
	}
	return &v
}

// Bool reads an optional true/false.
func (q *Query) Bool(name string) bool {
	switch q.c.QueryParam(name) {
	case "", "false":
		return false
	case "true":
		return true
	default:
		q.Errors = append(q.Errors, apperr.Field(name, "must be true or false"))
		return false
	}
}

// OneOf reads an optional value from a fixed set, def when absent.
func (q *Query) OneOf(name, def string, allowed ...string) string {
	raw := q.c.QueryParam(name)
	if raw == "" {
		return def
	}
	for _, a := range allowed {
		if raw == a {
			return raw
		}
	}
	b, _ := json.Marshal(allowed)
	q.Errors = append(q.Errors, apperr.Field(name, "must be one of "+string(b)))
	return def
}

// String reads an optional string of at most max characters.
func (q *Query) String(name string, max int) string {
	raw := q.c.QueryParam(name)
	switch {
	case !CleanText(raw):
		q.Errors = append(q.Errors, apperr.Field(name, "must be UTF-8 text without NUL characters"))
		return ""
	case utf8.RuneCountInString(raw) > max:
		q.Errors = append(q.Errors, apperr.Field(name, "must be at most "+strconv.Itoa(max)+" characters"))
		return ""
	}
	return raw
}

// Add records more errors (List adds page.Parse's).
func (q *Query) Add(errs ...apperr.FieldError) { q.Errors = append(q.Errors, errs...) }

// Err is the validation_failed error of every bad parameter, or nil.
func (q *Query) Err() error {
	if len(q.Errors) == 0 {
		return nil
	}
	e := apperr.Validation(q.Errors...)
	e.Message = "the query has invalid parameters"
	return e
}

// Optional is a PATCH member that distinguishes absent (Set false), null
// (Set, Null) and a value.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// valueType is T, for the exact-name check of bodies.
func (*Optional[T]) valueType() reflect.Type { return reflect.TypeFor[T]() }

// UnmarshalJSON records that the member was present.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	if err := json.Unmarshal(b, &o.Value); err != nil {
		return &FieldValueError{Msg: "a field has the wrong type"}
	}
	return nil
}

// BindID reads the path id named param (404 if it names nothing) and then
// binds the body into dst (see Bind).
func BindID(c echo.Context, param string, dst any) (int, error) {
	id, err := PathID(c, param)
	if err != nil {
		return 0, err
	}
	return id, Bind(c, dst)
}
