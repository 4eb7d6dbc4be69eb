package httpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"shop/internal/apperr"
)

// Bind decodes the request's JSON body strictly into dst (unknown fields,
// wrong types, trailing data and an empty body are 400 malformed_request).
// It checks no business rule: dst is a service input, whose Validate the
// service runs (422 validation_failed with one entry per field).
func Bind(c echo.Context, dst any) error {
	return decodeBody(c.Request(), dst, false)
}

// BindOptional is Bind for a body that may be absent.
func BindOptional(c echo.Context, dst any) error {
	return decodeBody(c.Request(), dst, true)
}

// decodeBody reads and decodes a body. A body (not an absent one) must
// come as Content-Type: application/json, whatever its text: missing or
// another type is 415 unsupported_media_type, the same for every route.
func decodeBody(r *http.Request, dst any, optional bool) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
			return apperr.New(apperr.MalformedRequest, "the request body is larger than 1 MiB")
		}
		return apperr.New(apperr.MalformedRequest, "the request body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return apperr.New(apperr.MalformedRequest, "the request body is empty; send a JSON object")
	}
	if err := jsonContentType(r.Header.Get(echo.HeaderContentType)); err != nil {
		return err
	}
	return DecodeJSON(body, dst)
}

// jsonContentType refuses a Content-Type other than application/json
// (parameters such as charset=utf-8 are fine): 415 unsupported_media_type.
func jsonContentType(ct string) error {
	if ct == "" {
		return apperr.New(apperr.UnsupportedMediaType, "send the body with Content-Type: application/json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return apperr.New(apperr.UnsupportedMediaType, "the body must be JSON sent as Content-Type: application/json")
	}
	return nil
}

// DecodeJSON decodes one JSON object strictly into dst. Text the database
// can't store (invalid UTF-8, NUL characters) is refused here, at the edge.
func DecodeJSON(body []byte, dst any) error {
	if !utf8.Valid(body) {
		return apperr.New(apperr.MalformedRequest, "the body is not valid UTF-8")
	}
	if bytes.Contains(bytes.ToLower(body), []byte(`\u0000`)) {
		return apperr.New(apperr.MalformedRequest, "the body must not contain NUL characters (\\u0000)")
	}
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' {
		return apperr.New(apperr.MalformedRequest, "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return apperr.New(apperr.MalformedRequest, "%s", describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.New(apperr.MalformedRequest, "the body has data after the JSON object")
	}
	return exactNames(body, reflect.TypeOf(dst))
}

// exactNames refuses a member whose name matches a field of t only when
// case is ignored: encoding/json folds case (`QUANTITY` fills `quantity`),
// but API.md says names match exactly. It runs on a body the decoder has
// already accepted, so only the names are left to check; it walks nested
// objects and arrays the way the decoder did.
func exactNames(raw []byte, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if o, ok := reflect.New(t).Interface().(interface{ valueType() reflect.Type }); ok {
		return exactNames(raw, o.valueType()) // Optional[T] holds a T
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return nil // decodes itself
	}
	switch t.Kind() {
	case reflect.Struct:
		var members map[string]json.RawMessage
		if json.Unmarshal(raw, &members) != nil {
			return nil // null: nothing to name
		}
		fields := jsonFields(t)
		for name, v := range members {
			ft, ok := fields[name]
			if !ok {
				return apperr.New(apperr.MalformedRequest, "unknown field %q: field names are case-sensitive", name)
			}
			if err := exactNames(v, ft); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		for _, v := range items {
			if err := exactNames(v, t.Elem()); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonFields maps the exact JSON names of t's fields (embedded structs
// flattened) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			for et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for k, v := range jsonFields(et) {
					out[k] = v
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func describeJSONError(err error) string {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("the body is not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %q must be %s, not %s", typ.Field, jsonKind(typ.Type), typ.Value)
		}
		return fmt.Sprintf("the body must be a JSON object, not %s", typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the body is not valid JSON (it ends too early)"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") + ": it may not be sent here"
	default:
		var fe *FieldValueError
		if errors.As(err, &fe) {
			return fe.Error()
		}
		return "the body is not valid JSON"
	}
}

// FieldValueError is returned by custom UnmarshalJSON methods.
type FieldValueError struct{ Msg string }

func (e *FieldValueError) Error() string { return e.Msg }

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return "an object"
	}
}

// CleanText reports whether s can be stored as text: valid UTF-8 without
// NUL characters (PostgreSQL refuses both).
func CleanText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
