package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"shop/ent/auditlog"
	"shop/ent/category"
	"shop/ent/inventorymovement"
	"shop/internal/testdb"
	"shop/modules/admin"
	"shop/modules/ordering"
)

type gqlResponse struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// gql posts a GraphQL operation; it fails the test on transport errors only.
func (s *shop) gql(t testing.TB, token, query string, vars map[string]any) gqlResponse {
	t.Helper()
	r := s.do(t, req{method: "POST", path: "/admin/graphql", token: token, body: map[string]any{"query": query, "variables": vars}})
	var out gqlResponse
	if r.Status != http.StatusOK && r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("graphql: %d %s", r.Status, r.Body)
	}
	r.JSON(&out)
	return out
}

// ok fails unless the response has no errors, and decodes data[field].
func (g gqlResponse) ok(t testing.TB, field string, v any) {
	t.Helper()
	if len(g.Errors) > 0 {
		t.Fatalf("graphql errors: %+v", g.Errors)
	}
	if err := json.Unmarshal(g.Data[field], v); err != nil {
		t.Fatalf("decode %s: %v (%s)", field, err, g.Data[field])
	}
}

// code returns the first error's extensions.code.
func (g gqlResponse) code(t testing.TB) (string, map[string]any) {
	t.Helper()
	if len(g.Errors) == 0 {
		t.Fatalf("want a graphql error, got data %s", g.Data)
	}
	c, _ := g.Errors[0].Extensions["code"].(string)
	return c, g.Errors[0].Extensions
}

func TestGraphQL_Authz(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		customer := s.register(t, "Cust")
		a := s.admin(t)
		body := map[string]any{"query": "{ users { totalCount } }"}
		s.do(t, req{method: "POST", path: "/admin/graphql", body: body}).wantProblem(401, "unauthorized")
		s.do(t, req{method: "POST", path: "/admin/graphql", token: "forged", body: body}).wantProblem(401, "unauthorized")
		s.do(t, req{method: "POST", path: "/admin/graphql", token: customer.Token, body: body}).wantProblem(403, "forbidden")
		var users struct{ TotalCount int }
		s.gql(t, a.Token, "{ users { totalCount } }", nil).ok(t, "users", &users)
		if users.TotalCount != 2 {
			t.Fatalf("users = %d", users.TotalCount)
		}
		// Password hashes are not in the schema at all.
		g := s.gql(t, a.Token, "{ users { edges { node { passwordHash } } } }", nil)
		if len(g.Errors) == 0 {
			t.Fatal("passwordHash is queryable")
		}
		r := s.do(t, req{method: "GET", path: "/admin/graphiql"}).wantStatus(200)
		if !strings.Contains(string(r.Body), "/admin/graphql") || !strings.Contains(r.Header.Get("Content-Type"), "text/html") {
			t.Fatal("graphiql page does not point at the endpoint")
		}
	})
}

