package digest

import (
	"bytes"
	"errors"
	"testing"
)

func TestVerify_Failures(t *testing.T) {
	key := vectorKey(t)
	s, err := Seal(key, vectorDigest())
	if err != nil {
		t.Fatal(err)
	}
	other, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	changed := s.Digest
	changed.PreviousSignature = "00"
	tests := []struct {
		name string
		der  []byte
		d    *Digest
		raw  []byte
		sig  string
		want error
	}{
		{"OK", key.PublicKeyDER(), &s.Digest, s.Raw, s.Signature, nil},
		{"OtherKey", other.PublicKeyDER(), &s.Digest, s.Raw, s.Signature, ErrSignature},
		{"ChangedBytes", key.PublicKeyDER(), &s.Digest, append(bytes.Clone(s.Raw), ' '), s.Signature, ErrSignature},
		{"ChangedPrevious", key.PublicKeyDER(), &changed, s.Raw, s.Signature, ErrSignature},
		{"NotHex", key.PublicKeyDER(), &s.Digest, s.Raw, "zz", ErrSignature},
		{"ShortSignature", key.PublicKeyDER(), &s.Digest, s.Raw, s.Signature[:10], ErrSignature},
		{"BadKey", []byte("junk"), &s.Digest, s.Raw, s.Signature, ErrBadPublicKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Verify(tt.der, tt.d, tt.raw, tt.sig); !errors.Is(err, tt.want) {
				t.Fatalf("Verify=%v, want %v", err, tt.want)
			}
		})
	}
}

func TestSeal_ChainsAndMetadata(t *testing.T) {
	key := vectorKey(t)
	first, err := Seal(key, vectorDigest())
	if err != nil {
		t.Fatal(err)
	}
	next := vectorDigest()
	next.Chain(first.Link())
	second, err := Seal(key, next)
	if err != nil {
		t.Fatal(err)
	}
	if second.Digest.PreviousHashValue != Hash(first.Raw) || second.Digest.PreviousSignature != first.Signature {
		t.Fatalf("second links to %+v, want hash %s sig %s", second.Digest.Previous(), Hash(first.Raw), first.Signature)
	}
	if err := Verify(key.PublicKeyDER(), &second.Digest, second.Raw, second.Signature); err != nil {
		t.Fatal(err)
	}
	md := second.Metadata()
	if md[MetaSignature] != second.Signature || md[MetaSignatureAlgorithm] != "SHA256withRSA" {
		t.Fatalf("Metadata=%v", md)
	}
}

func TestKeyPair_Serialization(t *testing.T) {
	key, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if n := key.Private.N.BitLen(); n != 2048 {
		t.Fatalf("key size %d, want 2048", n)
	}
	fromPEM, err := ParseKeyPairPEM(key.MarshalPEM())
	if err != nil {
		t.Fatal(err)
	}
	fromDER, err := ParseKeyPairDER(key.MarshalDER())
	if err != nil {
		t.Fatal(err)
	}
	if !fromPEM.Private.Equal(key.Private) || !fromDER.Private.Equal(key.Private) {
		t.Fatal("key changed in a PEM or DER round trip")
	}
	if !bytes.HasPrefix(key.MarshalPEM(), []byte("-----BEGIN RSA PRIVATE KEY-----\n")) {
		t.Fatalf("PEM starts %q", key.MarshalPEM()[:32])
	}
	if len(key.Fingerprint()) != 32 {
		t.Fatalf("Fingerprint=%q, want 32 hex digits", key.Fingerprint())
	}
	for _, bad := range [][]byte{nil, []byte("junk"), append(key.MarshalPEM(), key.MarshalPEM()...)} {
		if _, err := ParseKeyPairPEM(bad); err == nil {
			t.Fatalf("ParseKeyPairPEM(%.20q) accepted", bad)
		}
	}
}
