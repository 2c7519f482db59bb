// Package signing keeps the per-region RSA keys that sign CloudTrail digest
// files (spec §9.7): one active key per region, rotated on a schedule, and
// every public key ever used kept, so that old digests stay verifiable
// through ListPublicKeys. A retired key's private half is deleted.
//
// It imports digest for the key type; the store implements Store.
package signing

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/deploytrail/deploytrail/internal/digest"
)

// DefaultRotation is how long a key signs before the next one takes over
// (AWS's published keys have windows of about 30 days).
const DefaultRotation = 30 * 24 * time.Hour

// Key is one region's signing key.
type Key struct {
	Region      string
	Fingerprint string
	PublicDER   []byte // PKCS#1 RSAPublicKey
	PrivateDER  []byte // PKCS#1; nil once retired
	ValidFrom   time.Time
	ValidTo     time.Time
}

// Store persists keys.
type Store interface {
	// SigningKeys returns a region's keys, oldest first.
	SigningKeys(ctx context.Context, region string) ([]*Key, error)
	// RotateSigningKey stores next as the region's active key and, in the
	// same transaction, retires the previous active key: its validity
	// ends at next.ValidFrom and its private half is deleted.
	RotateSigningKey(ctx context.Context, next *Key) error
}

// Keys hands out signing keys and lists public keys.
type Keys struct {
	store Store
	// Rotation is each key's signing lifetime.
	Rotation time.Duration

	mu sync.Mutex // serializes rotation, so one region never gets two new keys
}

// New returns the key ring of store.
func New(store Store) *Keys { return &Keys{store: store, Rotation: DefaultRotation} }

// Signer returns the key that signs a digest ending at at: the region's
// active key, or a new one when it has none valid then.
func (k *Keys) Signer(ctx context.Context, region string, at time.Time) (*digest.KeyPair, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	keys, err := k.store.SigningKeys(ctx, region)
	if err != nil {
		return nil, err
	}
	if n := len(keys); n > 0 {
		if cur := keys[n-1]; cur.PrivateDER != nil && !at.Before(cur.ValidFrom) && at.Before(cur.ValidTo) {
			return digest.ParseKeyPairDER(cur.PrivateDER)
		}
	}
	return k.rotate(ctx, region, at)
}

func (k *Keys) rotate(ctx context.Context, region string, at time.Time) (*digest.KeyPair, error) {
	pair, err := digest.GenerateKeyPair()
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	from := at.UTC().Truncate(time.Second)
	next := &Key{Region: region, Fingerprint: pair.Fingerprint(), PublicDER: pair.PublicKeyDER(),
		PrivateDER: pair.MarshalDER(), ValidFrom: from, ValidTo: from.Add(k.Rotation)}
	if err := k.store.RotateSigningKey(ctx, next); err != nil {
		return nil, fmt.Errorf("store signing key: %w", err)
	}
	return pair, nil
}

// Public returns the region's keys whose validity overlaps [start, end],
// as ListPublicKeys lists them (private halves cleared).
func (k *Keys) Public(ctx context.Context, region string, start, end time.Time) ([]*Key, error) {
	keys, err := k.store.SigningKeys(ctx, region)
	if err != nil {
		return nil, err
	}
	var out []*Key
	for _, key := range keys {
		if !key.ValidFrom.After(end) && !key.ValidTo.Before(start) {
			pub := *key
			pub.PrivateDER = nil
			out = append(out, &pub)
		}
	}
	return out, nil
}
