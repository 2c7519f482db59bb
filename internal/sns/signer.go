package sns

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// CertPathPrefix is where the signing certificate is served: subscribers
// fetch SigningCertURL to verify envelopes, without credentials.
const CertPathPrefix = "/_deploytrail/sns/"

// Signer signs envelopes with the server's SNS key, whose self-signed
// certificate subscribers fetch from SigningCertURL. The key and
// certificate are kept (by the caller, in the database every node shares)
// across restarts, so that envelopes queued before a restart, or by
// another node, still verify.
type Signer struct {
	key      *rsa.PrivateKey
	certPEM  []byte
	certName string // SimpleNotificationService-<hex>.pem
}

// SignerFiles are where earlier versions kept the signing key and
// certificate, in the data directory dir: read once to import them.
func SignerFiles(dir string) (keyPath, certPath string) {
	return filepath.Join(dir, "sns-signing-key.pem"), filepath.Join(dir, "sns-signing-cert.pem")
}

// ReadSignerFiles returns the PEM key and certificate kept in dir by an
// earlier version; an error wrapping fs.ErrNotExist when there is no key.
func ReadSignerFiles(dir string) (keyPEM, certPEM []byte, err error) {
	keyPath, certPath := SignerFiles(dir)
	if keyPEM, err = os.ReadFile(keyPath); err != nil {
		return nil, nil, fmt.Errorf("read SNS signing key: %w", err)
	}
	if certPEM, err = os.ReadFile(certPath); err != nil {
		return nil, nil, fmt.Errorf("read SNS signing certificate: %w", err)
	}
	if _, err := ParseSigner(keyPEM, certPEM); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	return keyPEM, certPEM, nil
}

// ParseSigner returns the signer of a PEM PKCS#1 key and its PEM
// certificate.
func ParseSigner(keyPEM, certPEM []byte) (*Signer, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("SNS signing key is not PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse SNS signing key: %w", err)
	}
	cb, _ := pem.Decode(certPEM)
	if cb == nil {
		return nil, errors.New("SNS signing certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse SNS signing certificate: %w", err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("SNS signing certificate is not the key's")
	}
	return newSigner(key, certPEM), nil
}

// GenerateSigner makes a new signing key and its self-signed certificate,
// PEM.
func GenerateSigner() (keyPEM, certPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	if certPEM, err = selfSigned(key); err != nil {
		return nil, nil, err
	}
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return keyPEM, certPEM, nil
}

func selfSigned(key *rsa.PrivateKey) ([]byte, error) {
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "sns.deploytrail.local", Organization: []string{"deploytrail"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create SNS signing certificate: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func newSigner(key *rsa.PrivateKey, certPEM []byte) *Signer {
	sum := sha256.Sum256(certPEM)
	return &Signer{key: key, certPEM: certPEM, certName: "SimpleNotificationService-" + hex.EncodeToString(sum[:16]) + ".pem"}
}

// Sign returns the base64 signature of stringToSign: RSA PKCS#1 v1.5 over
// SHA1 for SignatureVersion "1", SHA256 for "2".
func (s *Signer) Sign(version, stringToSign string) (string, error) {
	hash, digest := crypto.SHA1, sha1Sum(stringToSign)
	if version == "2" {
		hash, digest = crypto.SHA256, sha256Sum(stringToSign)
	}
	sig, err := rsa.SignPKCS1v15(nil, s.key, hash, digest)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

func sha1Sum(s string) []byte {
	sum := sha1.Sum([]byte(s))
	return sum[:]
}

func sha256Sum(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// CertPath is the URL path of the signing certificate.
func (s *Signer) CertPath() string { return CertPathPrefix + s.certName }

// ServeHTTP serves the signing certificate (PEM) at CertPath.
func (s *Signer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != s.CertPath() || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Write(s.certPEM)
}
