package sigv4

import (
	"bytes"
	"fmt"
	"testing"
)

// The cached key is the derived one, per secret and per scope, and the
// cache stays within its bound.
func TestSigningKeyCache(t *testing.T) {
	scope := Scope{Date: "20130524", Region: "us-east-1", Service: "s3"}
	first := signingKey("secret-a", scope)
	if !bytes.Equal(first, deriveSigningKey("secret-a", scope)) || !bytes.Equal(signingKey("secret-a", scope), first) {
		t.Fatal("the cached key differs from the derived one")
	}
	if bytes.Equal(signingKey("secret-b", scope), first) {
		t.Error("two secrets share a cached key")
	}
	other := scope
	other.Region = "eu-west-1"
	if bytes.Equal(signingKey("secret-a", other), first) {
		t.Error("two scopes share a cached key")
	}
	for i := range maxCachedKeys + 10 {
		s := Scope{Date: "20130524", Region: fmt.Sprintf("r-%d", i), Service: "s3"}
		if !bytes.Equal(signingKey("secret-a", s), deriveSigningKey("secret-a", s)) {
			t.Fatalf("scope %d: the cached key differs from the derived one", i)
		}
	}
	keyCache.Lock()
	n := len(keyCache.keys)
	keyCache.Unlock()
	if n > maxCachedKeys {
		t.Errorf("%d cached keys, bound %d", n, maxCachedKeys)
	}
}
