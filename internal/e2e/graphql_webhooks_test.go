package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"shop/internal/testdb"
)

// TestGraphQL_Webhooks: the admin GraphQL reads webhooks, API keys and a
// webhook's deliveries (the same rows as the REST delivery log); no secret
// or key hash is in the schema or in any response; a customer is refused.
func TestGraphQL_Webhooks(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia, fastWebhooks()...)
		s.startWorkers(t)
		admin := s.admin(t)
		customer := s.register(t, "Cus")
		rcv := newReceiver(t)
		hookID, secret := s.subscribe(t, admin, rcv.srv.URL, "product.created")
		rcv.secret = secret
		var key struct {
			ID  int
			Key string
		}
		s.do(t, req{method: "POST", path: "/api/v1/admin/api-keys", token: admin.Token, body: map[string]string{"name": "erp"}}).wantStatus(201).JSON(&key)
		keyHash := s.ent.APIKey.GetX(context.Background(), key.ID).KeyHash
		cat := s.category(t, admin, "gql-hooks", nil)
		s.product(t, admin, cat, "Hooked", 100, 1)
		waitFor(t, 60*time.Second, "the delivery", func() bool { return len(rcv.events()) == 1 })

		var rest struct {
			Items []struct {
				ID       int64
				EventID  string `json:"event_id"`
				Status   string
				Attempts int
			}
		}
		waitFor(t, 10*time.Second, "the log to show success", func() bool {
			s.do(t, req{method: "GET", path: path("/api/v1/admin/webhooks/%d/deliveries?status=succeeded", hookID), token: admin.Token}).wantStatus(200).JSON(&rest)
			return len(rest.Items) == 1
		})

		const q = `query($s: DeliveryStatus) {
			webhooks(where: {active: true}, orderBy: {field: CREATED_AT, direction: DESC}) {
				totalCount
				edges { node { id url events description active createdAt
					deliveries(first: 10, status: $s) {
						edges { node { id eventID eventType status attempts lastStatusCode lastError deliveredAt } }
						pageInfo { hasNextPage endCursor }
					} } }
			}
			apiKeys { totalCount edges { node { id name prefix lastUsedAt revokedAt createdAt } } }
		}`
		type conn struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					ID         string
					URL        string
					Events     []string
					Active     bool
					Deliveries struct {
						Edges []struct {
							Node struct {
								ID, EventID, EventType, Status string
								Attempts                       int
								LastStatusCode                 *int
								DeliveredAt                    *string
							}
						}
						PageInfo struct{ HasNextPage bool }
					}
				}
			}
		}
		raw := s.do(t, req{method: "POST", path: "/admin/graphql", token: admin.Token,
			body: map[string]any{"query": q, "variables": map[string]any{"s": "SUCCEEDED"}}}).wantStatus(200)
		for _, leak := range []string{secret, keyHash, key.Key, "whsec_"} {
			if strings.Contains(string(raw.Body), leak) {
				t.Fatalf("the response contains %q: %s", leak, raw.Body)
			}
		}
		var g gqlResponse
		raw.JSON(&g)
		var hooks conn
		g.ok(t, "webhooks", &hooks)
		if hooks.TotalCount != 1 || len(hooks.Edges) != 1 || hooks.Edges[0].Node.URL != rcv.srv.URL ||
			hooks.Edges[0].Node.ID != itoa(hookID) || len(hooks.Edges[0].Node.Events) != 1 || !hooks.Edges[0].Node.Active {
			t.Fatalf("webhooks %+v", hooks)
		}
		ds := hooks.Edges[0].Node.Deliveries
		if len(ds.Edges) != 1 || ds.PageInfo.HasNextPage {
			t.Fatalf("deliveries %+v", ds)
		}
		d := ds.Edges[0].Node
		if d.ID != itoa(int(rest.Items[0].ID)) || d.EventID != rest.Items[0].EventID || d.EventID != rcv.events()[0].ID ||
			d.EventType != "product.created" || d.Status != "SUCCEEDED" || d.Attempts != 1 ||
			d.LastStatusCode == nil || *d.LastStatusCode != 200 || d.DeliveredAt == nil {
			t.Fatalf("delivery %+v, REST %+v", d, rest.Items[0])
		}
		var keys struct {
			TotalCount int
			Edges      []struct {
				Node struct{ ID, Name, Prefix string }
			}
		}
		g.ok(t, "apiKeys", &keys)
		if keys.TotalCount != 1 || keys.Edges[0].Node.Name != "erp" || !strings.HasPrefix(key.Key, keys.Edges[0].Node.Prefix) {
			t.Fatalf("apiKeys %+v", keys)
		}

		// The status filter and the page size are the REST log's.
		s.gql(t, admin.Token, q, map[string]any{"s": "FAILED"}).ok(t, "webhooks", &hooks)
		if n := len(hooks.Edges[0].Node.Deliveries.Edges); n != 0 {
			t.Fatalf("%d failed deliveries", n)
		}
		if c, _ := s.gql(t, admin.Token, `{ webhooks { edges { node { deliveries(first: 101) { pageInfo { hasNextPage } } } } } }`, nil).code(t); c != "validation_failed" {
			t.Fatalf("first: 101 gave %q", c)
		}
		if c, _ := s.gql(t, admin.Token, `{ webhooks { edges { node { deliveries(after: "bm90YWN1cnNvcg") { pageInfo { hasNextPage } } } } } }`, nil).code(t); c != "validation_failed" {
			t.Fatalf("a malformed cursor gave %q", c)
		}
		// Deliveries per webhook are costed like any nested connection.
		if c, ext := s.gql(t, admin.Token, `{ webhooks(first: 100) { edges { node { deliveries(first: 100) { edges { node { id eventID status attempts } } } } } } }`, nil).code(t); c != "limit_exceeded" || ext["limit"] != "cost" {
			t.Fatalf("nested deliveries gave %q %v", c, ext)
		}

		// Nothing secret in the schema: no field or input field names a
		// secret or a hash.
		const intro = `{ __schema { types { name fields { name } inputFields { name } } } }`
		schemaRaw := s.do(t, req{method: "POST", path: "/admin/graphql", token: admin.Token, body: map[string]any{"query": intro}}).wantStatus(200)
		var sch struct {
			Data struct {
				Schema struct {
					Types []struct {
						Name        string
						Fields      []struct{ Name string }
						InputFields []struct{ Name string }
					}
				} `json:"__schema"`
			}
		}
		if err := json.Unmarshal(schemaRaw.Body, &sch); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, ty := range sch.Data.Schema.Types {
			seen[ty.Name] = true
			for _, f := range append(ty.Fields, ty.InputFields...) {
				if n := strings.ToLower(f.Name); strings.Contains(n, "secret") || strings.Contains(n, "hash") {
					t.Fatalf("%s.%s is in the schema", ty.Name, f.Name)
				}
			}
		}
		for _, want := range []string{"Webhook", "WebhookConnection", "APIKey", "APIKeyConnection", "Delivery", "DeliveryConnection"} {
			if !seen[want] {
				t.Fatalf("type %s is not in the schema", want)
			}
		}

		// A customer reads none of it.
		s.do(t, req{method: "POST", path: "/admin/graphql", token: customer.Token, body: map[string]any{"query": q}}).wantProblem(403, "forbidden")
	})
}
