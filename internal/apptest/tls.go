package apptest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/app"
)

// WithTLS serves HTTPS with a fresh self-signed RSA certificate for
// 127.0.0.1 and localhost; the server's clients trust it (and only it).
func WithTLS(tb testing.TB) Option {
	tb.Helper()
	cert, key := selfSigned(tb)
	return func(cfg *app.Config) { cfg.TLSCert, cfg.TLSKey = cert, key }
}

// selfSigned writes a certificate and its key (0600) to a temporary
// directory and returns their paths.
func selfSigned(tb testing.TB) (certFile, keyFile string) {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatalf("generate key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "deploytrail test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatalf("create certificate: %v", err)
	}
	dir := tb.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(tb, certFile, "CERTIFICATE", der)
	writePEM(tb, keyFile, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	return certFile, keyFile
}

func writePEM(tb testing.TB, path, typ string, der []byte) {
	tb.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		tb.Fatalf("write %s: %v", path, err)
	}
}

// httpClient is the clients' HTTP client: over HTTPS it trusts the
// server's certificate, at most at TLS version maxVersion (0: any).
func (s *Server) httpClient(maxVersion uint16) *http.Client {
	c := &http.Client{Timeout: 30 * time.Second}
	if s.certFile == "" {
		return c
	}
	pemBytes, err := os.ReadFile(s.certFile)
	if err != nil {
		s.tb.Fatalf("read certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: maxVersion}}
	return c
}
