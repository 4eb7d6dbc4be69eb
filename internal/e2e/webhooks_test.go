package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"shop/internal/testdb"
)

var allEventTypes = []string{"order.created", "order.status_changed", "product.created", "product.updated", "product.deleted", "inventory.low_stock"}

func countTypes(evs []received) map[string]int {
	n := map[string]int{}
	for _, e := range evs {
		n[e.Type]++
	}
	return n
}

// TestWebhooks_EachEventOnce: every event type reaches a real receiver once,
// signed (verified by the reference library), with its data, after the
// change commits; a rolled-back checkout and a refused status change send
// nothing.
func TestWebhooks_EachEventOnce(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia, fastWebhooks()...)
		s.startWorkers(t)
		admin := s.admin(t)
		rcv := newReceiver(t)
		_, rcv.secret = s.subscribe(t, admin, rcv.srv.URL+"/hook", allEventTypes...)

		cat := s.category(t, admin, "hooks", nil)
		p := s.product(t, admin, cat, "Lamp", 1500, 10) // product.created
		s.do(t, req{method: "PATCH", path: path("/api/v1/admin/products/%d", p.ID), token: admin.Token,
			body: map[string]any{"name": "Desk lamp"}}).wantStatus(200) // product.updated
		other := s.product(t, admin, cat, "Bulb", 300, 1) // product.created

		ann := s.register(t, "Ann")
		s.addToCart(t, ann, p.ID, 6) // 10 → 4 crosses the threshold 5 at checkout
		var order struct{ ID int }
		s.checkout(t, ann, nil, nil).wantStatus(201).JSON(&order) // order.created, inventory.low_stock

		// A checkout that rolls back (not enough stock) sends nothing.
		bob := s.register(t, "Bob")
		s.addToCart(t, bob, other.ID, 1)
		s.do(t, req{method: "POST", path: path("/api/v1/admin/products/%d/stock-adjustments", other.ID), token: admin.Token,
			body: map[string]any{"quantity_change": -1, "reason": "damage"}}).wantStatus(200)
		s.checkout(t, bob, nil, nil).wantProblem(409, "insufficient_stock")

		// A refused status change sends nothing; an accepted one sends one.
		s.do(t, req{method: "POST", path: path("/api/v1/admin/orders/%d/status", order.ID), token: admin.Token,
			body: map[string]string{"status": "delivered"}}).wantProblem(409, "invalid_status_transition")
		s.do(t, req{method: "POST", path: path("/api/v1/admin/orders/%d/status", order.ID), token: admin.Token,
			body: map[string]string{"status": "processing"}}).wantStatus(200) // order.status_changed
		s.do(t, req{method: "DELETE", path: path("/api/v1/admin/products/%d", other.ID), token: admin.Token}).wantStatus(204) // product.deleted

		want := map[string]int{"product.created": 2, "product.updated": 1, "order.created": 1,
			"inventory.low_stock": 1, "order.status_changed": 1, "product.deleted": 1}
		total := 7
		for deadline := time.Now().Add(60 * time.Second); len(rcv.events()) < total && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond) // anything extra would arrive now
		got := rcv.events()
		n := countTypes(got)
		for typ, w := range want {
			if n[typ] != w {
				t.Errorf("%s: %d deliveries, want %d (all: %v)", typ, n[typ], w, n)
			}
		}
		if len(got) != total {
			t.Errorf("%d deliveries, want %d: %v", len(got), total, n)
		}
		for _, e := range got {
			switch e.Type {
			case "order.created":
				items, _ := e.Data["items"].([]any)
				if e.Data["id"] != float64(order.ID) || e.Data["status"] != "pending" || len(items) != 1 ||
					e.Data["total_amount"] != float64(6*1500) || e.Data["currency"] != "USD" {
					t.Errorf("order.created data %v", e.Data)
				}
			case "order.status_changed":
				o, _ := e.Data["order"].(map[string]any)
				if e.Data["from"] != "pending" || e.Data["to"] != "processing" || o["status"] != "processing" || o["id"] != float64(order.ID) {
					t.Errorf("order.status_changed data %v", e.Data)
				}
			case "inventory.low_stock":
				if e.Data["product_id"] != float64(p.ID) || e.Data["stock"] != float64(4) || e.Data["threshold"] != float64(5) {
					t.Errorf("inventory.low_stock data %v", e.Data)
				}
			case "product.updated":
				if e.Data["name"] != "Desk lamp" || e.Data["currency"] != "USD" {
					t.Errorf("product.updated data %v", e.Data)
				}
			case "product.deleted":
				if e.Data["id"] != float64(other.ID) {
					t.Errorf("product.deleted data %v", e.Data)
				}
			}
		}
	})
}

