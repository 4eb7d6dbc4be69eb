package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"shop/ent/apikey"
	"shop/ent/auditlog"
	"shop/ent/webhook"
	"shop/internal/app"
	"shop/internal/testdb"
	"shop/modules/integrations"
)

// startWorkers runs the River workers of s, as `shop serve` does.
func (s *shop) startWorkers(t testing.TB) { t.Helper(); s.startWorkersOn(t, nil) }

// startWorkersOn runs the River workers of s with their metrics registered
// on reg (the server's registry makes them appear on its /metrics, as in
// `shop serve`); nil registers none.
func (s *shop) startWorkersOn(t testing.TB, reg prometheus.Registerer) {
	t.Helper()
	var logOut io.Writer = io.Discard
	if os.Getenv("SHOP_TEST_LOG") != "" {
		logOut = os.Stderr
	}
	runner, err := app.NewWorkers(s.cfg, s.db, slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: slog.LevelInfo})), reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = runner.Stop(ctx)
	})
}

// fastWebhooks are the settings of a shop whose workers retry in
// milliseconds and may call the test's loopback receiver.
func fastWebhooks() []option {
	return []option{
		withEnv("SHOP_WEBHOOK_ALLOW_PRIVATE", "true"),
		withEnv("SHOP_WEBHOOK_BACKOFF_BASE", "50ms"),
		withEnv("SHOP_WEBHOOK_BACKOFF_CAP", "200ms"),
		withEnv("SHOP_WEBHOOK_RETRY_WINDOW", "2s"),
		withEnv("SHOP_WORKER_POLL_INTERVAL", "100ms"),
	}
}

// received is one delivery a receiver accepted, its signature verified by
// the Standard Webhooks reference library.
type received struct {
	ID   string
	Type string
	Data map[string]any
}

// receiver is a real HTTP endpoint on loopback that verifies every request
// with the reference library; answer picks the status of the n-th request.
type receiver struct {
	t      testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	got    []received
	calls  int
	ids    []string
	answer func(n int) int
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{t: t, answer: func(int) int { return 200 }}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.ids = append(r.ids, req.Header.Get("webhook-id"))
	wh, err := standardwebhooks.NewWebhook(r.secret)
	if err != nil {
		r.t.Errorf("secret %q: %v", r.secret, err)
		w.WriteHeader(400)
		return
	}
	if err := wh.Verify(body, req.Header); err != nil {
		r.t.Errorf("signature does not verify: %v (headers %v)", err, req.Header)
		w.WriteHeader(400)
		return
	}
	var ev struct {
		ID        string         `json:"id"`
		Type      string         `json:"type"`
		CreatedAt string         `json:"created_at"`
		Data      map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		r.t.Errorf("body: %v", err)
	}
	if ev.ID != req.Header.Get("webhook-id") || !strings.HasPrefix(ev.ID, "evt_") {
		r.t.Errorf("event id %q, webhook-id %q", ev.ID, req.Header.Get("webhook-id"))
	}
	status := r.answer(r.calls)
	if status >= 200 && status < 300 {
		r.got = append(r.got, received{ID: ev.ID, Type: ev.Type, Data: ev.Data})
	}
	w.WriteHeader(status)
}

