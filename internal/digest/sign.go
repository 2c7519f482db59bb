package digest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// S3 user metadata keys of a digest object (§9.4), lower-case as
// objstore.ObjectInfo.Metadata reports them.
const (
	MetaSignature          = "signature"
	MetaSignatureAlgorithm = "signature-algorithm"
	MetaBackfillTimestamp  = "backfill-generation-timestamp"
)

// ErrSignature means a signature does not verify: wrong key, changed
// bytes, or a malformed signature.
var ErrSignature = errors.New("signature verification failed")

// SigningString is the string signed for the digest d whose uncompressed
// bytes are raw (§9.5): digestEndTime, bucket/object, hex SHA-256 of raw
// and the previous signature (the literal "null" for a starting digest),
// joined by "\n" with no trailing newline. d must be what raw decodes to
// (as [Parse] returns it, or as [Marshal] encoded it).
func SigningString(d *Digest, raw []byte) string {
	prev := d.PreviousSignature
	if prev == "" {
		prev = "null"
	}
	return FormatTime(d.EndTime) + "\n" + d.Bucket + "/" + d.Object + "\n" + Hash(raw) + "\n" + prev
}

// Sign returns the lowercase hex SHA256withRSA (RSASSA-PKCS1-v1_5)
// signature of d's signing string: the x-amz-meta-signature value.
func Sign(key *rsa.PrivateKey, d *Digest, raw []byte) (string, error) {
	sum := sha256.Sum256([]byte(SigningString(d, raw)))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign digest: %w", err)
	}
	return hex.EncodeToString(sig), nil
}

// Verify checks signatureHex against d's signing string with the public
// key publicKeyDER (PKCS#1, as ListPublicKeys returns it). Errors:
// ErrBadPublicKey, ErrSignature (wrapped).
func Verify(publicKeyDER []byte, d *Digest, raw []byte, signatureHex string) error {
	pub, err := ParsePublicKey(publicKeyDER)
	if err != nil {
		return err
	}
	sig, err := hex.DecodeString(signatureHex)
	if err != nil {
		return fmt.Errorf("%w: signature is not hex", ErrSignature)
	}
	sum := sha256.Sum256([]byte(SigningString(d, raw)))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return ErrSignature
	}
	return nil
}

// Signed is a digest ready to store: its bytes, gzip body and signature.
type Signed struct {
	Digest    Digest
	Raw       []byte // uncompressed JSON, what was hashed and signed
	Body      []byte // gzip of Raw: the object body
	Signature string // lowercase hex; goes to the "signature" metadata
}

// Seal fills d's fingerprint and signature algorithm from key, then
// encodes and signs a copy of it. d itself is not changed.
func Seal(key *KeyPair, d *Digest) (*Signed, error) {
	s := &Signed{Digest: *d}
	s.Digest.PublicKeyFingerprint = key.Fingerprint()
	s.Digest.SignatureAlgorithm = SignatureAlgorithm
	var err error
	if s.Raw, s.Body, err = Encode(&s.Digest); err != nil {
		return nil, err
	}
	if s.Signature, err = Sign(key.Private, &s.Digest, s.Raw); err != nil {
		return nil, err
	}
	return s, nil
}

// Metadata is the S3 user metadata to store with the digest (§9.4).
func (s *Signed) Metadata() map[string]string {
	return map[string]string{MetaSignature: s.Signature, MetaSignatureAlgorithm: SignatureAlgorithm}
}

// Link is what the next digest records about this one.
func (s *Signed) Link() Link {
	return Link{Bucket: s.Digest.Bucket, Object: s.Digest.Object, HashValue: Hash(s.Raw), Signature: s.Signature}
}

// Link identifies the preceding digest of a chain (the previousDigest*
// fields). The delivery pipeline persists it between digests.
type Link struct {
	Bucket    string // previousDigestS3Bucket
	Object    string // previousDigestS3Object
	HashValue string // previousDigestHashValue: Hash of its uncompressed bytes
	Signature string // previousDigestSignature
}

// Chain makes d follow the digest l describes; a zero Link makes d a
// starting digest (all previous fields null).
func (d *Digest) Chain(l Link) {
	d.PreviousBucket, d.PreviousObject, d.PreviousHashValue, d.PreviousSignature =
		l.Bucket, l.Object, l.HashValue, l.Signature
	d.PreviousHashAlgorithm = ""
	if l != (Link{}) {
		d.PreviousHashAlgorithm = HashAlgorithm
	}
}

// Previous returns d's link to the preceding digest; zero for a starting
// digest.
func (d *Digest) Previous() Link {
	return Link{Bucket: d.PreviousBucket, Object: d.PreviousObject, HashValue: d.PreviousHashValue,
		Signature: d.PreviousSignature}
}
