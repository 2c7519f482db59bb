// Package pkcs7 signs content into PEM-encoded PKCS#7 SignedData with the
// content attached and the signer's certificate included (RFC 2315): the
// PKCS7/JSON envelope AWS's CodeDeploy agents accept for deployment
// specifications. It encodes with encoding/asn1; the signature covers the
// content's SHA-256 directly (no authenticated attributes), which OpenSSL's
// PKCS7_verify accepts.
//
// It imports nothing of ours.
package pkcs7

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// Object identifiers of RFC 2315 and the algorithms used.
var (
	oidData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidSHA256     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidRSA        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
)

// contentInfo is ContentInfo with explicit [0] content.
type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	ContentInfo      contentInfo
	Certificates     asn1.RawValue // [0] IMPLICIT SET OF Certificate
	SignerInfos      []signerInfo  `asn1:"set"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type signerInfo struct {
	Version                   int
	IssuerAndSerialNumber     issuerAndSerial
	DigestAlgorithm           pkix.AlgorithmIdentifier
	DigestEncryptionAlgorithm pkix.AlgorithmIdentifier
	EncryptedDigest           []byte
}

// PEMType is the PEM block type of a signed message.
const PEMType = "PKCS7"

// Signer signs with an RSA key whose self-signed certificate travels in
// every message.
type Signer struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

// Sign returns content as PEM PKCS#7 SignedData, attached and signed.
func (s *Signer) Sign(content []byte) ([]byte, error) {
	digest := sha256.Sum256(content)
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.Key, crypto.SHA256, digest[:])
	if err != nil {
		return nil, fmt.Errorf("pkcs7: sign: %w", err)
	}
	octets, err := asn1.Marshal(content)
	if err != nil {
		return nil, err
	}
	null := asn1.RawValue{Tag: asn1.TagNull}
	sha, rsaAlg := pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: null}, pkix.AlgorithmIdentifier{Algorithm: oidRSA, Parameters: null}
	sd := signedData{
		Version:          1,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{sha},
		ContentInfo:      contentInfo{ContentType: oidData, Content: asn1.RawValue{FullBytes: explicit0(octets)}},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: s.Cert.Raw},
		SignerInfos: []signerInfo{{Version: 1,
			IssuerAndSerialNumber: issuerAndSerial{Issuer: asn1.RawValue{FullBytes: s.Cert.RawIssuer}, Serial: s.Cert.SerialNumber},
			DigestAlgorithm:       sha, DigestEncryptionAlgorithm: rsaAlg, EncryptedDigest: sig}},
	}
	inner, err := asn1.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("pkcs7: encode: %w", err)
	}
	der, err := asn1.Marshal(contentInfo{ContentType: oidSignedData, Content: asn1.RawValue{FullBytes: explicit0(inner)}})
	if err != nil {
		return nil, fmt.Errorf("pkcs7: encode: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: PEMType, Bytes: der}), nil
}

// explicit0 wraps DER in a [0] EXPLICIT tag. asn1.Marshal of the struct
// field would wrap it too, but FullBytes is written as is, so the tag is
// added here once.
func explicit0(der []byte) []byte {
	b, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: der})
	return b
}

// Verify parses a PEM message made by Sign, checks its signature against
// the certificate it carries and returns the content and that
// certificate. It checks no chain: the caller decides whether to trust
// the certificate.
func Verify(msg []byte) ([]byte, *x509.Certificate, error) {
	block, _ := pem.Decode(msg)
	if block == nil || block.Type != PEMType {
		return nil, nil, errors.New("pkcs7: not a PEM PKCS7 block")
	}
	var outer contentInfo
	if rest, err := asn1.Unmarshal(block.Bytes, &outer); err != nil || len(rest) > 0 || !outer.ContentType.Equal(oidSignedData) {
		return nil, nil, errors.New("pkcs7: not SignedData")
	}
	var sd signedData
	if _, err := asn1.Unmarshal(outer.Content.Bytes, &sd); err != nil {
		return nil, nil, fmt.Errorf("pkcs7: parse SignedData: %w", err)
	}
	var content []byte
	if _, err := asn1.Unmarshal(sd.ContentInfo.Content.Bytes, &content); err != nil || !sd.ContentInfo.ContentType.Equal(oidData) {
		return nil, nil, errors.New("pkcs7: no attached data")
	}
	cert, err := x509.ParseCertificate(sd.Certificates.Bytes)
	if err != nil || len(sd.SignerInfos) != 1 {
		return nil, nil, errors.New("pkcs7: want one certificate and one signer")
	}
	si := sd.SignerInfos[0]
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || !si.DigestAlgorithm.Algorithm.Equal(oidSHA256) || si.IssuerAndSerialNumber.Serial.Cmp(cert.SerialNumber) != 0 {
		return nil, nil, errors.New("pkcs7: signer does not match the certificate")
	}
	digest := sha256.Sum256(content)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], si.EncryptedDigest); err != nil {
		return nil, nil, fmt.Errorf("pkcs7: %w", err)
	}
	return content, cert, nil
}

// Files are where a signing key and certificate named name are kept in a
// data directory dir (earlier versions kept them there; now the
// certificate alone is written there for agents to trust, the key lives
// in the database).
func Files(dir, name string) (keyPath, certPath string) {
	return filepath.Join(dir, name+"-key.pem"), filepath.Join(dir, name+"-cert.pem")
}

// ReadFiles returns the PEM key and certificate named name in dir; an
// error wrapping fs.ErrNotExist when there is no key.
func ReadFiles(dir, name string) (keyPEM, certPEM []byte, err error) {
	keyPath, certPath := Files(dir, name)
	if keyPEM, err = os.ReadFile(keyPath); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", keyPath, err)
	}
	if certPEM, err = os.ReadFile(certPath); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", certPath, err)
	}
	if _, err := Parse(keyPEM, certPEM); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	return keyPEM, certPEM, nil
}

// Parse returns the signer of a PEM PKCS#1 key and its PEM certificate.
func Parse(keyPEM, certPEM []byte) (*Signer, error) {
	kb, cb := pemBytes(keyPEM), pemBytes(certPEM)
	if kb == nil || cb == nil {
		return nil, errors.New("signing key or certificate is not PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(kb)
	if err != nil {
		return nil, fmt.Errorf("parse signing key: %w", err)
	}
	cert, err := x509.ParseCertificate(cb)
	if err != nil {
		return nil, fmt.Errorf("parse signing certificate: %w", err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("signing certificate is not the key's")
	}
	return &Signer{Key: key, Cert: cert}, nil
}

func pemBytes(b []byte) []byte {
	if block, _ := pem.Decode(b); block != nil {
		return block.Bytes
	}
	return nil
}

// Generate makes a new RSA key and its self-signed certificate for
// commonName, PEM.
func Generate(commonName string) (keyPEM, certPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: commonName},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(20, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return keyPEM, certPEM, nil
}

// NewSigner makes a signer with a new key, for tests and one-off use.
func NewSigner(commonName string) (*Signer, error) {
	keyPEM, certPEM, err := Generate(commonName)
	if err != nil {
		return nil, err
	}
	return Parse(keyPEM, certPEM)
}