func (r *receiver) events() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// waitFor polls until cond holds or the time is up.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// subscribe creates a webhook to url for evs and returns its id and secret.
func (s *shop) subscribe(t testing.TB, admin user, url string, evs ...string) (int, string) {
	t.Helper()
	var w struct {
		ID     int
		Secret string
	}
	s.do(t, req{method: "POST", path: "/api/v1/admin/webhooks", token: admin.Token, body: map[string]any{
		"url": url, "events": evs, "description": "test receiver",
	}}).wantStatus(201).JSON(&w)
	return w.ID, w.Secret
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		customer := s.register(t, "Cus")

		s.do(t, req{method: "POST", path: "/api/v1/admin/api-keys", token: customer.Token, body: map[string]string{"name": "x"}}).wantProblem(403, "forbidden")
		s.do(t, req{method: "POST", path: "/api/v1/admin/api-keys", token: admin.Token, invalid: true, body: map[string]string{"name": ""}}).wantProblem(422, "validation_failed")

		var k struct {
			ID     int
			Name   string
			Prefix string
			Key    string
		}
		s.do(t, req{method: "POST", path: "/api/v1/admin/api-keys", token: admin.Token, body: map[string]string{"name": "fulfilment"}}).wantStatus(201).JSON(&k)
		if !strings.HasPrefix(k.Key, "sk_") || len(k.Key) < 3+32 || !strings.HasPrefix(k.Key, k.Prefix) {
			t.Fatalf("key %q prefix %q", k.Key, k.Prefix)
		}
		stored := s.ent.APIKey.GetX(context.Background(), k.ID)
		if strings.Contains(stored.KeyHash, k.Key) || stored.KeyHash == k.Key || len(stored.KeyHash) != 64 {
			t.Fatalf("stored hash %q", stored.KeyHash)
		}

		// The key acts with admin rights; the audit log names the key.
		s.do(t, req{method: "GET", path: "/api/v1/admin/inventory/reconciliation", token: k.Key}).wantStatus(200)
		list := s.do(t, req{method: "GET", path: "/api/v1/admin/api-keys", token: admin.Token}).wantStatus(200)
		if strings.Contains(string(list.Body), k.Key) {
			t.Fatal("the key appears in the list")
		}
		catID := s.category(t, user{Token: k.Key}, "by-key", nil)
		row := s.ent.AuditLog.Query().Where(auditlog.Entity("category"), auditlog.EntityID(catID)).OnlyX(context.Background())
		if row.ActorID != nil || row.APIKeyID == nil || *row.APIKeyID != k.ID {
			t.Fatalf("audit actor %v, api key %v; want the key %d", row.ActorID, row.APIKeyID, k.ID)
		}
		var entries struct {
			Items []struct {
				ActorID  *int `json:"actor_id"`
				APIKeyID *int `json:"api_key_id"`
			}
		}
		s.do(t, req{method: "GET", path: path("/api/v1/admin/audit-log?entity=category&entity_id=%d", catID), token: admin.Token}).wantStatus(200).JSON(&entries)
		if len(entries.Items) != 1 || entries.Items[0].ActorID != nil || entries.Items[0].APIKeyID == nil || *entries.Items[0].APIKeyID != k.ID {
			t.Fatalf("audit log over the API: %+v", entries.Items)
		}
		if n := s.ent.AuditLog.Query().Where(auditlog.Entity("api_key"), auditlog.EntityID(k.ID), auditlog.ActionEQ(auditlog.ActionCreate)).CountX(context.Background()); n != 1 {
			t.Fatalf("%d audit rows for the key's creation", n)
		}
		// last_used_at is written once, not per request.
		first := s.ent.APIKey.GetX(context.Background(), k.ID).LastUsedAt
		if first == nil {
			t.Fatal("last_used_at not set")
		}
		s.do(t, req{method: "GET", path: "/api/v1/admin/inventory/reconciliation", token: k.Key}).wantStatus(200)
		if again := s.ent.APIKey.GetX(context.Background(), k.ID).LastUsedAt; !again.Equal(*first) {
			t.Fatalf("last_used_at moved from %v to %v within a minute", first, again)
		}
		// A key is not a shopper.
		s.do(t, req{method: "GET", path: "/api/v1/cart", token: k.Key}).wantProblem(403, "forbidden")

		// Revoked: 401 from the next request on.
		s.do(t, req{method: "DELETE", path: path("/api/v1/admin/api-keys/%d", k.ID), token: admin.Token}).wantStatus(204)
		s.do(t, req{method: "GET", path: "/api/v1/admin/inventory/reconciliation", token: k.Key}).wantProblem(401, "unauthorized")
		s.do(t, req{method: "POST", path: "/api/v1/admin/categories", token: k.Key, body: map[string]string{"name": "n", "slug": "n"}}).wantProblem(401, "unauthorized")
		if s.ent.APIKey.Query().Where(apikey.ID(k.ID), apikey.RevokedAtNotNil()).CountX(context.Background()) != 1 {
			t.Fatal("revoked_at not set")
		}
		if n := s.ent.AuditLog.Query().Where(auditlog.Entity("api_key"), auditlog.EntityID(k.ID), auditlog.ActionEQ(auditlog.ActionUpdate)).CountX(context.Background()); n != 1 {
			t.Fatalf("%d audit rows for the revocation", n)
		}
		s.do(t, req{method: "DELETE", path: "/api/v1/admin/api-keys/999999", token: admin.Token}).wantProblem(404, "not_found")
		s.do(t, req{method: "GET", path: "/api/v1/admin/api-keys", token: "sk_notakeyatallnotakeyatallnotakeyatall"}).wantProblem(401, "unauthorized")
	})
}

