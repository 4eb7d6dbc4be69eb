package e2e

import (
	"fmt"
	"net/url"
	"sort"
	"testing"

	"shop/internal/testdb"
	"shop/modules/catalog"
)

// walk follows next_cursor to the end and returns every product seen, in
// order. between runs after each page.
func (s *shop) walk(t *testing.T, query string, limit int, between func(page int)) []catalog.ProductJSON {
	t.Helper()
	var all []catalog.ProductJSON
	cursor := ""
	for page := 0; ; page++ {
		q := fmt.Sprintf("/api/v1/products?%slimit=%d", query, limit)
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		var l struct {
			Items      []catalog.ProductJSON
			NextCursor *string `json:"next_cursor"`
		}
		s.do(t, req{method: "GET", path: q}).wantStatus(200).JSON(&l)
		if len(l.Items) > limit {
			t.Fatalf("page of %d > limit %d", len(l.Items), limit)
		}
		all = append(all, l.Items...)
		if between != nil {
			between(page)
		}
		if l.NextCursor == nil {
			return all
		}
		cursor = *l.NextCursor
		if page > 1000 {
			t.Fatal("walk does not end")
		}
	}
}

func TestProducts_PaginationWalk(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		cat := s.category(t, admin, "tools", nil)
		const n = 37
		want := map[int]catalog.ProductJSON{}
		for i := range n {
			// Few distinct prices and names: most rows tie on the sort value.
			p := s.product(t, admin, cat, fmt.Sprintf("Item %d", i%4), int64(100*(1+i%3)), i%2)
			want[p.ID] = catalog.ProductJSON{ID: p.ID, Price: p.Price, Name: fmt.Sprintf("Item %d", i%4)}
		}
		less := map[string]func(a, b catalog.ProductJSON) bool{
			"price":  func(a, b catalog.ProductJSON) bool { return a.Price < b.Price || a.Price == b.Price && a.ID < b.ID },
			"-price": func(a, b catalog.ProductJSON) bool { return a.Price > b.Price || a.Price == b.Price && a.ID > b.ID },
			"name":   func(a, b catalog.ProductJSON) bool { return a.Name < b.Name || a.Name == b.Name && a.ID < b.ID },
			"created_at": func(a, b catalog.ProductJSON) bool {
				return !a.CreatedAt.After(b.CreatedAt) && (a.CreatedAt.Before(b.CreatedAt) || a.ID < b.ID)
			},
			"-created_at": func(a, b catalog.ProductJSON) bool {
				return !a.CreatedAt.Before(b.CreatedAt) && (a.CreatedAt.After(b.CreatedAt) || a.ID > b.ID)
			},
		}
		for sortName, lessFn := range less {
			for _, limit := range []int{1, 5, 7, 100} {
				got := s.walk(t, "sort="+sortName+"&", limit, nil)
				checkWalk(t, sortName, limit, got, want)
				if !sort.SliceIsSorted(got, func(i, j int) bool { return lessFn(got[i], got[j]) }) {
					t.Errorf("sort=%s limit=%d: not in order", sortName, limit)
				}
			}
		}

		t.Run("ConcurrentInserts", func(t *testing.T) {
			insertedIDs := map[int]bool{} // over every walk below
			for _, sortName := range []string{"-created_at", "created_at", "price", "name"} {
				inserted := 0
				got := s.walk(t, "sort="+sortName+"&", 6, func(page int) {
					// New rows land before and after the cursor.
					insertedIDs[s.product(t, admin, cat, "Item 0", 100, 1).ID] = true
					insertedIDs[s.product(t, admin, cat, "Item 9", 999, 1).ID] = true
					inserted += 2
				})
				// At least one insert per page of the original rows: the
				// walk really ran while rows were being added.
				if minPages := (len(want) + 5) / 6; inserted < 2*minPages {
					t.Fatalf("sort=%s: %d rows inserted during the walk, want at least %d (one pair per page)", sortName, inserted, 2*minPages)
				}
				seen := map[int]int{}
				for _, p := range got {
					seen[p.ID]++
					if seen[p.ID] > 1 {
						t.Fatalf("sort=%s: product %d seen twice", sortName, p.ID)
					}
					if _, ok := want[p.ID]; !ok && !insertedIDs[p.ID] {
						t.Fatalf("sort=%s: product %d is neither an original nor an inserted row", sortName, p.ID)
					}
				}
				for id := range want {
					if seen[id] != 1 {
						t.Fatalf("sort=%s: product %d missed while rows were inserted", sortName, id)
					}
				}
			}
			// Every insert made its own row, and nothing else was written.
			if n := s.ent.Product.Query().CountX(t.Context()); n != len(want)+len(insertedIDs) {
				t.Fatalf("%d products in the database, want %d originals + %d inserted", n, len(want), len(insertedIDs))
			}
		})
	})
}

func checkWalk(t *testing.T, sortName string, limit int, got []catalog.ProductJSON, want map[int]catalog.ProductJSON) {
	t.Helper()
	seen := map[int]bool{}
	for _, p := range got {
		if seen[p.ID] {
			t.Fatalf("sort=%s limit=%d: product %d repeated", sortName, limit, p.ID)
		}
		seen[p.ID] = true
	}
	if len(seen) != len(want) {
		t.Fatalf("sort=%s limit=%d: walked %d products, want %d", sortName, limit, len(seen), len(want))
	}
	for id := range want {
		if !seen[id] {
			t.Fatalf("sort=%s limit=%d: product %d missed", sortName, limit, id)
		}
	}
}
