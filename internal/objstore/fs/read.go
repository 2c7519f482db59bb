package fs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// Get implements objstore.Bucket.
func (b *Bucket) Get(ctx context.Context, key string) (*objstore.Object, error) {
	obj := &objstore.Object{}
	err := b.read(ctx, key, func(f *os.File, size int64) error {
		obj.Body = make([]byte, size)
		_, err := io.ReadFull(f, obj.Body)
		return err
	}, &obj.ObjectInfo)
	if err != nil {
		return nil, err
	}
	return obj, nil
}

// Head implements objstore.Bucket.
func (b *Bucket) Head(ctx context.Context, key string) (*objstore.ObjectInfo, error) {
	info := &objstore.ObjectInfo{}
	if err := b.read(ctx, key, nil, info); err != nil {
		return nil, err
	}
	return info, nil
}

// read fills info for the object under key and, if body is not nil, calls
// it with the open file, all under the key's read lock so that the object
// and its sidecar belong to the same Put.
func (b *Bucket) read(ctx context.Context, key string, body func(*os.File, int64) error, info *objstore.ObjectInfo) error {
	if err := checkKey(key); err != nil {
		return err
	}
	r, err := b.open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	mu := b.store.lockFor(b.name, key)
	mu.RLock()
	defer mu.RUnlock()

	f, err := r.Open(key)
	if isNotExist(err) {
		return fmt.Errorf("get %q: %w", key, objstore.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("get %q: %w", key, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("get %q: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("get %q: %w", key, objstore.ErrNotFound)
	}
	sc, err := readSidecar(r, key)
	if err != nil {
		return fmt.Errorf("get %q: %w", key, err)
	}
	*info = objstore.ObjectInfo{
		Key: key, Size: fi.Size(), Modified: fi.ModTime(),
		ContentType: sc.ContentType, ContentEncoding: sc.ContentEncoding, Metadata: sc.Metadata,
		Encryption: objstore.Encryption{Mode: sc.SSE, KMSKeyID: sc.KMSKeyID},
		ETag:       sc.ETag,
	}
	if body != nil {
		if err := body(f, fi.Size()); err != nil {
			return fmt.Errorf("read %q: %w", key, err)
		}
	}
	return nil
}

// readSidecar returns the object's sidecar, or the defaults for a file an
// operator put there by hand (no sidecar, or one left by another key).
func readSidecar(r *os.Root, key string) (*sidecar, error) {
	sc := &sidecar{Key: key, SSE: objstore.SSES3}
	p, err := r.ReadFile(sidecarPath(key))
	if isNotExist(err) {
		return sc, nil
	}
	if err != nil {
		return nil, err
	}
	var stored sidecar
	if err := json.Unmarshal(p, &stored); err != nil {
		return nil, fmt.Errorf("decode metadata: %w", err)
	}
	if stored.Key != key {
		return sc, nil
	}
	return &stored, nil
}

// Delete implements objstore.Bucket. Emptied directories stay: removing
// them would race with a Put creating a file in them, and CloudTrail never
// deletes anyway (retention is the operator's job).
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	r, err := b.open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	if fi, err := r.Lstat(key); isNotExist(err) || err == nil && fi.IsDir() {
		return nil // no object; a directory is other keys' prefix
	}
	mu := b.store.lockFor(b.name, key)
	mu.Lock()
	err = r.Remove(key)
	if err == nil || isNotExist(err) {
		err = r.Remove(sidecarPath(key))
	}
	mu.Unlock()
	if err != nil && !isNotExist(err) {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	return syncDir(r, path.Dir(key))
}
