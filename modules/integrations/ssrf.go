package integrations

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrPrivateAddress is an address outgoing webhooks may not reach: anything
// but a public unicast address (see blocked), unless
// SHOP_WEBHOOK_ALLOW_PRIVATE=true.
var ErrPrivateAddress = errors.New("the address is not a public unicast address (loopback, private, link-local, multicast, reserved or special-purpose)")

// ErrPort is a url port outside 1..65535.
var ErrPort = errors.New("the port must be from 1 to 65535")

// specialPurpose are the blocks of the IANA IPv4 and IPv6 Special-Purpose
// Address Registries (and the reserved or translation space around them)
// that are not public unicast, as far as netip's own classification does
// not already say so. An address that embeds another (IPv4-compatible,
// IPv4-translated, NAT64, 6to4, Teredo) is refused whole: the embedded
// address is one we would otherwise have to trust a relay to check.
// This is the only table; blocked is its only reader.
func specialPurpose() []netip.Prefix {
	return []netip.Prefix{
		// IPv4 (RFC 6890 and its updates).
		netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
		netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (CGNAT)
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
		netip.MustParsePrefix("192.0.2.0/24"),    // documentation TEST-NET-1
		netip.MustParsePrefix("192.88.99.0/24"),  // deprecated 6to4 relay anycast
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("198.51.100.0/24"), // documentation TEST-NET-2
		netip.MustParsePrefix("203.0.113.0/24"),  // documentation TEST-NET-3
		netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast 255.255.255.255
		// IPv6: only 2000::/3 is global unicast (checked in blocked);
		// within it:
		netip.MustParsePrefix("2001::/23"),     // IETF protocol assignments: Teredo 2001::/32, benchmarking 2001:2::/48, ORCHID
		netip.MustParsePrefix("2001:db8::/32"), // documentation
		netip.MustParsePrefix("2002::/16"),     // 6to4
		netip.MustParsePrefix("3fff::/20"),     // documentation (RFC 9637)
		netip.MustParsePrefix("5f00::/16"),     // SRv6 SIDs (RFC 9602)
	}
}

// globalUnicast6 is the IPv6 global unicast space: everything outside it
// (::/96 IPv4-compatible, ::ffff:0:0:0/96 IPv4-translated, NAT64
// 64:ff9b::/96 and 64:ff9b:1::/48, discard 100::/64, unique-local
// fc00::/7, link-local, multicast, ...) is refused.
var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// blocked reports whether webhooks must not reach ip: an allow-list, so
// anything not a public unicast address is blocked. An IPv4-mapped IPv6
// address (::ffff:a.b.c.d) is dialled as its IPv4 address and judged as
// that. It is the one rule of CheckURL (create, update) and of the
// delivery dialer's control (every connection).
func blocked(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.Zone() != "" || !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return true
	}
	if ip.Is6() && !globalUnicast6.Contains(ip) {
		return true
	}
	for _, p := range specialPurpose() {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// checkPort refuses a url port outside 1..65535 (an empty one is the
// scheme's default).
func checkPort(port string) error {
	if port == "" {
		return nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return ErrPort
	}
	return nil
}

// Guard is the SSRF guard of outgoing webhooks: on create and update it
// resolves the url's host and refuses a blocked address; at delivery its
// dialer checks the address actually connected to (so a name that resolves
// differently later, DNS rebinding, is caught too).
type Guard struct {
	AllowPrivate bool
	Resolver     *net.Resolver // nil: net.DefaultResolver
}

// CheckURL validates raw as a webhook url: absolute http or https with a
// host that is not, and does not resolve to, a blocked address. The error
// is a message for the url field.
func (g Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return errors.New("must be an absolute http or https URL")
	}
	if u.User != nil {
		return errors.New("must not carry credentials")
	}
	if u.Fragment != "" {
		return errors.New("must not have a fragment")
	}
	if err := checkPort(u.Port()); err != nil {
		return err
	}
	if g.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if blocked(ip) {
			return ErrPrivateAddress
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return fmt.Errorf("host %q does not resolve", host)
	}
	for _, a := range addrs {
		if blocked(a) {
			return fmt.Errorf("host %q resolves to %s: %w", host, a.Unmap(), ErrPrivateAddress)
		}
	}
	return nil
}

// control refuses a connection to a blocked address, unless allowed. It
// runs for every address the dialer tries, after name resolution.
func (g Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook address %q: %w", address, err)
	}
	if ap.Port() == 0 {
		return fmt.Errorf("webhook address %s: %w", address, ErrPort)
	}
	if !g.AllowPrivate && blocked(ap.Addr()) {
		return fmt.Errorf("webhook address %s: %w", ap.Addr().Unmap(), ErrPrivateAddress)
	}
	return nil
}

// Dialer returns a dialer whose connections pass the guard.
func (g Guard) Dialer() *net.Dialer {
	return &net.Dialer{Timeout: 5 * time.Second, Control: g.control}
}
