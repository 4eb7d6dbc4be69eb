package integrations

import (
	"context"
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

// TestBlocked is issue 18 item 5: the guard is an allow-list of public
// unicast addresses. Before, every address of issue 18 marked "issue" was
// allowed at create and at dial.
func TestBlocked(t *testing.T) {
	t.Parallel()
	refused := []string{
		// Round 2's list.
		"127.0.0.1", "10.0.0.1", "::1", "172.16.3.4", "192.168.1.1", "169.254.169.254", "fe80::1", "fc00::1",
		"224.0.0.1", "0.0.0.0", "100.64.0.1", "::ffff:127.0.0.1", "::",
		// Issue 18: IPv4-compatible, IPv4-translated, NAT64 (the metadata
		// address too), 6to4, Teredo, IETF, benchmarking, reserved,
		// broadcast.
		"::127.0.0.1", "::ffff:0:127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::a9fe:a9fe",
		"2002:7f00:1::", "2001::", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "192.0.0.1", "192.0.0.170",
		"198.18.0.1", "198.19.255.255", "240.0.0.1", "255.255.255.255",
		// Documentation, deprecated relays, multicast, discard, unique
		// and site local, benchmarking v6, ORCHID, SRv6.
		"192.0.2.1", "198.51.100.1", "203.0.113.1", "192.88.99.1", "2001:db8::1", "3fff::1",
		"ff02::1", "ff0e::1", "100::1", "fd00::1", "fec0::1", "2001:2::1", "2001:20::1", "5f00::1",
		"::ffff:10.0.0.1", "::ffff:169.254.169.254", "0.1.2.3",
	}
	for _, a := range refused {
		if !blocked(netip.MustParseAddr(a)) {
			t.Errorf("%s is allowed", a)
		}
	}
	for _, a := range []string{"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8", "1.1.1.1", "2a00:1450:4001:82a::200e", "::ffff:93.184.216.34", "100.128.0.1", "198.20.0.1"} {
		if blocked(netip.MustParseAddr(a)) {
			t.Errorf("%s is blocked", a)
		}
	}
}

// TestGuard_CheckURL holds create/update and the dialer to the same rule:
// every url of issue 18 item 5, literal and with a port outside 1..65535,
// is refused by CheckURL, and the dialer's control refuses the addresses.
func TestGuard_CheckURL(t *testing.T) {
	t.Parallel()
	g := Guard{}
	for _, u := range []string{
		"http://[::127.0.0.1]/", "http://[::ffff:0:127.0.0.1]/", "http://[64:ff9b::7f00:1]/", "http://[64:ff9b::a9fe:a9fe]/latest",
		"http://[2002:7f00:1::]/", "http://[2001::]/", "http://192.0.0.1/", "http://198.18.0.1/", "http://240.0.0.1/",
		"http://255.255.255.255/", "http://[::ffff:127.0.0.1]:8080/",
		"http://93.184.216.34:0/", "http://93.184.216.34:65536/", "http://93.184.216.34:99999/",
	} {
		if err := g.CheckURL(context.Background(), u); err == nil {
			t.Errorf("%s is allowed", u)
		}
	}
	for _, u := range []string{"http://93.184.216.34/", "https://93.184.216.34:1/", "http://93.184.216.34:65535/", "http://[2606:2800:220:1:248:1893:25c8:1946]:8443/x"} {
		if err := g.CheckURL(context.Background(), u); err != nil {
			t.Errorf("%s is refused: %v", u, err)
		}
	}
	for _, a := range []string{"[::127.0.0.1]:80", "[64:ff9b::a9fe:a9fe]:80", "[2001::1]:443", "198.18.0.1:80", "93.184.216.34:0"} {
		if err := g.control("tcp", a, nil); err == nil {
			t.Errorf("dial %s is allowed", a)
		}
	}
	if err := g.control("tcp", "93.184.216.34:443", nil); err != nil {
		t.Errorf("dial a public address: %v", err)
	}
	if err := (Guard{AllowPrivate: true}).CheckURL(context.Background(), "http://127.0.0.1:0/"); err == nil {
		t.Error("port 0 is allowed when private addresses are")
	}
}