func TestGraphQL_Connections(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		tools := s.category(t, a, "tools", nil)
		garden := s.category(t, a, "garden", nil)
		for i := range 7 {
			s.product(t, a, tools, fmt.Sprintf("Tool %d", i), int64(1000+i*100), i+1)
		}
		s.product(t, a, garden, "Hose", 500, 3)
		u := s.register(t, "Buyer")
		s.addToCart(t, u, s.ent.Product.Query().FirstIDX(t.Context()), 1)
		s.checkout(t, u, nil, nil).wantStatus(201)

		type conn struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   *string
			}
			Edges []struct {
				Node map[string]any
			}
		}
		var c conn
		q := `query($after: Cursor) { products(first: 3, after: $after, orderBy: {field: PRICE, direction: DESC}, where: {hasCategoryWith: {slug: "tools"}}) {
			totalCount pageInfo { hasNextPage endCursor } edges { node { id name price stock category { slug } } } } }`
		var prices []float64
		var after any
		for {
			s.gql(t, a.Token, q, map[string]any{"after": after}).ok(t, "products", &c)
			for _, e := range c.Edges {
				prices = append(prices, e.Node["price"].(float64))
			}
			if !c.PageInfo.HasNextPage {
				break
			}
			after = *c.PageInfo.EndCursor
		}
		if c.TotalCount != 7 || len(prices) != 7 || prices[0] != 1600 || prices[6] != 1000 {
			t.Fatalf("walked prices %v of %d", prices, c.TotalCount)
		}
		s.gql(t, a.Token, `{ products(where: {nameContainsFold: "hose", priceLT: 600}) { totalCount } }`, nil).ok(t, "products", &c)
		if c.TotalCount != 1 {
			t.Fatalf("filter = %d", c.TotalCount)
		}
		s.gql(t, a.Token, `{ orders(first: 5, where: {statusIn: [PENDING]}) { totalCount edges { node { totalAmount status user { email } items(first: 10) { edges { node { productName quantity unitPrice } } } } } } }`, nil).ok(t, "orders", &c)
		if c.TotalCount != 1 || c.Edges[0].Node["user"].(map[string]any)["email"] != u.Email || len(c.Edges[0].Node["items"].(map[string]any)["edges"].([]any)) != 1 {
			t.Fatalf("orders = %+v", c)
		}
		s.gql(t, a.Token, `{ inventoryMovements(first: 100, where: {reason: SALE}) { totalCount edges { node { quantityChange } } } }`, nil).ok(t, "inventoryMovements", &c)
		if c.TotalCount != 1 || c.Edges[0].Node["quantityChange"] != float64(-1) {
			t.Fatalf("movements = %+v", c)
		}
		s.gql(t, a.Token, `{ categories(orderBy: {field: SLUG, direction: ASC}) { edges { node { slug } } } }`, nil).ok(t, "categories", &c)
		if len(c.Edges) != 2 || c.Edges[0].Node["slug"] != "garden" {
			t.Fatalf("categories = %+v", c)
		}
		s.gql(t, a.Token, `{ auditLogs(last: 2, orderBy: {field: CREATED_AT, direction: ASC}) { totalCount edges { node { entity action } } } }`, nil).ok(t, "auditLogs", &c)
		if c.TotalCount < 10 || len(c.Edges) != 2 {
			t.Fatalf("auditLogs = %+v", c)
		}
		s.gql(t, a.Token, `{ users(where: {role: ADMIN}) { totalCount } }`, nil).ok(t, "users", &c)
		if c.TotalCount != 1 {
			t.Fatalf("admins = %d", c.TotalCount)
		}

		t.Run("ErrPageTooLarge", func(t *testing.T) {
			code, _ := s.gql(t, a.Token, `{ products(first: 101) { totalCount } }`, nil).code(t)
			if code != "validation_failed" {
				t.Fatalf("first: 101 gave %s", code)
			}
		})
		t.Run("ErrTooDeep", func(t *testing.T) {
			g := s.gql(t, a.Token, `{ categories { edges { node { products { category { products { category { products { id } } } } } } } } }`, nil)
			if len(g.Errors) == 0 || !strings.Contains(g.Errors[0].Message, fmt.Sprintf("limit is %d", admin.MaxDepth)) {
				t.Fatalf("deep query: %+v", g.Errors)
			}
		})
		t.Run("ErrTooComplex", func(t *testing.T) {
			g := s.gql(t, a.Token, `{ products(first: 100) { edges { node { inventoryMovements(first: 100) { edges { node { id quantityChange reason createdAt } } } } } } }`, nil)
			if len(g.Errors) == 0 || !strings.Contains(g.Errors[0].Message, "complexity") {
				t.Fatalf("wide query: %+v", g.Errors)
			}
		})
	})
}

