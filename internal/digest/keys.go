package digest

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// KeyBits is the size of the RSA keys we generate, as AWS uses (§9.7).
const KeyBits = 2048

// ErrBadPublicKey means public key bytes are not a PKCS#1 RSAPublicKey
// (the CLI: "Unable to load PKCS #1 key").
var ErrBadPublicKey = errors.New("unable to load PKCS #1 public key")

// pemType is the PEM block type of a PKCS#1 RSA private key.
const pemType = "RSA PRIVATE KEY"

// KeyPair is a Region's signing key. Its public half is published through
// ListPublicKeys as [KeyPair.PublicKeyDER] under [KeyPair.Fingerprint].
type KeyPair struct {
	Private *rsa.PrivateKey
}

// GenerateKeyPair makes a new RSA-2048 key pair.
func GenerateKeyPair() (*KeyPair, error) {
	k, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("generate digest key: %w", err)
	}
	return &KeyPair{Private: k}, nil
}

// PublicKeyDER is the public key as ListPublicKeys returns it in Value
// (before base64): DER of a PKCS#1 RSAPublicKey, not SubjectPublicKeyInfo,
// because the CLI loads PKCS#1 only.
func (k *KeyPair) PublicKeyDER() []byte { return x509.MarshalPKCS1PublicKey(&k.Private.PublicKey) }

// Fingerprint is the fingerprint of the public key (see [Fingerprint]).
func (k *KeyPair) Fingerprint() string { return Fingerprint(k.PublicKeyDER()) }

// MarshalDER is the private key as PKCS#1 DER, for storing on disk.
func (k *KeyPair) MarshalDER() []byte { return x509.MarshalPKCS1PrivateKey(k.Private) }

// MarshalPEM is the private key as a PKCS#1 "RSA PRIVATE KEY" PEM block.
func (k *KeyPair) MarshalPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: k.MarshalDER()})
}

// ParseKeyPairDER reads a key pair written by [KeyPair.MarshalDER].
func ParseKeyPairDER(der []byte) (*KeyPair, error) {
	k, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse digest key: %w", err)
	}
	return &KeyPair{Private: k}, nil
}

// ParseKeyPairPEM reads a key pair written by [KeyPair.MarshalPEM]; the
// text must hold exactly one "RSA PRIVATE KEY" block.
func ParseKeyPairPEM(text []byte) (*KeyPair, error) {
	block, rest := pem.Decode(text)
	if block == nil || block.Type != pemType {
		return nil, fmt.Errorf("parse digest key: no %q PEM block", pemType)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("parse digest key: data after the PEM block")
	}
	return ParseKeyPairDER(block.Bytes)
}

// Fingerprint is the fingerprint ListPublicKeys and digests give a public
// key: lowercase hex MD5 of its PKCS#1 DER bytes (§9.7).
func Fingerprint(publicKeyDER []byte) string {
	sum := md5.Sum(publicKeyDER)
	return hex.EncodeToString(sum[:])
}

// ParsePublicKey loads a PKCS#1 DER public key. Errors wrap ErrBadPublicKey.
func ParsePublicKey(der []byte) (*rsa.PublicKey, error) {
	pub, err := x509.ParsePKCS1PublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPublicKey, err)
	}
	return pub, nil
}
