// Package mem is an in-memory objstore backend for tests of the packages
// that write through objstore. It keeps the same contract as the fs and s3
// backends (objstoretest runs against it) and nothing survives the process.
package mem

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// Store holds buckets in memory. The zero value is not usable: use New.
type Store struct {
	// Now stamps Modified; tests may replace it before first use.
	Now func() time.Time

	mu      sync.Mutex
	buckets map[string]map[string]*objstore.Object
}

var _ objstore.Provider = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{Now: time.Now, buckets: map[string]map[string]*objstore.Object{}}
}

// Bucket returns a handle to the named bucket, which need not exist yet.
func (s *Store) Bucket(name string) (objstore.Bucket, error) {
	if err := objstore.ValidateBucketName(name); err != nil {
		return nil, err
	}
	return &Bucket{store: s, name: name}, nil
}

// Bucket is one bucket of a Store.
type Bucket struct {
	store *Store
	name  string
}

var _ objstore.Bucket = (*Bucket)(nil)

// locked runs fn on the bucket's objects with the store locked. Objects
// in the map are never modified, only replaced, so fn may return them.
func (b *Bucket) locked(ctx context.Context, fn func(objs map[string]*objstore.Object) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.store.mu.Lock()
	defer b.store.mu.Unlock()
	objs, ok := b.store.buckets[b.name]
	if !ok {
		return fmt.Errorf("bucket %q: %w", b.name, objstore.ErrNoBucket)
	}
	return fn(objs)
}

// Put implements objstore.Bucket.
func (b *Bucket) Put(ctx context.Context, key string, body []byte, opts objstore.PutOptions) error {
	opts, err := objstore.NormalizePut(key, opts)
	if err != nil {
		return err
	}
	obj := &objstore.Object{
		ObjectInfo: objstore.ObjectInfo{
			Key: key, Size: int64(len(body)), Modified: b.store.Now(),
			ContentType: opts.ContentType, ContentEncoding: opts.ContentEncoding,
			Metadata: opts.Metadata, Encryption: opts.Encryption, ETag: objstore.ETagOf(body),
		},
		Body: slices.Clone(body),
	}
	return b.locked(ctx, func(objs map[string]*objstore.Object) error {
		objs[key] = obj
		return nil
	})
}

// Get implements objstore.Bucket.
func (b *Bucket) Get(ctx context.Context, key string) (*objstore.Object, error) {
	obj, err := b.find(ctx, key)
	if err != nil {
		return nil, err
	}
	return &objstore.Object{ObjectInfo: cloneInfo(&obj.ObjectInfo), Body: slices.Clone(obj.Body)}, nil
}

// Head implements objstore.Bucket.
func (b *Bucket) Head(ctx context.Context, key string) (*objstore.ObjectInfo, error) {
	obj, err := b.find(ctx, key)
	if err != nil {
		return nil, err
	}
	info := cloneInfo(&obj.ObjectInfo)
	return &info, nil
}

func (b *Bucket) find(ctx context.Context, key string) (obj *objstore.Object, err error) {
	if err := objstore.ValidateKey(key); err != nil {
		return nil, err
	}
	err = b.locked(ctx, func(objs map[string]*objstore.Object) error {
		if obj = objs[key]; obj == nil {
			return fmt.Errorf("get %q: %w", key, objstore.ErrNotFound)
		}
		return nil
	})
	return obj, err
}

// List implements objstore.Bucket.
func (b *Bucket) List(ctx context.Context, prefix, startAfter string, max int) (out []objstore.ObjectInfo, err error) {
	if max <= 0 {
		max = objstore.DefaultListMax
	}
	err = b.locked(ctx, func(objs map[string]*objstore.Object) error {
		for _, key := range slices.Sorted(maps.Keys(objs)) {
			if len(out) == max {
				break
			}
			if o := objs[key]; strings.HasPrefix(key, prefix) && key > startAfter {
				out = append(out, objstore.ObjectInfo{Key: key, Size: o.Size, Modified: o.Modified})
			}
		}
		return nil
	})
	return out, err
}

// Delete implements objstore.Bucket.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := objstore.ValidateKey(key); err != nil {
		return err
	}
	return b.locked(ctx, func(objs map[string]*objstore.Object) error {
		delete(objs, key)
		return nil
	})
}

// Exists implements objstore.Bucket.
func (b *Bucket) Exists(ctx context.Context) (bool, error) {
	err := b.locked(ctx, func(map[string]*objstore.Object) error { return nil })
	if errors.Is(err, objstore.ErrNoBucket) {
		return false, nil
	}
	return err == nil, err
}

// Create implements objstore.Bucket.
func (b *Bucket) Create(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.store.mu.Lock()
	defer b.store.mu.Unlock()
	if _, ok := b.store.buckets[b.name]; !ok {
		b.store.buckets[b.name] = map[string]*objstore.Object{}
	}
	return nil
}

func cloneInfo(info *objstore.ObjectInfo) objstore.ObjectInfo {
	c := *info
	c.Metadata = maps.Clone(info.Metadata)
	return c
}
