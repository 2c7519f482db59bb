package sns_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/sns"
)

func TestEgress_CheckEndpoint(t *testing.T) {
	e := &sns.Egress{}
	e.SetOwnAddress(&net.TCPAddr{IP: net.IPv4zero, Port: 4590})
	tests := []struct {
		endpoint string
		refused  string // what the message must say; "" means accepted
	}{
		{"http://127.0.0.1:8080/internal-admin?x=1", "loopback"},
		{"http://127.9.9.9/", "loopback"},
		{"http://[::1]:8080/", "loopback"},
		{"http://[::ffff:127.0.0.1]/", "loopback"},
		{"http://[64:ff9b::7f00:1]/", "loopback"}, // NAT64 of 127.0.0.1
		{"http://localhost:8080/", "loopback"},
		{"http://LOCALHOST./", "loopback"},
		{"http://api.localhost/", "loopback"},
		{"http://169.254.169.254/latest/meta-data/", "link-local"},
		{"http://[fe80::1%25eth0]/", "link-local"},
		{"http://0.0.0.0:8080/", "unspecified"},
		{"http://[::]/", "unspecified"},
		{"http://0.1.2.3/", "unspecified"},
		{"http://10.0.0.1/", "private"},
		{"http://172.16.0.1/", "private"},
		{"http://192.168.0.1/", "private"},
		{"http://100.64.0.1/", "private"},
		{"http://[fd00::1]/", "private"},
		{"http://224.0.0.1/", "link-local"},
		{"http://239.1.2.3/", "multicast"},
		{"http://255.255.255.255/", "broadcast"},
		{"http://127.1/", "neither an IP address nor a host name"},
		{"http://2130706433/", "neither an IP address nor a host name"},
		{"http://0x7f.1/", "neither an IP address nor a host name"},
		{"https://user:pw@hooks.example.com/", ""}, // basic auth, as SNS allows
		{"http://hooks.example.com:99999/", "not a valid port"},
		{"http://%zz/", "not a valid http or https URL"},
		{"http://./", "not a valid http or https URL"},
		{"http://93.184.215.14/hook", ""},
		{"https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/", ""},
		{"https://hooks.example.com/sns", ""}, // names are checked at delivery
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			err := e.CheckEndpoint(tt.endpoint)
			switch {
			case tt.refused == "" && err != nil:
				t.Fatalf("err=%v, want accepted", err)
			case tt.refused != "" && (err == nil || !strings.Contains(err.Error(), tt.refused)):
				t.Fatalf("err=%v, want refused: %s", err, tt.refused)
			}
		})
	}
}

func TestEgress_Allowed(t *testing.T) {
	e := &sns.Egress{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.1.0.0/16")},
		AllowedHosts: []string{"Hooks.Internal"}}
	e.SetOwnAddress(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4590})
	for endpoint, wantErr := range map[string]bool{
		"http://127.0.0.1:8080/":  false,
		"http://localhost:8080/":  false,
		"http://10.1.2.3/":        false,
		"http://10.2.0.1/":        true,
		"http://hooks.internal/":  false,
		"http://127.0.0.1:4590/":  true, // the server itself, although loopback is allowed
		"http://localhost:4590/":  true,
		"http://[::1]:8080/":      true, // only 127.0.0.0/8 is allowed
		"http://169.254.169.254/": true,
	} {
		if err := e.CheckEndpoint(endpoint); (err != nil) != wantErr {
			t.Errorf("CheckEndpoint(%s)=%v, want error %v", endpoint, err, wantErr)
		}
	}
}

// Delivery checks what a name resolves to at the time, so a name that
// passed Subscribe and then resolves to a refused address (DNS
// rebinding) gets no connection; a name the operator trusts does.
func TestEgress_DialChecksResolvedAddresses(t *testing.T) {
	hits := 0
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer target.Close()
	_, port, _ := net.SplitHostPort(target.Listener.Addr().String())
	resolved := map[string][]netip.Addr{
		"rebind.example":  {netip.MustParseAddr("127.0.0.1")},
		"mixed.example":   {netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("127.0.0.1")},
		"trusted.example": {netip.MustParseAddr("127.0.0.1")},
	}
	e := &sns.Egress{AllowedHosts: []string{"trusted.example"},
		LookupNetIP: func(_ context.Context, _, host string) ([]netip.Addr, error) { return resolved[host], nil }}
	client := &http.Client{Transport: e.Transport()}
	for _, host := range []string{"rebind.example", "mixed.example", "127.0.0.1", "[::ffff:127.0.0.1]"} {
		if e.CheckEndpoint("http://"+host+":"+port+"/") != nil && strings.HasSuffix(host, ".example") {
			t.Fatalf("Subscribe would refuse %s, which only resolution can tell", host)
		}
		_, err := client.Post("http://"+host+":"+port+"/", "text/plain", strings.NewReader("x"))
		var refused *sns.RefusedError
		if !errors.As(err, &refused) || refused.Kind != "loopback" {
			t.Errorf("POST to %s: err=%v, want refused as loopback", host, err)
		}
	}
	if hits != 0 {
		t.Fatalf("the loopback server got %d requests", hits)
	}
	resp, err := client.Post("http://trusted.example:"+port+"/", "text/plain", strings.NewReader("x"))
	if err != nil || resp.StatusCode != http.StatusOK || hits != 1 {
		t.Fatalf("POST to a trusted name: %v, hits=%d, want delivered", err, hits)
	}
	resp.Body.Close()
}

// A redirect to a refused address is not followed there.
func TestEgress_RedirectIsChecked(t *testing.T) {
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer internal.Close()
	e := &sns.Egress{AllowedHosts: []string{"public.example"},
		LookupNetIP: func(_ context.Context, _, _ string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil // where the redirecting server listens
		}}
	redirect := httptest.NewServer(http.RedirectHandler(internal.URL+"/internal-admin", http.StatusTemporaryRedirect))
	defer redirect.Close()
	_, port, _ := net.SplitHostPort(redirect.Listener.Addr().String())
	_, err := (&http.Client{Transport: e.Transport()}).Post("http://public.example:"+port+"/", "text/plain", strings.NewReader("x"))
	var refused *sns.RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("POST redirected to %s: err=%v, want refused", internal.URL, err)
	}
}

// A server listening on every address is itself at each of the machine's
// addresses (on its port), even where every network is allowed.
func TestEgress_OwnAddressOfUnspecifiedListener(t *testing.T) {
	e := &sns.Egress{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}}
	e.SetOwnAddress(&net.TCPAddr{IP: net.IPv6unspecified, Port: 4590})
	addrs, err := net.InterfaceAddrs()
	if err != nil || len(addrs) == 0 {
		t.Skipf("no interface addresses: %v", err)
	}
	for _, a := range addrs {
		ip := netip.MustParsePrefix(a.String()).Addr()
		if ip.Zone() != "" || ip.IsLinkLocalUnicast() {
			continue // a URL cannot name these without a zone
		}
		host := netip.AddrPortFrom(ip, 4590).String()
		if err := e.CheckEndpoint("http://" + host + "/"); err == nil || !strings.Contains(err.Error(), "own address") {
			t.Errorf("CheckEndpoint(%s)=%v, want the server's own address", host, err)
		}
		if other := netip.AddrPortFrom(ip, 4591).String(); e.CheckEndpoint("http://"+other+"/") != nil {
			t.Errorf("CheckEndpoint(%s) refused another port of an allowed address", other)
		}
	}
}
