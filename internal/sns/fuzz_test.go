package sns

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// FuzzCheckEndpoint runs Subscribe's endpoint check over arbitrary URLs
// with the default (nothing allowed): it must not panic, and an endpoint
// it accepts must not name a loopback, link-local, private or unspecified
// address literally.
func FuzzCheckEndpoint(f *testing.F) {
	for _, s := range []string{
		"http://example.com/hook", "https://192.0.2.1:8443/x", "http://127.0.0.1:9/", "http://[::1]/",
		"http://[::ffff:127.0.0.1]/", "http://169.254.169.254/latest", "http://0.0.0.0/", "http://localhost./",
		"http://2130706433/", "http://0x7f.1/", "http://[fe80::1%25eth0]/", "http://a:b@10.0.0.1:99999/", "",
	} {
		f.Add(s)
	}
	var e Egress
	f.Fuzz(func(t *testing.T, endpoint string) {
		if e.CheckEndpoint(endpoint) != nil {
			return
		}
		u, err := url.Parse(endpoint)
		if err != nil {
			t.Fatalf("accepted %q, which does not parse", endpoint)
		}
		ip, err := netip.ParseAddr(strings.TrimSuffix(u.Hostname(), "."))
		if err != nil {
			return // a host name: checked at each delivery
		}
		if kind := refusedKind(ip.Unmap()); kind != "" {
			t.Fatalf("accepted %q, a %s address", endpoint, kind)
		}
	})
}