func TestWebhooks_SSRF(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia)
		admin := s.admin(t)
		for _, url := range []string{"http://127.0.0.1/", "http://10.0.0.1/", "http://[::1]/", "http://localhost:9/hook", "http://169.254.169.254/latest", "ftp://93.184.216.34/",
			// Issue 18 item 5: special-purpose ranges and ports outside 1..65535.
			"http://[::127.0.0.1]/", "http://[::ffff:0:127.0.0.1]/", "http://[64:ff9b::7f00:1]/", "http://[64:ff9b::a9fe:a9fe]/latest",
			"http://[2002:7f00:1::]/", "http://[2001::]/", "http://192.0.0.1/", "http://198.18.0.1/", "http://240.0.0.1/",
			"http://255.255.255.255/", "http://93.184.216.34:0/", "http://93.184.216.34:65536/", "http://93.184.216.34:99999/"} {
			p := s.do(t, req{method: "POST", path: "/api/v1/admin/webhooks", token: admin.Token, body: map[string]any{
				"url": url, "events": []string{"order.created"},
			}}).wantProblem(422, "validation_failed")
			if !strings.Contains(string(mustJSON(t, p)), `"url"`) {
				t.Errorf("%s: problem does not name the url: %v", url, p)
			}
		}
		if n := s.ent.Webhook.Query().CountX(context.Background()); n != 0 {
			t.Fatalf("%d webhooks stored", n)
		}
		s.do(t, req{method: "POST", path: "/api/v1/admin/webhooks", token: admin.Token, invalid: true, body: map[string]any{
			"url": "http://93.184.216.34/hook", "events": []string{"order.shipped"},
		}}).wantProblem(422, "validation_failed")
		s.do(t, req{method: "POST", path: "/api/v1/admin/webhooks", token: admin.Token, invalid: true, body: map[string]any{
			"url": "http://93.184.216.34/hook", "events": []string{},
		}}).wantProblem(422, "validation_failed")

		// A public address is fine; the secret is shown on create only.
		id, secret := s.subscribe(t, admin, "http://93.184.216.34/hook", "order.created")
		if !strings.HasPrefix(secret, "whsec_") || len(secret) < len("whsec_")+32 {
			t.Fatalf("secret %q", secret)
		}
		list := s.do(t, req{method: "GET", path: "/api/v1/admin/webhooks", token: admin.Token}).wantStatus(200)
		if strings.Contains(string(list.Body), secret) || strings.Contains(string(list.Body), "whsec_") {
			t.Fatal("the secret is listed")
		}
		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/webhooks/%d", id), token: admin.Token, body: map[string]any{"url": "http://127.0.0.1:8080/"}}).wantProblem(422, "validation_failed")
		var w struct {
			Active bool
			Events []string
		}
		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/webhooks/%d", id), token: admin.Token, body: map[string]any{"active": false, "events": []string{"product.created", "order.created"}}}).wantStatus(200).JSON(&w)
		if w.Active || len(w.Events) != 2 {
			t.Fatalf("after patch: %+v", w)
		}
		if got := s.ent.Webhook.GetX(context.Background(), id); got.Active || got.URL != "http://93.184.216.34/hook" {
			t.Fatalf("stored %+v", got)
		}
		s.do(t, req{method: "DELETE", path: path("/api/v1/admin/webhooks/%d", id), token: admin.Token}).wantStatus(204)
		if s.ent.Webhook.Query().Where(webhook.ID(id)).ExistX(context.Background()) {
			t.Fatal("the deleted webhook is still stored")
		}
		s.do(t, req{method: "GET", path: path("/api/v1/admin/webhooks/%d/deliveries", id), token: admin.Token}).wantProblem(404, "not_found")
	})
}

func mustJSON(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bflaKey creates an API key to revoke.
func (s *shop) bflaKey(t testing.TB, admin user) int {
	t.Helper()
	var k struct{ ID int }
	s.do(t, req{method: "POST", path: "/api/v1/admin/api-keys", token: admin.Token, body: map[string]string{"name": "to revoke"}}).wantStatus(201).JSON(&k)
	return k.ID
}

// bflaDelivery creates a webhook and one delivery job of it (no worker
// runs it) and returns both ids.
func (s *shop) bflaDelivery(t testing.TB, admin user) (int, int64) {
	t.Helper()
	hookID, _ := s.subscribe(t, admin, "http://93.184.216.34/delivered", "order.created")
	r, err := integrations.NewRunner(integrations.Options{DB: s.ent, SQL: s.db.SQL, Dialect: s.db.Dialect,
		Backoff: integrations.Backoff{Base: time.Second, Cap: time.Second, Window: time.Second}, PollInterval: time.Second}, false)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Client.Insert(context.Background(), integrations.DeliveryArgs{WebhookID: hookID, EventID: "evt_bfla", EventType: "order.created", Body: []byte(`{}`)},
		&river.InsertOpts{Queue: "webhooks", Tags: []string{integrations.DeliveryTag(hookID)}})
	if err != nil {
		t.Fatal(err)
	}
	return hookID, res.Job.ID
}
