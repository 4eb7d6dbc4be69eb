package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"shop/internal/testdb"
	"shop/modules/integrations"
)

type deliveryRow struct {
	Status    string
	Attempts  int
	LastError *string `json:"last_error"`
}

func (s *shop) deliveries(t *testing.T, admin user, hookID int, status string) []deliveryRow {
	t.Helper()
	var list struct{ Items []deliveryRow }
	s.do(t, req{method: "GET", path: path("/api/v1/admin/webhooks/%d/deliveries?status=%s", hookID, status), token: admin.Token}).wantStatus(200).JSON(&list)
	return list.Items
}

// TestWebhooks_DeactivateCancelsPending: deactivating an endpoint cancels
// its pending retries at once (the log says so in our words, counting the
// one request sent), and re-activating it sends none of them; deleting one
// stops its retries too. A delivery the worker stops (the endpoint was
// switched off behind the API's back) counts only the requests sent.
func TestWebhooks_DeactivateCancelsPending(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia,
			withEnv("SHOP_WEBHOOK_ALLOW_PRIVATE", "true"),
			// A backoff the test's steps between a first attempt and the
			// deactivation can't outlast on a loaded machine (2 s could: a
			// retry then ran before the PATCH).
			withEnv("SHOP_WEBHOOK_BACKOFF_BASE", "8s"),
			withEnv("SHOP_WEBHOOK_BACKOFF_CAP", "8s"),
			withEnv("SHOP_WEBHOOK_RETRY_WINDOW", "1h"),
			withEnv("SHOP_WORKER_POLL_INTERVAL", "100ms"))
		s.startWorkers(t)
		admin := s.admin(t)
		failing := func() *receiver {
			r := newReceiver(t)
			r.answer = func(int) int { return http.StatusInternalServerError }
			return r
		}
		calls := func(r *receiver) int { r.mu.Lock(); defer r.mu.Unlock(); return r.calls }
		deactivated, deleted, behind := failing(), failing(), failing()
		var ids [3]int
		for i, r := range []*receiver{deactivated, deleted, behind} {
			ids[i], r.secret = s.subscribe(t, admin, r.srv.URL, "product.created")
		}
		cat := s.category(t, admin, "cancel", nil)
		s.product(t, admin, cat, "Retried later", 100, 1)
		for _, r := range []*receiver{deactivated, deleted, behind} {
			waitFor(t, 30*time.Second, "the first attempt", func() bool { return calls(r) == 1 })
		}
		// Every retry is due by 8 s (+25% jitter) after its first attempt.
		retriesDue := time.Now().Add(10 * time.Second)
		waitFor(t, 10*time.Second, "the retries to be scheduled", func() bool {
			for _, id := range []int{ids[0], ids[2]} {
				// The first attempt's error is recorded: the job waits for its retry.
				if p := s.deliveries(t, admin, id, "pending"); len(p) != 1 || p[0].LastError == nil {
					return false
				}
			}
			return true
		})

		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/webhooks/%d", ids[0]), token: admin.Token, body: map[string]any{"active": false}}).wantStatus(200)
		if p := s.deliveries(t, admin, ids[0], "pending"); len(p) != 0 {
			t.Fatalf("right after deactivation: %d deliveries still pending", len(p))
		}
		f := s.deliveries(t, admin, ids[0], "failed")
		if len(f) != 1 || f[0].Attempts != 1 || f[0].LastError == nil || !strings.HasPrefix(*f[0].LastError, integrations.StoppedMessage) ||
			!strings.Contains(*f[0].LastError, "HTTP 500") || strings.Contains(*f[0].LastError, "JobCancel") {
			t.Fatalf("deactivated endpoint's log: %+v", f)
		}
		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/webhooks/%d", ids[0]), token: admin.Token, body: map[string]any{"active": true}}).wantStatus(200)
		s.do(t, req{method: "DELETE", path: path("/api/v1/admin/webhooks/%d", ids[1]), token: admin.Token}).wantStatus(204)
		// Behind the API's back: only the worker can stop this one.
		if err := s.ent.Webhook.UpdateOneID(ids[2]).SetActive(false).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "the worker to stop the third delivery", func() bool {
			return len(s.deliveries(t, admin, ids[2], "failed")) == 1
		})
		f = s.deliveries(t, admin, ids[2], "failed")
		if f[0].Attempts != 1 || f[0].LastError == nil || !strings.HasPrefix(*f[0].LastError, integrations.StoppedMessage) || strings.Contains(*f[0].LastError, "JobCancel") {
			t.Fatalf("worker-stopped delivery: %+v, want 1 attempt and our words", f[0])
		}
		time.Sleep(time.Until(retriesDue) + time.Second) // past every cancelled retry's time
		if n, m := calls(deactivated), calls(deleted); n != 1 || m != 1 {
			t.Fatalf("after deactivation and re-activation: %d requests; after deletion: %d; want 1 each", n, m)
		}
		if f := s.deliveries(t, admin, ids[0], "failed"); len(f) != 1 || f[0].Attempts != 1 {
			t.Fatalf("re-activated endpoint's log: %+v", f)
		}
	})
}