func TestGraphQL_Mutations(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		var cat struct{ ID string }
		s.gql(t, a.Token, `mutation { createCategory(input: {name: "Tools", slug: "tools"}) { id } }`, nil).ok(t, "createCategory", &cat)
		if n := s.ent.Category.Query().Where(category.Slug("tools")).CountX(t.Context()); n != 1 {
			t.Fatalf("%d stored categories after createCategory", n)
		}
		var p struct {
			ID    string
			Stock int
			Price int
		}
		s.gql(t, a.Token, `mutation($c: ID!) { createProduct(input: {categoryID: $c, name: "Saw", price: 2500, initialStock: 4}) { id stock price } }`,
			map[string]any{"c": cat.ID}).ok(t, "createProduct", &p)
		var pid int
		fmt.Sscan(p.ID, &pid)
		if p.Stock != 4 || s.ent.InventoryMovement.Query().Where(inventorymovement.ProductID(pid), inventorymovement.ReasonEQ(inventorymovement.ReasonInitial)).CountX(t.Context()) != 1 {
			t.Fatalf("created product %+v without its initial movement", p)
		}

		t.Run("NoWayToSetStock", func(t *testing.T) {
			for _, q := range []string{
				`mutation($id: ID!) { updateProduct(id: $id, input: {stock: 1000}) { id } }`,
				`mutation($id: ID!) { updateProduct(id: $id, input: {price: 1, stock: 5}) { id } }`,
			} {
				if g := s.gql(t, a.Token, q, map[string]any{"id": p.ID}); len(g.Errors) == 0 {
					t.Fatalf("stock set through %s", q)
				}
			}
			if s.stock(t, pid) != 4 {
				t.Fatal("stock changed")
			}
			code, _ := s.gql(t, a.Token, `mutation($id: ID!) { createProduct(input: {categoryID: $id, name: "", price: 0, initialStock: 1}) { id } }`, map[string]any{"id": cat.ID}).code(t)
			if code != "validation_failed" {
				t.Fatalf("invalid product: %s", code)
			}
		})
		t.Run("AdjustStock", func(t *testing.T) {
			var out struct{ Stock int }
			s.gql(t, a.Token, `mutation($id: ID!) { adjustStock(productID: $id, quantityChange: 6, reason: RESTOCK) { stock } }`, map[string]any{"id": p.ID}).ok(t, "adjustStock", &out)
			if out.Stock != 10 {
				t.Fatalf("stock = %d", out.Stock)
			}
			code, ext := s.gql(t, a.Token, `mutation($id: ID!) { adjustStock(productID: $id, quantityChange: -11, reason: DAMAGE) { stock } }`, map[string]any{"id": p.ID}).code(t)
			if code != "insufficient_stock" || ext["items"] == nil {
				t.Fatalf("over-adjust: %s %v", code, ext)
			}
			s.checkLedger(t)
		})
		t.Run("OrderStatus", func(t *testing.T) {
			u := s.register(t, "Buyer")
			s.addToCart(t, u, pid, 3)
			var o ordering.OrderJSON
			s.checkout(t, u, nil, nil).wantStatus(201).JSON(&o)
			code, ext := s.gql(t, a.Token, `mutation($id: ID!) { setOrderStatus(id: $id, status: DELIVERED) { status } }`, map[string]any{"id": o.ID}).code(t)
			if code != "invalid_status_transition" || ext["from"] != "pending" || ext["to"] != "delivered" {
				t.Fatalf("invalid transition: %s %v", code, ext)
			}
			before := s.stock(t, pid)
			var out struct{ Status string }
			s.gql(t, a.Token, `mutation($id: ID!) { setOrderStatus(id: $id, status: CANCELLED) { status } }`, map[string]any{"id": o.ID}).ok(t, "setOrderStatus", &out)
			if out.Status != "CANCELLED" || s.stock(t, pid) != before+3 {
				t.Fatalf("cancel through GraphQL: %s, stock %d → %d", out.Status, before, s.stock(t, pid))
			}
			if n := s.ent.InventoryMovement.Query().Where(inventorymovement.OrderID(o.ID), inventorymovement.ReasonEQ(inventorymovement.ReasonCancellation)).CountX(t.Context()); n != 1 {
				t.Fatalf("%d cancellation movements", n)
			}
			s.checkInvariants(t)
		})
		t.Run("DeleteProduct", func(t *testing.T) {
			var ok bool
			s.gql(t, a.Token, `mutation($id: ID!) { deleteProduct(id: $id) }`, map[string]any{"id": p.ID}).ok(t, "deleteProduct", &ok)
			s.do(t, req{method: "GET", path: path("/api/v1/products/%d", pid)}).wantProblem(404, "not_found")
			code, _ := s.gql(t, a.Token, `mutation($id: ID!) { deleteProduct(id: $id) }`, map[string]any{"id": p.ID}).code(t)
			if code != "not_found" {
				t.Fatalf("second delete: %s", code)
			}
		})
		t.Run("Categories", func(t *testing.T) {
			var child struct{ ID string }
			s.gql(t, a.Token, `mutation($p: ID!) { createCategory(input: {name: "Saws", slug: "saws", parentID: $p}) { id } }`, map[string]any{"p": cat.ID}).ok(t, "createCategory", &child)
			code, _ := s.gql(t, a.Token, `mutation($id: ID!, $p: ID!) { updateCategory(id: $id, input: {parentID: $p}) { id } }`, map[string]any{"id": cat.ID, "p": child.ID}).code(t)
			if code != "validation_failed" {
				t.Fatalf("cycle: %s", code)
			}
			code, _ = s.gql(t, a.Token, `mutation { createCategory(input: {name: "X", slug: "Not A Slug"}) { id } }`, nil).code(t)
			if code != "validation_failed" {
				t.Fatalf("bad slug: %s", code)
			}
		})
	})
}

