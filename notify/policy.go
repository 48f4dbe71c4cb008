package notify

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/intakehq/intake"
)

// Policy says which addresses channels may reach. By default only public
// ones over HTTPS: an alert channel must not become a way into the
// network intake runs in (its metadata service, its database).
type Policy struct {
	// AllowPrivate also allows loopback, private and link-local
	// addresses, and plain http (INTAKE_ALERTS_ALLOW_PRIVATE).
	AllowPrivate bool
}

// maxURL bounds a channel's URL.
const maxURL = 2048

// lookupTimeout bounds the name lookup of a channel's check.
const lookupTimeout = 5 * time.Second

// notPublic are the ranges no channel may reach without AllowPrivate,
// besides those netip.Addr classifies (loopback, private, link-local,
// multicast, unspecified).
var notPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("::/96"),         // IPv4-compatible
	netip.MustParsePrefix("fec0::/10"),     // site-local
	netip.MustParsePrefix("2002::/16"),     // 6to4, which can carry a private IPv4
	netip.MustParsePrefix("100::/64"),      // discard
	netip.MustParsePrefix("2001:db8::/32"), // documentation
}

// CheckChannel validates channel i as it is saved, naming the field
// (channels[i].url, …) of what is wrong. Its host is resolved and every
// address it has must be allowed.
func (p Policy) CheckChannel(ctx context.Context, i int, ch Channel) error {
	field := func(name string) string { return fmt.Sprintf("channels[%d].%s", i, name) }
	if ch.Type != TypeWebhook && ch.Type != TypeSlack {
		return intake.Invalid(field("type"), "a channel's type is %q or %q", TypeWebhook, TypeSlack)
	}
	u, err := url.Parse(ch.URL)
	switch {
	case len(ch.URL) > maxURL:
		return intake.Invalid(field("url"), "the URL is longer than %d characters", maxURL)
	case err != nil || !u.IsAbs() || u.Hostname() == "":
		return intake.Invalid(field("url"), "the URL must be absolute, such as https://hooks.example.com/alerts")
	case u.User != nil:
		return intake.Invalid(field("url"), "the URL may not carry a user or password")
	case u.Scheme == "http" && !p.AllowPrivate:
		return intake.Invalid(field("url"), "the URL must be https (http only with INTAKE_ALERTS_ALLOW_PRIVATE=true)")
	case u.Scheme != "https" && u.Scheme != "http":
		return intake.Invalid(field("url"), "the URL must be https")
	}
	if err := p.checkHost(ctx, u.Hostname()); err != nil {
		return intake.Invalid(field("url"), "%v", err)
	}
	return checkSecret(field("secret"), ch)
}

func (p Policy) checkHost(ctx context.Context, host string) error {
	if addr, err := netip.ParseAddr(host); err == nil {
		return p.checkAddr(addr)
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(addrs) == 0 {
		return fmt.Errorf("the URL's host does not resolve")
	}
	for _, a := range addrs {
		addr, _ := netip.AddrFromSlice(a.IP)
		if err := p.checkAddr(addr); err != nil {
			return err
		}
	}
	return nil
}

// checkDial is the dialer's Control: it sees the address actually being
// connected to, after every lookup, so a name that resolved to a public
// address when saved and to a private one now still reaches nothing.
func (p Policy) checkDial(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: not an IP address", ErrRefused)
	}
	return p.checkAddr(ap.Addr())
}

// checkAddr refuses an address that is not public, unless allowed. The
// error names the kind of address, never the address: the message may
// reach whoever saved the channel, and should not map the network.
func (p Policy) checkAddr(addr netip.Addr) error {
	if p.AllowPrivate {
		return nil
	}
	// The IPv4 rules must apply to ::ffff:a.b.c.d too, and a zone would
	// make every prefix test false.
	addr = addr.Unmap().WithZone("")
	kind := ""
	switch {
	case !addr.IsValid():
		kind = "an unknown"
	case addr.IsLoopback():
		kind = "a loopback"
	case addr.IsPrivate():
		kind = "a private"
	case addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast():
		kind = "a link-local"
	case addr.IsUnspecified():
		kind = "an unspecified"
	case addr.IsMulticast():
		kind = "a multicast"
	case slices.ContainsFunc(notPublic, func(pre netip.Prefix) bool { return pre.Contains(addr) }):
		kind = "a reserved"
	default:
		return nil
	}
	return fmt.Errorf("%w: the channel's host is %s address; set INTAKE_ALERTS_ALLOW_PRIVATE=true to allow it", ErrRefused, kind)
}

func checkSecret(field string, ch Channel) error {
	if ch.Secret == "" {
		return nil
	}
	if ch.Type == TypeSlack {
		return intake.Invalid(field, "a slack channel takes no secret: its URL is its credential")
	}
	if rest, ok := strings.CutPrefix(ch.Secret, secretPrefix); ok {
		key, err := base64.StdEncoding.DecodeString(rest)
		if err != nil || len(key) < 24 || len(key) > 64 {
			return intake.Invalid(field, "a whsec_ secret is base64 of 24 to 64 bytes after its prefix")
		}
		return nil
	}
	if len(ch.Secret) < 16 || len(ch.Secret) > 256 {
		return intake.Invalid(field, "a secret has 16 to 256 characters, or is whsec_ and base64")
	}
	return nil
}
