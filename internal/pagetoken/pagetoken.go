// Package pagetoken makes opaque pagination tokens: a position, signed
// together with what it is a position in (the operation and its
// parameters), so that a tampered token, or one reused elsewhere, is
// refused instead of paging somewhere odd.
//
// It imports nothing of ours.
package pagetoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Sealer seals and opens tokens with the server's pagination key, which
// is kept across restarts so that tokens stay valid.
type Sealer struct{ Key []byte }

func (s Sealer) mac(binding, payload string) []byte {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte(binding + "\x00" + payload))
	return m.Sum(nil)[:16]
}

// Seal returns the token carrying payload for binding.
func (s Sealer) Seal(binding, payload string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." +
		base64.RawURLEncoding.EncodeToString(s.mac(binding, payload))
}

// Open returns the payload of a token sealed for binding; ok is false for
// a malformed or tampered token, or one sealed for another binding.
func (s Sealer) Open(binding, token string) (payload string, ok bool) {
	p64, mac64, found := strings.Cut(token, ".")
	if !found {
		return "", false
	}
	p, err1 := base64.RawURLEncoding.DecodeString(p64)
	sum, err2 := base64.RawURLEncoding.DecodeString(mac64)
	if err1 != nil || err2 != nil || !hmac.Equal(sum, s.mac(binding, string(p))) {
		return "", false
	}
	return string(p), true
}