// TestAuditLog: every audited action leaves a row with actor and changes,
// from REST and GraphQL; a rolled-back change leaves none.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		cat := s.category(t, a, "tools", nil)
		p := s.product(t, a, cat, "Hammer", 2500, 5)
		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", p.ID), token: a.Token, body: map[string]any{"price": 2600},
			header: map[string]string{"X-Request-Id": "req-patch-1"}}).wantStatus(200)
		s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/stock-adjustments", p.ID), token: a.Token, body: map[string]any{"quantity_change": 3, "reason": "restock"}}).wantStatus(200)
		// Refused (rolled back): no audit row.
		s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/stock-adjustments", p.ID), token: a.Token, body: map[string]any{"quantity_change": -100, "reason": "damage"}}).wantProblem(409, "insufficient_stock")
		s.gql(t, a.Token, `mutation($id: ID!) { updateProduct(id: $id, input: {name: "Claw Hammer"}) { id } }`, map[string]any{"id": fmt.Sprint(p.ID)}).ok(t, "updateProduct", new(any))
		u := s.register(t, "Buyer")
		s.addToCart(t, u, p.ID, 1)
		var o ordering.OrderJSON
		s.checkout(t, u, nil, nil).wantStatus(201).JSON(&o)
		s.do(t, req{method: "POST", path: path("/api/v1/admin/orders/%d/status", o.ID), token: a.Token, body: map[string]string{"status": "processing"}}).wantStatus(200)
		s.do(t, req{method: "POST", path: path("/api/v1/admin/orders/%d/status", o.ID), token: a.Token, body: map[string]string{"status": "delivered"}}).wantProblem(409, "invalid_status_transition")
		s.do(t, req{method: "DELETE", path: path("/api/v1/admin/products/%d", p.ID), token: a.Token}).wantStatus(204)
		// Cancelling restocks the deleted product: audited too.
		s.do(t, req{method: "POST", path: path("/api/v1/admin/orders/%d/status", o.ID), token: a.Token, body: map[string]string{"status": "cancelled"}}).wantStatus(200)

		type entry struct {
			ID        int
			ActorID   *int `json:"actor_id"`
			Action    string
			Entity    string
			EntityID  int `json:"entity_id"`
			Changes   map[string]map[string]any
			RequestID string `json:"request_id"`
			IP        string
		}
		var l struct {
			Items      []entry
			NextCursor *string `json:"next_cursor"`
		}
		s.do(t, req{method: "GET", path: path("/api/v1/admin/audit-log?entity=product&entity_id=%d&limit=100", p.ID), token: a.Token}).wantStatus(200).JSON(&l)
		var summary []string
		for _, e := range l.Items {
			keys := []string{}
			for k := range e.Changes {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			summary = append(summary, e.Action+":"+strings.Join(keys, ","))
			if e.ActorID == nil || *e.ActorID != a.ID || e.IP == "" || e.RequestID == "" {
				t.Errorf("entry %+v: want the admin as actor, a request id and an ip", e)
			}
		}
		want := []string{"update:stock", "delete:deleted_at", "update:name", "update:stock", "update:price", "create:category_id,created_at,description,is_active,name,price,stock"}
		if strings.Join(summary, " ") != strings.Join(want, " ") {
			t.Fatalf("product audit = %v\nwant %v", summary, want)
		}
		price := l.Items[4]
		if price.Changes["price"]["old"] != float64(2500) || price.Changes["price"]["new"] != float64(2600) || price.RequestID != "req-patch-1" {
			t.Fatalf("price change entry = %+v", price)
		}
		stock := l.Items[3]
		if stock.Changes["stock"]["old"] != float64(5) || stock.Changes["stock"]["new"] != float64(8) {
			t.Fatalf("stock change entry = %+v", stock)
		}
		restock := l.Items[0]
		if restock.Changes["stock"]["old"] != float64(7) || restock.Changes["stock"]["new"] != float64(8) {
			t.Fatalf("restock entry = %+v", restock)
		}

		s.do(t, req{method: "GET", path: path("/api/v1/admin/audit-log?entity=order&entity_id=%d", o.ID), token: a.Token}).wantStatus(200).JSON(&l)
		if len(l.Items) != 2 || l.Items[1].Changes["status"]["old"] != "pending" || l.Items[1].Changes["status"]["new"] != "processing" ||
			l.Items[0].Changes["status"]["new"] != "cancelled" {
			t.Fatalf("order audit = %+v", l.Items)
		}
		s.do(t, req{method: "GET", path: path("/api/v1/admin/audit-log?actor_id=%d&limit=2", a.ID), token: a.Token}).wantStatus(200).JSON(&l)
		if len(l.Items) != 2 || l.NextCursor == nil {
			t.Fatalf("actor filter page = %+v", l)
		}
		s.do(t, req{method: "GET", path: "/api/v1/admin/audit-log?entity_id=x", token: a.Token, invalid: true}).wantProblem(422, "validation_failed")

		// The command line is the system: no actor.
		svc := s.ent.AuditLog.Query().Where(auditlog.Entity("category"), auditlog.EntityID(cat)).OnlyX(context.Background())
		if svc.ActorID == nil {
			t.Fatal("REST category create recorded no actor")
		}
	})
}