// TestWebhooks_RetryThenSucceed: 500, 500, 200 is three attempts with one
// webhook-id, and the delivery log shows attempts 3, succeeded.
func TestWebhooks_RetryThenSucceed(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia, fastWebhooks()...)
		s.startWorkers(t)
		admin := s.admin(t)
		rcv := newReceiver(t)
		rcv.answer = func(n int) int {
			if n <= 2 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		}
		hookID, secret := s.subscribe(t, admin, rcv.srv.URL, "product.created")
		rcv.secret = secret
		cat := s.category(t, admin, "retry", nil)
		s.product(t, admin, cat, "Retried", 100, 1)

		waitFor(t, 60*time.Second, "a successful delivery", func() bool { return len(rcv.events()) == 1 })
		rcv.mu.Lock()
		ids, calls := append([]string(nil), rcv.ids...), rcv.calls
		rcv.mu.Unlock()
		if calls != 3 || ids[0] != ids[1] || ids[1] != ids[2] {
			t.Fatalf("%d calls with ids %v, want 3 with one id", calls, ids)
		}
		var list struct {
			Items []struct {
				ID             int64
				EventID        string `json:"event_id"`
				Status         string
				Attempts       int
				LastStatusCode *int    `json:"last_status_code"`
				DeliveredAt    *string `json:"delivered_at"`
			}
		}
		waitFor(t, 10*time.Second, "the log to show success", func() bool {
			s.do(t, req{method: "GET", path: path("/api/v1/admin/webhooks/%d/deliveries?status=succeeded", hookID), token: admin.Token}).wantStatus(200).JSON(&list)
			return len(list.Items) == 1
		})
		d := list.Items[0]
		if d.Attempts != 3 || d.EventID != ids[0] || d.LastStatusCode == nil || *d.LastStatusCode != 200 || d.DeliveredAt == nil {
			t.Fatalf("delivery %+v", d)
		}
		// A full last page has no next page.
		var full struct {
			Items      []struct{ ID int64 }
			NextCursor *string `json:"next_cursor"`
		}
		s.do(t, req{method: "GET", path: path("/api/v1/admin/webhooks/%d/deliveries?status=succeeded&limit=1", hookID), token: admin.Token}).wantStatus(200).JSON(&full)
		if len(full.Items) != 1 || full.NextCursor != nil {
			t.Fatalf("the only delivery, limit 1: %+v, want it and next_cursor null", full)
		}
		s.do(t, req{method: "GET", path: path("/api/v1/admin/webhooks/%d/deliveries?status=failed", hookID), token: admin.Token}).wantStatus(200).JSON(&list)
		if len(list.Items) != 0 {
			t.Fatalf("failed deliveries: %+v", list.Items)
		}
		s.do(t, req{method: "GET", path: path("/api/v1/admin/webhooks/%d/deliveries?status=done", hookID), token: admin.Token, invalid: true}).wantProblem(422, "validation_failed")

		// Retry sends the same event again, with the same webhook-id.
		s.do(t, req{method: "POST", path: path("/api/v1/admin/webhooks/%d/deliveries/%d/retry", hookID, d.ID), token: admin.Token}).wantStatus(202)
		waitFor(t, 30*time.Second, "the retried delivery", func() bool { return len(rcv.events()) == 2 })
		if evs := rcv.events(); evs[1].ID != evs[0].ID {
			t.Fatalf("retry sent %s, first was %s", evs[1].ID, evs[0].ID)
		}
		s.do(t, req{method: "POST", path: path("/api/v1/admin/webhooks/%d/deliveries/%d/retry", hookID, d.ID+1000), token: admin.Token}).wantProblem(404, "not_found")
	})
}

// TestWebhooks_FailedAfterWindow: a receiver that always fails gets the
// delivery retried until the retry window is spent, then it is failed.
func TestWebhooks_FailedAfterWindow(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia, fastWebhooks()...)
		s.startWorkers(t)
		admin := s.admin(t)
		rcv := newReceiver(t)
		rcv.answer = func(int) int { return http.StatusServiceUnavailable }
		hookID, secret := s.subscribe(t, admin, rcv.srv.URL, "product.created")
		rcv.secret = secret
		cat := s.category(t, admin, "fails", nil)
		s.product(t, admin, cat, "Never", 100, 1)
		var list struct {
			Items []struct {
				Status         string
				Attempts       int
				LastStatusCode *int    `json:"last_status_code"`
				LastError      *string `json:"last_error"`
			}
		}
		waitFor(t, 60*time.Second, "the delivery to fail", func() bool {
			s.do(t, req{method: "GET", path: path("/api/v1/admin/webhooks/%d/deliveries?status=failed", hookID), token: admin.Token}).wantStatus(200).JSON(&list)
			return len(list.Items) == 1
		})
		d := list.Items[0]
		if d.Attempts < 5 || d.LastStatusCode == nil || *d.LastStatusCode != 503 || d.LastError == nil {
			t.Fatalf("failed delivery %+v", d)
		}
	})
}

