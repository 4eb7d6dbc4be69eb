package page_test

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"shop/internal/page"
)

var (
	byPrice   = page.Sort{Name: "price", Column: "price_cents", Kind: "int"}
	byName    = page.Sort{Name: "-name", Column: "name", Desc: true, Kind: "string"}
	byCreated = page.Sort{Name: "created_at", Column: "created_at", Kind: "time"}
)

func raw(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestCursorRoundTrip: what Encode makes, Decode reads back unchanged for the
// same sort, and the cursor is opaque URL-safe text.
func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	ts := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	tests := []struct {
		name string
		sort page.Sort
		c    page.Cursor
	}{
		{"id only", page.NewestFirst, page.Cursor{Sort: "-id", ID: 7}},
		{"int value", byPrice, page.Cursor{Sort: "price", Value: "1999", ID: 3}},
		{"negative int", byPrice, page.Cursor{Sort: "price", Value: "-5", ID: 1}},
		{"string value", byName, page.Cursor{Sort: "-name", Value: "Émile & \"Zoë\" / ?", ID: 42}},
		{"empty string value", byName, page.Cursor{Sort: "-name", Value: "", ID: 42}},
		{"time value", byCreated, page.Cursor{Sort: "created_at", Value: page.FormatValue(ts), ID: 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			enc := tt.c.Encode()
			if strings.ContainsAny(enc, "+/=") {
				t.Errorf("Encode() = %q, want URL-safe base64 without padding", enc)
			}
			got, err := page.Decode(enc, tt.sort)
			if err != nil {
				t.Fatalf("Decode(Encode(%+v)) error = %v", tt.c, err)
			}
			if got == nil || *got != tt.c {
				t.Errorf("Decode(Encode(%+v)) = %+v", tt.c, got)
			}
		})
	}
}

// TestDecodeEmpty: no cursor is the first page, not an error.
func TestDecodeEmpty(t *testing.T) {
	t.Parallel()
	c, err := page.Decode("", byPrice)
	if c != nil || err != nil {
		t.Fatalf("Decode(\"\") = %v, %v; want nil, nil", c, err)
	}
}

// TestDecodeMalformed: anything a client may tamper with is ErrBadCursor,
// never a panic and never a cursor.
func TestDecodeMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		sort page.Sort
	}{
		{"not base64", "!!!not-base64!!!", byPrice},
		{"padded std base64", base64.StdEncoding.EncodeToString([]byte(`{"s":"price","v":"1","id":1}`)), byPrice},
		{"not json", raw("hello"), byPrice},
		{"json array", raw(`[1,2]`), byPrice},
		{"other sort", page.Cursor{Sort: "-price", Value: "1", ID: 1}.Encode(), byPrice},
		{"no sort", raw(`{"v":"1","id":1}`), byPrice},
		{"zero id", raw(`{"s":"price","v":"1","id":0}`), byPrice},
		{"negative id", raw(`{"s":"price","v":"1","id":-3}`), byPrice},
		{"missing id", raw(`{"s":"price","v":"1"}`), byPrice},
		{"id is a string", raw(`{"s":"price","v":"1","id":"1"}`), byPrice},
		{"int sort, text value", page.Cursor{Sort: "price", Value: "abc", ID: 1}.Encode(), byPrice},
		{"int sort, overflow", page.Cursor{Sort: "price", Value: "99999999999999999999", ID: 1}.Encode(), byPrice},
		{"time sort, bad time", page.Cursor{Sort: "created_at", Value: "yesterday", ID: 1}.Encode(), byCreated},
		{"NUL in value", page.Cursor{Sort: "-name", Value: "a\x00b", ID: 1}.Encode(), byName},
		{"too long", page.Cursor{Sort: "-name", Value: strings.Repeat("x", 600), ID: 1}.Encode(), byName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := page.Decode(tt.raw, tt.sort)
			if !errors.Is(err, page.ErrBadCursor) || c != nil {
				t.Errorf("Decode(%q) = %+v, %v; want nil, ErrBadCursor", tt.raw, c, err)
			}
		})
	}
}

