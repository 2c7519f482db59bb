package sigv4

import (
	"crypto/sha256"
	"sync"
)

// The signing key of a (secret, scope) pair is the same for every request
// of that day, region and service, and deriving it is four HMACs: ~5 % of
// the server's CPU for a small call (issue 16). As AWS's SDKs do on the
// client side, the derived keys are cached.

// maxCachedKeys bounds the cache: on reaching it, the cache starts over.
// Scopes change daily, so entries of past days go then too.
const maxCachedKeys = 1024

// keyCacheKey names a derived key by the secret's SHA-256, so that the
// cache holds no secret itself, only keys that sign for one day's scope.
type keyCacheKey struct {
	secret [sha256.Size]byte
	scope  Scope
}

var keyCache = struct {
	sync.Mutex
	keys map[keyCacheKey][]byte
}{keys: map[keyCacheKey][]byte{}}

// signingKey is deriveSigningKey, cached. Callers only read the key.
func signingKey(secret string, scope Scope) []byte {
	k := keyCacheKey{secret: sha256.Sum256([]byte(secret)), scope: scope}
	keyCache.Lock()
	key, ok := keyCache.keys[k]
	keyCache.Unlock()
	if ok {
		return key
	}
	key = deriveSigningKey(secret, scope)
	keyCache.Lock()
	defer keyCache.Unlock()
	if len(keyCache.keys) >= maxCachedKeys {
		clear(keyCache.keys)
	}
	keyCache.keys[k] = key
	return key
}
