package integrations

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrPrivateAddress is an address outgoing webhooks may not reach (loopback,
// private, link-local, multicast, unspecified, shared CGNAT space) unless
// SHOP_WEBHOOK_ALLOW_PRIVATE=true.
var ErrPrivateAddress = errors.New("the address is loopback, private, link-local or multicast")

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// blocked reports whether ip is an address webhooks must not reach.
func blocked(ip netip.Addr) bool {
	ip = ip.Unmap()
	return !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() ||
		ip.IsUnspecified() || cgnat.Contains(ip) || (ip.Is4() && ip.As4()[0] == 0)
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
	if g.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook address %q: %w", address, err)
	}
	if blocked(ap.Addr()) {
		return fmt.Errorf("webhook address %s: %w", ap.Addr().Unmap(), ErrPrivateAddress)
	}
	return nil
}

// Dialer returns a dialer whose connections pass the guard.
func (g Guard) Dialer() *net.Dialer {
	return &net.Dialer{Timeout: 5 * time.Second, Control: g.control}
}