func TestFormatValue(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("X", 2*3600)
	tests := []struct {
		in   any
		want string
	}{
		{int64(1999), "1999"},
		{int64(-1), "-1"},
		{42, "42"},
		{"Émile", "Émile"},
		{time.Date(2026, 1, 2, 5, 4, 5, 600, loc), "2026-01-02T03:04:05.0000006Z"},
		{3.5, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := page.FormatValue(tt.in); got != tt.want {
			t.Errorf("FormatValue(%#v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// query renders the predicate and order of s after c as PostgreSQL SQL.
func query(s page.Sort, c *page.Cursor) (string, []any) {
	sel := sql.Dialect(dialect.Postgres).Select("*").From(sql.Table("t"))
	s.After(c)(sel)
	s.Order()(sel)
	return sel.Query()
}

// TestAfterAndOrder pins the keyset shapes: a row comparison (column, id)
// against (value, id) in the sort's direction, which an index on (column,
// id) serves as one range, and ORDER BY column then id.
func TestAfterAndOrder(t *testing.T) {
	t.Parallel()
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name     string
		sort     page.Sort
		cursor   *page.Cursor
		wantSQL  string
		wantArgs []any
	}{
		{
			name:    "first page, ascending",
			sort:    byPrice,
			wantSQL: `SELECT * FROM "t" ORDER BY "t"."price_cents" ASC, "t"."id" ASC`,
		},
		{
			name:     "int, ascending",
			sort:     byPrice,
			cursor:   &page.Cursor{Sort: "price", Value: "1999", ID: 3},
			wantSQL:  `SELECT * FROM "t" WHERE ("t"."price_cents", "t"."id") > ($1, $2) ORDER BY "t"."price_cents" ASC, "t"."id" ASC`,
			wantArgs: []any{int64(1999), 3},
		},
		{
			name:     "string, descending",
			sort:     byName,
			cursor:   &page.Cursor{Sort: "-name", Value: "mug", ID: 8},
			wantSQL:  `SELECT * FROM "t" WHERE ("t"."name", "t"."id") < ($1, $2) ORDER BY "t"."name" DESC, "t"."id" DESC`,
			wantArgs: []any{"mug", 8},
		},
		{
			name:     "time, ascending",
			sort:     byCreated,
			cursor:   &page.Cursor{Sort: "created_at", Value: page.FormatValue(ts), ID: 2},
			wantSQL:  `SELECT * FROM "t" WHERE ("t"."created_at", "t"."id") > ($1, $2) ORDER BY "t"."created_at" ASC, "t"."id" ASC`,
			wantArgs: []any{ts, 2},
		},
		{
			name:    "newest first, first page",
			sort:    page.NewestFirst,
			wantSQL: `SELECT * FROM "t" ORDER BY "t"."id" DESC`,
		},
		{
			name:     "newest first, after id",
			sort:     page.NewestFirst,
			cursor:   &page.Cursor{Sort: "-id", ID: 50},
			wantSQL:  `SELECT * FROM "t" WHERE "t"."id" < $1 ORDER BY "t"."id" DESC`,
			wantArgs: []any{50},
		},
		{
			name:     "no column is id ascending",
			sort:     page.Sort{Name: "id"},
			cursor:   &page.Cursor{Sort: "id", ID: 5},
			wantSQL:  `SELECT * FROM "t" WHERE "t"."id" > $1 ORDER BY "t"."id" ASC`,
			wantArgs: []any{5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gotSQL, gotArgs := query(tt.sort, tt.cursor)
			if gotSQL != tt.wantSQL {
				t.Errorf("SQL =\n  %s\nwant\n  %s", gotSQL, tt.wantSQL)
			}
			if len(gotArgs) != 0 || len(tt.wantArgs) != 0 {
				if !reflect.DeepEqual(gotArgs, tt.wantArgs) {
					t.Errorf("args = %#v, want %#v", gotArgs, tt.wantArgs)
				}
			}
		})
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	good := page.Cursor{Sort: "price", Value: "10", ID: 4}
	tests := []struct {
		name       string
		limit      string
		cursor     string
		wantLimit  int
		wantCursor *page.Cursor
		wantFields []string
	}{
		{name: "defaults", wantLimit: page.DefaultLimit},
		{name: "limit 1", limit: "1", wantLimit: 1},
		{name: "limit max", limit: "100", wantLimit: page.MaxLimit},
		{name: "limit 0", limit: "0", wantLimit: page.DefaultLimit, wantFields: []string{"limit"}},
		{name: "limit 101", limit: "101", wantLimit: page.DefaultLimit, wantFields: []string{"limit"}},
		{name: "limit negative", limit: "-1", wantLimit: page.DefaultLimit, wantFields: []string{"limit"}},
		{name: "limit text", limit: "ten", wantLimit: page.DefaultLimit, wantFields: []string{"limit"}},
		{name: "limit float", limit: "2.5", wantLimit: page.DefaultLimit, wantFields: []string{"limit"}},
		{name: "good cursor", limit: "5", cursor: good.Encode(), wantLimit: 5, wantCursor: &good},
		{name: "bad cursor", cursor: "zzz", wantLimit: page.DefaultLimit, wantFields: []string{"cursor"}},
		{name: "both bad", limit: "1000", cursor: "zzz", wantLimit: page.DefaultLimit, wantFields: []string{"limit", "cursor"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, errs := page.Parse(tt.limit, tt.cursor, byPrice)
			var fields []string
			for _, e := range errs {
				if e.Message == "" {
					t.Errorf("field %q has no message", e.Field)
				}
				fields = append(fields, e.Field)
			}
			if !reflect.DeepEqual(fields, tt.wantFields) {
				t.Errorf("error fields = %v, want %v", fields, tt.wantFields)
			}
			if p.Limit != tt.wantLimit {
				t.Errorf("Limit = %d, want %d", p.Limit, tt.wantLimit)
			}
			if !reflect.DeepEqual(p.Cursor, tt.wantCursor) {
				t.Errorf("Cursor = %+v, want %+v", p.Cursor, tt.wantCursor)
			}
		})
	}
}

type row struct {
	id    int
	price int64
}

// TestBuild: the extra row fetched only says there is a next page; the
// cursor points at the last row shown.
func TestBuild(t *testing.T) {
	t.Parallel()
	rows := func(n int) []row {
		var r []row
		for i := 1; i <= n; i++ {
			r = append(r, row{id: i, price: int64(i * 100)})
		}
		return r
	}
	cursorOf := func(r row) page.Cursor {
		return page.Cursor{Sort: byPrice.Name, Value: page.FormatValue(r.price), ID: r.id}
	}
	tests := []struct {
		name      string
		rows      []row
		limit     int
		wantIDs   []int
		wantAfter *page.Cursor
	}{
		{"empty", nil, 3, []int{}, nil},
		{"fewer than limit", rows(2), 3, []int{1, 2}, nil},
		{"exactly limit", rows(3), 3, []int{1, 2, 3}, nil},
		{"one more than limit", rows(4), 3, []int{1, 2, 3}, &page.Cursor{Sort: "price", Value: "300", ID: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := page.Build(tt.rows, tt.limit, func(r row) int { return r.id }, cursorOf)
			if l.Items == nil || !reflect.DeepEqual(l.Items, tt.wantIDs) {
				t.Errorf("Items = %#v, want %#v (never nil: JSON [] not null)", l.Items, tt.wantIDs)
			}
			switch {
			case tt.wantAfter == nil && l.NextCursor != nil:
				t.Errorf("NextCursor = %q, want none", *l.NextCursor)
			case tt.wantAfter != nil && l.NextCursor == nil:
				t.Errorf("NextCursor = nil, want %+v", *tt.wantAfter)
			case tt.wantAfter != nil:
				c, err := page.Decode(*l.NextCursor, byPrice)
				if err != nil || *c != *tt.wantAfter {
					t.Errorf("NextCursor decodes to %+v, %v; want %+v", c, err, *tt.wantAfter)
				}
			}
		})
	}
}

func TestByID(t *testing.T) {
	t.Parallel()
	c := page.ByID(func(r row) int { return r.id })(row{id: 12})
	if c != (page.Cursor{Sort: "-id", ID: 12}) {
		t.Fatalf("ByID = %+v", c)
	}
	if _, err := page.Decode(c.Encode(), page.NewestFirst); err != nil {
		t.Fatalf("ByID cursor does not decode for NewestFirst: %v", err)
	}
}
