package sns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// Egress guards where SNS deliveries go, against server-side request
// forgery: a subscriber must not make the server POST to itself, to
// services on its loopback interface, to a cloud metadata address
// (169.254.169.254) or into private networks. Such addresses are refused
// unless the operator allows them: at Subscribe when the endpoint names
// an address, and at every delivery for each address its host resolves
// to. Each connection is checked again on the address actually dialed, so
// neither DNS rebinding nor a redirect gets round the check.
//
// The fields are set before the service serves.
type Egress struct {
	// AllowedNetworks are the networks the operator trusts, refused ones
	// included (e.g. 10.0.0.0/8 for internal subscribers).
	AllowedNetworks []netip.Prefix
	// AllowedHosts are host names the operator trusts, whatever they
	// resolve to; exact names, compared case-insensitively.
	AllowedHosts []string
	// LookupNetIP resolves host names (net.DefaultResolver's).
	LookupNetIP func(ctx context.Context, network, host string) ([]netip.Addr, error)

	// own holds the addresses the server listens on: never a destination,
	// even in an allowed network.
	own atomic.Pointer[ownAddrs]
}

// ownAddrs are the server's listening address and, for a listener on an
// unspecified address, the machine's own addresses it then answers on.
type ownAddrs struct {
	listen netip.AddrPort
	local  []netip.Addr
}

var (
	thisNetwork        = netip.MustParsePrefix("0.0.0.0/8")
	sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT
	nat64              = netip.MustParsePrefix("64:ff9b::/96")
	broadcast          = netip.MustParseAddr("255.255.255.255")
)

// RefusedError is a destination the guard refuses.
type RefusedError struct {
	Addr netip.AddrPort
	// Kind is why: "loopback", "link-local", "unspecified", "private",
	// "multicast", "broadcast" or "the server's own".
	Kind string
}

func (e *RefusedError) Error() string {
	if e.Kind == kindOwn {
		return fmt.Sprintf("%s is the server's own address; deploytrail never sends SNS messages to itself", e.Addr)
	}
	article := "a"
	if e.Kind == "unspecified" {
		article = "an"
	}
	return fmt.Sprintf("%s is %s %s address; deploytrail sends SNS messages there only if the operator allows its network", e.Addr.Addr(), article, e.Kind)
}

const kindOwn = "the server's own"

// SetOwnAddress records the address the server listens on (a *net.TCPAddr).
func (e *Egress) SetOwnAddress(addr net.Addr) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return // not a TCP listener: no address a subscriber could name
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())
	own := &ownAddrs{listen: ap}
	if ap.Addr().IsUnspecified() {
		own.local = interfaceAddrs()
	}
	e.own.Store(own)
}

func interfaceAddrs() []netip.Addr {
	addrs, _ := net.InterfaceAddrs()
	var out []netip.Addr
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().Unmap().WithZone(""))
		}
	}
	return out
}

// check refuses ap unless it may be sent to: never the server's own
// address; otherwise anything in an allowed network, and anything not of
// a refused kind.
func (e *Egress) check(ap netip.AddrPort) error {
	ap = netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())
	if e.isOwn(ap) {
		return &RefusedError{Addr: ap, Kind: kindOwn}
	}
	for _, n := range e.AllowedNetworks {
		if n.Contains(ap.Addr()) {
			return nil
		}
	}
	if kind := refusedKind(ap.Addr()); kind != "" {
		return &RefusedError{Addr: ap, Kind: kind}
	}
	return nil
}

func (e *Egress) isOwn(ap netip.AddrPort) bool {
	own := e.own.Load()
	if own == nil || own.listen.Port() != ap.Port() {
		return false
	}
	if own.listen.Addr() == ap.Addr() {
		return true
	}
	// A listener on 0.0.0.0 or :: answers on every local address.
	ip := ap.Addr()
	return own.listen.Addr().IsUnspecified() && (ip.IsLoopback() || ip.IsUnspecified() || slices.Contains(own.local, ip))
}

