package integrations

import (
	"net/netip"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestBackoff_DefaultCoversADay(t *testing.T) {
	b := Backoff{Base: 30 * time.Second, Cap: 6 * time.Hour, Window: 25 * time.Hour}
	n := b.MaxAttempts()
	var total time.Duration
	for i := 1; i < n; i++ {
		d := b.nominal(i)
		if d > b.Cap {
			t.Fatalf("delay %d is %v, above the cap", i, d)
		}
		total += d
	}
	if total < 24*time.Hour {
		t.Fatalf("%d attempts span %v, want at least 24h", n, total)
	}
	if n != 14 {
		t.Fatalf("%d attempts, want 14 for the default schedule", n)
	}
	now := time.Now()
	for i := 1; i < n; i++ {
		next := b.Next(now, i)
		if d := next.Sub(now); d < b.nominal(i) || d > b.nominal(i)*5/4 {
			t.Fatalf("attempt %d: delay %v outside [nominal, nominal+25%%]", i, d)
		}
	}
}

// TestSign_ReferenceLibraryVerifies signs with our code and verifies with
// the Standard Webhooks reference library, and checks the spec's published
// example vector.
func TestSign_ReferenceLibraryVerifies(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"test": 2432232314}`)
	sig, err := Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; sig != want {
		t.Fatalf("signature %s, want the spec's %s", sig, want)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Now().Unix()
	sig, _ = Sign(secret, "evt_1", ts, body)
	h := map[string][]string{"Webhook-Id": {"evt_1"}, "Webhook-Timestamp": {strconv.FormatInt(ts, 10)}, "Webhook-Signature": {sig}}
	if err := wh.Verify(body, h); err != nil {
		t.Fatalf("reference library refuses our signature: %v", err)
	}
}

func TestBlocked(t *testing.T) {
	for _, a := range []string{"127.0.0.1", "10.0.0.1", "::1", "172.16.3.4", "192.168.1.1", "169.254.169.254", "fe80::1", "fc00::1", "224.0.0.1", "0.0.0.0", "100.64.0.1", "::ffff:127.0.0.1"} {
		if !blocked(netip.MustParseAddr(a)) {
			t.Errorf("%s is allowed", a)
		}
	}
	for _, a := range []string{"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"} {
		if blocked(netip.MustParseAddr(a)) {
			t.Errorf("%s is blocked", a)
		}
	}
}
