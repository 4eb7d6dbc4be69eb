package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"shop/docs"
	"shop/ent/auditlog"
	"shop/internal/testdb"
	"shop/schema"
)

// auditRows is the category's (or product's) audit log, newest first, as
// the API returns it.
func (s *shop) auditRows(t *testing.T, a user, entity string, id int) []map[string]any {
	t.Helper()
	var l struct{ Items []map[string]any }
	s.do(t, req{method: "GET", path: path("/api/v1/admin/audit-log?entity=%s&entity_id=%d&limit=100", entity, id), token: a.Token}).wantStatus(200).JSON(&l)
	return l.Items
}

// TestAuditLog_ClearedParent: clearing a category's parent (REST null,
// GraphQL clearParent) logs the parent it had as the old value.
func TestAuditLog_ClearedParent(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		root := s.category(t, a, "root", nil)
		child := s.category(t, a, "child", &root)
		check := func(how string) {
			t.Helper()
			rows := s.auditRows(t, a, "category", child)
			ch, _ := rows[0]["changes"].(map[string]any)
			pc, _ := ch["parent_id"].(map[string]any)
			if rows[0]["action"] != "update" || pc == nil || pc["old"] != float64(root) || pc["new"] != nil || len(ch) != 1 {
				t.Fatalf("%s: newest category audit = %+v; want parent_id %d → null only", how, rows[0], root)
			}
		}
		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/categories/%d", child), token: a.Token, body: map[string]any{"parent_id": nil}}).wantStatus(200)
		check("REST parent_id null")

		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/categories/%d", child), token: a.Token, body: map[string]any{"parent_id": root}}).wantStatus(200)
		s.gql(t, a.Token, `mutation($id: ID!) { updateCategory(id: $id, input: {clearParent: true}) { id } }`, map[string]any{"id": fmt.Sprint(child)}).ok(t, "updateCategory", new(any))
		check("GraphQL clearParent")
	})
}

// TestAuditLog_NoChange: a PATCH that changes nothing writes no audit row,
// and a PATCH that changes some fields logs only those.
func TestAuditLog_NoChange(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		cat := s.category(t, a, "tools", nil)
		p := s.product(t, a, cat, "Hammer", 2500, 5)
		count := func(entity string, id int) int {
			return s.ent.AuditLog.Query().Where(auditlog.Entity(entity), auditlog.EntityID(id)).CountX(context.Background())
		}
		catRows, prodRows := count("category", cat), count("product", p.ID)

		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/categories/%d", cat), token: a.Token, body: map[string]any{"parent_id": nil}}).wantStatus(200)
		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/categories/%d", cat), token: a.Token, body: map[string]any{"slug": "tools"}}).wantStatus(200)
		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", p.ID), token: a.Token, body: map[string]any{"name": "Hammer", "price": 2500}}).wantStatus(200)
		s.gql(t, a.Token, `mutation($id: ID!) { updateProduct(id: $id, input: {name: "Hammer"}) { id } }`, map[string]any{"id": fmt.Sprint(p.ID)}).ok(t, "updateProduct", new(any))
		if n := count("category", cat); n != catRows {
			t.Fatalf("category audit rows after no-op PATCHes = %d, want %d", n, catRows)
		}
		if n := count("product", p.ID); n != prodRows {
			t.Fatalf("product audit rows after no-op PATCHes = %d, want %d", n, prodRows)
		}

		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", p.ID), token: a.Token, body: map[string]any{"name": "Hammer", "price": 2600}}).wantStatus(200)
		rows := s.auditRows(t, a, "product", p.ID)
		ch, _ := rows[0]["changes"].(map[string]any)
		if len(rows) != prodRows+1 || len(ch) != 1 || ch["price"] == nil {
			t.Fatalf("product audit after a price change = %+v; want one more row with only price", rows)
		}
	})
}

// TestAuditLog_UnknownEntity: the entity filter is a closed set (what the
// audit hooks write); an unknown one is 422, a known one with no rows 200.
func TestAuditLog_UnknownEntity(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		s.do(t, req{method: "GET", path: "/api/v1/admin/audit-log?entity=bogus", token: a.Token, invalid: true}).wantProblem(422, "validation_failed")
		// Each entity the hooks write (schema.AuditEntities) is accepted,
		// by the server and by docs/openapi.yaml's enum, which lists
		// exactly those (the harness checks requests against it).
		entities := schema.AuditEntities()
		doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
		if err != nil {
			t.Fatal(err)
		}
		var documented []string
		for _, v := range doc.Components.Schemas["AuditEntity"].Value.Enum {
			documented = append(documented, v.(string))
		}
		slices.Sort(entities)
		slices.Sort(documented)
		if !slices.Equal(entities, documented) || len(entities) < 5 {
			t.Fatalf("audited entities %v, openapi.yaml's AuditEntity %v: want the same, at least product, category, order, api_key, webhook", entities, documented)
		}
		for _, e := range entities {
			s.do(t, req{method: "GET", path: "/api/v1/admin/audit-log?entity=" + e, token: a.Token}).wantStatus(200)
		}
	})
}
