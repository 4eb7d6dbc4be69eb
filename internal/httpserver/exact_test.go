package httpserver_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"shop/internal/apperr"
	"shop/internal/httpserver"
)

type line struct {
	ProductID int `json:"product_id"`
	Quantity  int `json:"quantity"`
}

type exactBody struct {
	Name     string                        `json:"name"`
	ParentID httpserver.Optional[int]      `json:"parent_id"`
	Lines    []line                        `json:"lines"`
	Main     *line                         `json:"main"`
	Maybe    httpserver.Optional[line]     `json:"maybe"`
	Tags     httpserver.Optional[[]string] `json:"tags"`
}

func codeOf(err error) apperr.Code {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// TestDecodeJSON_ExactNames: encoding/json folds case; the shop does not.
func TestDecodeJSON_ExactNames(t *testing.T) {
	for _, tc := range []struct {
		body string
		want apperr.Code
	}{
		{`{"name":"a"}`, ""},
		{`{"name":"a","parent_id":null,"lines":[{"product_id":1,"quantity":2}],"main":{"quantity":1},"maybe":{"quantity":1},"tags":["x"]}`, ""},
		{`{"NAME":"a"}`, apperr.MalformedRequest},
		{`{"Name":"a"}`, apperr.MalformedRequest},
		{`{"Parent_ID":1}`, apperr.MalformedRequest},
		{`{"lines":[{"product_id":1,"QUANTITY":2}]}`, apperr.MalformedRequest},
		{`{"main":{"Quantity":1}}`, apperr.MalformedRequest},
		{`{"maybe":{"Quantity":1}}`, apperr.MalformedRequest},
		{`{"main":null,"maybe":null}`, ""},
		{`{"nope":1}`, apperr.MalformedRequest},
	} {
		var dst exactBody
		err := httpserver.DecodeJSON([]byte(tc.body), &dst)
		if got := codeOf(err); got != tc.want {
			t.Errorf("%s: code %q, want %q (%v)", tc.body, got, tc.want, err)
		}
	}
}

// TestPathID_Canonical: one resource, one URL.
func TestPathID_Canonical(t *testing.T) {
	e := echo.New()
	for raw, want := range map[string]int{
		"7": 7, "1234567": 1234567, "007": 0, "+7": 0, "-7": 0, "0": 0, "": 0, "7 ": 0, " 7": 0, "0x7": 0, "1e3": 0, "99999999999999999999": 0,
	} {
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
		c.SetParamNames("id")
		c.SetParamValues(raw)
		id, err := httpserver.PathID(c, "id")
		if want == 0 {
			if codeOf(err) != apperr.NotFound {
				t.Errorf("%q: id %d err %v, want not_found", raw, id, err)
			}
			continue
		}
		if err != nil || id != want {
			t.Errorf("%q: id %d err %v, want %d", raw, id, err, want)
		}
	}
}

// TestUniqueQuery: a parameter given twice has no one meaning.
func TestUniqueQuery(t *testing.T) {
	e := echo.New()
	ok := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	for q, want := range map[string]apperr.Code{
		"limit=5":                  "",
		"limit=5&cursor=x":         "",
		"limit=5&limit=500":        apperr.ValidationFailed,
		"limit=5&limit=5":          apperr.ValidationFailed,
		"sort=price&q=a&sort=name": apperr.ValidationFailed,
		"":                         "",
	} {
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/?"+q, nil), httptest.NewRecorder())
		err := httpserver.UniqueQuery(ok)(c)
		if got := codeOf(err); got != want {
			t.Errorf("%q: code %q, want %q", q, got, want)
		}
	}
}

// TestUniqueQuery_Encoding: a parameter that is not validly encoded is a 422
// naming it, not silently dropped (Echo's QueryParams skips it, so
// `cursor=%zz` used to serve page 1).
func TestUniqueQuery_Encoding(t *testing.T) {
	e := echo.New()
	ok := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	for q, want := range map[string][]string{
		"cursor=%zz":            {"cursor"},
		"limit=%zz":             {"limit"},
		"limit=5&cursor=ab%2":   {"cursor"},
		"%zz=1&limit=5":         {"%zz"},
		"q=%ZZ&sort=%":          {"q", "sort"},
		"limit=5;cursor=x":      {"limit"},
		"q=a%20b&cursor=a%2Bb":  nil,
		"q=100%25&limit=5":      nil,
		"cursor=%zz&cursor=%zz": {"cursor"},
	} {
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/?"+q, nil), httptest.NewRecorder())
		err := httpserver.UniqueQuery(ok)(c)
		if want == nil {
			if err != nil {
				t.Errorf("%q: %v, want it accepted", q, err)
			}
			continue
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.ValidationFailed {
			t.Errorf("%q: %v, want validation_failed", q, err)
			continue
		}
		var got []string
		for _, f := range ae.Fields {
			if len(got) == 0 || got[len(got)-1] != f.Field {
				got = append(got, f.Field)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%q: fields %v (%v), want %v", q, got, ae.Fields, want)
		}
	}
}