// TestWebhooks_TwoReplicas: two processes' workers on one database deliver
// every event; a duplicate (at least once) carries the same webhook-id.
func TestWebhooks_TwoReplicas(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia, fastWebhooks()...)
		s.startWorkers(t)
		s.startWorkers(t) // a second replica's River client
		admin := s.admin(t)
		rcv := newReceiver(t)
		_, rcv.secret = s.subscribe(t, admin, rcv.srv.URL, "product.created")
		cat := s.category(t, admin, "replicas", nil)
		const n = 20
		for i := range n {
			s.product(t, admin, cat, path("P%d", i), 100, 1)
		}
		distinct := func() map[string]int {
			ids := map[string]int{}
			for _, e := range rcv.events() {
				ids[e.ID]++
			}
			return ids
		}
		waitFor(t, 60*time.Second, "every event", func() bool { return len(distinct()) == n })
		if got := len(rcv.events()); got != n {
			t.Logf("%d deliveries of %d events (duplicates are allowed: at least once)", got, n)
		}
	})
}

// TestWebhooks_CommittedEventSurvivesDownWorkers: events committed while no
// worker runs (all replicas down, or API-only replicas) are delivered once
// a worker starts: they are rows in River's table, not process memory.
func TestWebhooks_CommittedEventSurvivesDownWorkers(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia, fastWebhooks()...)
		admin := s.admin(t)
		rcv := newReceiver(t)
		_, rcv.secret = s.subscribe(t, admin, rcv.srv.URL, "order.created")
		cat := s.category(t, admin, "later", nil)
		p := s.product(t, admin, cat, "Later", 100, 100)
		var orders []int
		for i := range 3 {
			u := s.register(t, path("U%d", i))
			s.addToCart(t, u, p.ID, 1)
			var o struct{ ID int }
			s.checkout(t, u, nil, nil).wantStatus(201).JSON(&o)
			orders = append(orders, o.ID)
		}
		time.Sleep(300 * time.Millisecond)
		if len(rcv.events()) != 0 {
			t.Fatal("delivered without workers")
		}
		s.startWorkers(t)
		waitFor(t, 60*time.Second, "every order.created", func() bool { return len(rcv.events()) == len(orders) })
		seen := map[float64]bool{}
		for _, e := range rcv.events() {
			seen[e.Data["id"].(float64)] = true
		}
		for _, id := range orders {
			if !seen[float64(id)] {
				t.Errorf("order %d not delivered", id)
			}
		}
	})
}

// TestWebhooks_Metrics: what an operator graphs, from the server's /metrics
// while the workers run in it: one delivery that failed once, then
// succeeded, counts one "retried" and one "succeeded" attempt of its event
// type, two request durations and one commit-to-delivery latency; the queue
// depth (River's jobs by state) ends with the fan-out job and the delivery
// completed and nothing waiting.
func TestWebhooks_Metrics(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, dia string) {
		s := newShop(t, dia, fastWebhooks()...)
		s.startWorkersOn(t, s.srv.Registry)
		admin := s.admin(t)
		rcv := newReceiver(t)
		rcv.answer = func(n int) int {
			if n == 1 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		}
		_, secret := s.subscribe(t, admin, rcv.srv.URL, "product.created")
		rcv.secret = secret
		cat := s.category(t, admin, "metered", nil)
		s.product(t, admin, cat, "Metered", 100, 50)
		waitFor(t, 60*time.Second, "a successful delivery", func() bool { return len(rcv.events()) == 1 })

		var m map[string]float64
		waitFor(t, 10*time.Second, "the jobs to be completed", func() bool {
			m = scrape(t, s)
			return m[`shop_jobs{state="completed"}`] == 2
		})
		for series, want := range map[string]float64{
			`shop_webhook_deliveries_total{event_type="product.created",outcome="retried"}`:   1,
			`shop_webhook_deliveries_total{event_type="product.created",outcome="succeeded"}`: 1,
			`shop_webhook_request_duration_seconds_count`:                                     2,
			`shop_webhook_delivery_latency_seconds_count`:                                     1,
			`shop_jobs{state="available"}`:                                                    0,
			`shop_jobs{state="retryable"}`:                                                    0,
		} {
			if got, ok := m[series]; !ok || got != want {
				t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
			}
		}
		if got := m[`shop_webhook_deliveries_total{event_type="product.created",outcome="failed"}`]; got != 0 {
			t.Errorf("failed deliveries counted: %v", got)
		}
	})
}

// scrape reads the server's /metrics (Prometheus text format) into a map
// from series (name and labels as printed) to value.
func scrape(t testing.TB, s *shop) map[string]float64 {
	t.Helper()
	body := string(s.do(t, req{method: "GET", path: "/metrics"}).wantStatus(200).Body)
	m := map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		m[line[:i]] = v
	}
	return m
}