func TestSalesReport(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		a := s.admin(t)
		tools := s.category(t, a, "tools", nil)
		garden := s.category(t, a, "garden", nil)
		hammer := s.product(t, a, tools, "Hammer", 1000, 100)
		saw := s.product(t, a, tools, "Saw", 3000, 100)
		hose := s.product(t, a, garden, "Hose", 500, 100)
		buy := func(lines map[int]int) int {
			u := s.register(t, "R")
			for id, q := range lines {
				s.addToCart(t, u, id, q)
			}
			var o ordering.OrderJSON
			s.checkout(t, u, nil, nil).wantStatus(201).JSON(&o)
			return o.ID
		}
		buy(map[int]int{hammer.ID: 2, hose.ID: 1}) // 2500
		buy(map[int]int{saw.ID: 1})                // 3000
		cancelled := buy(map[int]int{hammer.ID: 50})
		s.do(t, req{method: "POST", path: path("/api/v1/admin/orders/%d/status", cancelled), token: a.Token, body: map[string]string{"status": "cancelled"}}).wantStatus(200)

		today := time.Now().UTC().Format(time.DateOnly)
		tomorrow := time.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
		type row struct {
			Key                    string
			Orders, Units, Revenue int64
		}
		report := func(q string) []row {
			var r struct {
				Rows     []row
				Currency string
			}
			s.do(t, req{method: "GET", path: "/api/v1/admin/reports/sales?" + q, token: a.Token}).wantStatus(200).JSON(&r)
			if r.Currency != "USD" {
				t.Fatalf("currency %q", r.Currency)
			}
			return r.Rows
		}
		got := fmt.Sprint(report("from=" + today + "&to=" + tomorrow + "&group_by=day"))
		if want := fmt.Sprint([]row{{today, 2, 4, 5500}}); got != want {
			t.Fatalf("by day = %s, want %s", got, want)
		}
		got = fmt.Sprint(report("from=" + today + "&to=" + tomorrow + "&group_by=category"))
		if want := fmt.Sprint([]row{{"garden", 1, 1, 500}, {"tools", 2, 3, 5000}}); got != want {
			t.Fatalf("by category = %s, want %s", got, want)
		}
		got = fmt.Sprint(report("from=" + today + "&to=" + tomorrow + "&group_by=product"))
		byProduct := []row{{fmt.Sprint(hammer.ID), 1, 2, 2000}, {fmt.Sprint(saw.ID), 1, 1, 3000}, {fmt.Sprint(hose.ID), 1, 1, 500}}
		slices.SortFunc(byProduct, func(a, b row) int { return strings.Compare(a.Key, b.Key) })
		want := fmt.Sprint(byProduct)
		if got != want {
			t.Fatalf("by product = %s, want %s", got, want)
		}
		if rows := report("from=" + tomorrow + "&to=" + time.Now().UTC().Add(48*time.Hour).Format(time.DateOnly)); len(rows) != 0 {
			t.Fatalf("tomorrow = %v", rows)
		}
		for _, bad := range []string{"from=2026-01-01", "from=x&to=2026-01-02", "from=2026-01-02&to=2026-01-01", "from=2026-01-01&to=2026-01-02&group_by=week"} {
			s.do(t, req{method: "GET", path: "/api/v1/admin/reports/sales?" + bad, token: a.Token, invalid: true}).wantProblem(422, "validation_failed")
		}
	})
}
