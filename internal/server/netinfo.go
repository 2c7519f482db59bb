package server

import (
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// SourceIP is the address r came from as records show it (sourceIP).
func (s *Server) SourceIP(r *http.Request) string { return s.sourceIP(r) }

// sourceIP is the TCP peer, or, when the peer is a trusted proxy, the
// nearest untrusted address of X-Forwarded-For.
func (s *Server) sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !s.trusted(addr) {
			return addr.Unmap().String()
		}
	}
	return host
}

func (s *Server) trusted(addr netip.Addr) bool {
	for _, p := range s.TrustedProxies {
		if p.Contains(addr.Unmap()) {
			return true
		}
	}
	return false
}

// openSSLNames maps Go's (IANA) cipher suite names to the OpenSSL names
// CloudTrail's tlsDetails uses for TLS 1.2; TLS 1.3 names are the same in
// both.
var openSSLNames = map[string]string{
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256":         "ECDHE-RSA-AES128-GCM-SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384":         "ECDHE-RSA-AES256-GCM-SHA384",
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256":       "ECDHE-ECDSA-AES128-GCM-SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384":       "ECDHE-ECDSA-AES256-GCM-SHA384",
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256":   "ECDHE-RSA-CHACHA20-POLY1305",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
}

// keyExchanges names key exchanges as CloudTrail's tlsDetails.keyExchange
// does; one missing here is left out of the record.
var keyExchanges = map[tls.CurveID]string{
	tls.X25519: "x25519", tls.X25519MLKEM768: "X25519MLKEM768",
	tls.CurveP256: "secp256r1", tls.CurveP384: "secp384r1", tls.CurveP521: "secp521r1",
}

// tlsDetails describes the connection for CloudTrail; nil over plain HTTP.
func tlsDetails(r *http.Request) *awsproto.TLSDetails {
	if r.TLS == nil {
		return nil
	}
	suite := tls.CipherSuiteName(r.TLS.CipherSuite)
	if name, ok := openSSLNames[suite]; ok {
		suite = name
	}
	version := map[uint16]string{tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3", tls.VersionTLS11: "TLSv1.1", tls.VersionTLS10: "TLSv1"}[r.TLS.Version]
	return &awsproto.TLSDetails{Version: version, CipherSuite: suite, Host: r.Host, KeyExchange: keyExchanges[r.TLS.CurveID]}
}

// newRequestID returns a random (version 4) UUID.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