// refusedKind names why ip is refused by default, or "" when it is not.
func refusedKind(ip netip.Addr) string {
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsUnspecified() || thisNetwork.Contains(ip):
		return "unspecified"
	case ip.IsPrivate() || sharedAddressSpace.Contains(ip):
		return "private"
	case ip.IsMulticast():
		return "multicast"
	case ip == broadcast:
		return "broadcast"
	case nat64.Contains(ip): // reaches the IPv4 address it embeds
		b := ip.As16()
		return refusedKind(netip.AddrFrom4([4]byte(b[12:])))
	}
	return ""
}

// hostAllowed tells whether the operator trusts host by name.
func (e *Egress) hostAllowed(host string) bool {
	host = strings.TrimSuffix(host, ".")
	for _, h := range e.AllowedHosts {
		if strings.EqualFold(strings.TrimSuffix(h, "."), host) {
			return true
		}
	}
	return false
}

// CheckEndpoint is Subscribe's check of an http or https endpoint URL: an
// address it names must not be refused. A host name is checked at each
// delivery instead, on what it then resolves to (resolving it here would
// hold the call's transaction open on DNS, and prove nothing about later).
func (e *Egress) CheckEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return invalidParameter("Endpoint Reason: not a valid http or https URL")
	}
	// A fully qualified name ("localhost.") is the same host.
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return invalidParameter("Endpoint Reason: not a valid http or https URL")
	}
	port, err := endpointPort(u)
	if err != nil {
		return invalidParameter("Endpoint Reason: not a valid port")
	}
	if e.hostAllowed(host) {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	switch {
	case err == nil:
	case host == "localhost" || strings.HasSuffix(host, ".localhost"):
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1}) // RFC 6761: always loopback
	case numericHost(host):
		// 127.1, 2130706433, 0x7f.1: resolvers read these as addresses.
		return invalidParameter("Endpoint Reason: the host is neither an IP address nor a host name")
	default:
		return nil
	}
	if err := e.check(netip.AddrPortFrom(ip, port)); err != nil {
		return invalidParameter("Endpoint Reason: %v", err)
	}
	return nil
}

func endpointPort(u *url.URL) (uint16, error) {
	if u.Port() == "" {
		if strings.EqualFold(u.Scheme, "https") {
			return 443, nil
		}
		return 80, nil
	}
	p, err := strconv.ParseUint(u.Port(), 10, 16)
	return uint16(p), err
}

// numericHost tells a host whose last label is a number (no top-level
// domain is), which resolvers may take for a shorthand IPv4 address.
func numericHost(host string) bool {
	last := host[strings.LastIndex(host, ".")+1:]
	if strings.HasPrefix(last, "0x") {
		return true
	}
	_, err := strconv.ParseUint(last, 10, 64)
	return err == nil
}

// DialContext connects a delivery to addr ("host:port"): it resolves the
// host, refuses the delivery if any address it resolves to is refused,
// and dials the checked addresses; the dialer checks the address of each
// connection again, as it is made.
func (e *Egress) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("port %q: %w", portText, err)
	}
	trusted := e.hostAllowed(host)
	ips, err := e.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	for _, ip := range ips {
		if err := e.checkDialed(netip.AddrPortFrom(ip, uint16(port)), trusted); err != nil {
			return nil, fmt.Errorf("%s: %w", host, err)
		}
	}
	d := net.Dialer{Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return err
		}
		return e.checkDialed(ap, trusted)
	}}
	var errs []error
	for _, ip := range ips {
		conn, err := d.DialContext(ctx, network, netip.AddrPortFrom(ip, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// checkDialed checks an address about to be connected to; a host the
// operator trusts by name may be anywhere but the server itself.
func (e *Egress) checkDialed(ap netip.AddrPort, trusted bool) error {
	if trusted {
		if ap = netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port()); e.isOwn(ap) {
			return &RefusedError{Addr: ap, Kind: kindOwn}
		}
		return nil
	}
	return e.check(ap)
}

func (e *Egress) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	lookup := e.LookupNetIP
	if lookup == nil {
		lookup = net.DefaultResolver.LookupNetIP
	}
	ips, err := lookup(ctx, "ip", host)
	if err == nil && len(ips) == 0 {
		err = fmt.Errorf("%s resolves to no address", host)
	}
	return ips, err
}

// Transport is the HTTP transport deliveries use: every connection goes
// through DialContext, and never through a proxy (which would connect on
// the server's behalf, unchecked).
func (e *Egress) Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = e.DialContext
	return t
}
