package fs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// sidecar is what a bucket keeps about an object besides its bytes.
type sidecar struct {
	Key             string            `json:"key"`
	ContentType     string            `json:"contentType,omitempty"`
	ContentEncoding string            `json:"contentEncoding,omitempty"`
	Metadata        map[string]string `json:"metadata,omitempty"`
	SSE             objstore.SSEMode  `json:"serverSideEncryption"`
	KMSKeyID        string            `json:"kmsKeyId,omitempty"`
	ETag            string            `json:"eTag,omitempty"` // objstore.ETagOf the body; absent in sidecars older than it
}

// sidecarPath names the sidecar by a hash of the key, so that sidecars never
// collide with each other whatever the keys look like.
func sidecarPath(key string) string {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:])
	return metaDir + "/" + h[:2] + "/" + h + ".json"
}

// Put implements objstore.Bucket: the body and the sidecar are each written
// to a temp file, synced and renamed into place, then the directories are
// synced, so a crash leaves the old object or the new one.
func (b *Bucket) Put(ctx context.Context, key string, body []byte, opts objstore.PutOptions) error {
	opts, err := objstore.NormalizePut(key, opts)
	if err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	meta, err := json.Marshal(sidecar{
		Key: key, ContentType: opts.ContentType, ContentEncoding: opts.ContentEncoding,
		Metadata: opts.Metadata, SSE: opts.Encryption.Mode, KMSKeyID: opts.Encryption.KMSKeyID,
		ETag: objstore.ETagOf(body),
	})
	if err != nil {
		return fmt.Errorf("encode metadata of %q: %w", key, err)
	}
	r, err := b.open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := prepareDirs(r, key); err != nil {
		return err
	}
	if err := b.replace(r, key, body, meta); err != nil {
		return fmt.Errorf("put %q: %w", key, err)
	}
	return nil
}

// prepareDirs creates the key's parent and its sidecar's directory, and
// refuses keys that clash with the directory tree.
func prepareDirs(r *os.Root, key string) error {
	if dir := path.Dir(key); dir != "." {
		if err := r.MkdirAll(dir, dirMode); err != nil {
			if isNotExist(err) || errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%w %q: a prefix of it is an object", objstore.ErrInvalidKey, key)
			}
			return fmt.Errorf("put %q: %w", key, err)
		}
	}
	if fi, err := r.Lstat(key); err == nil && fi.IsDir() {
		return fmt.Errorf("%w %q: other keys start with %q", objstore.ErrInvalidKey, key, key+"/")
	}
	for _, dir := range []string{tmpDir, path.Dir(sidecarPath(key))} {
		if err := r.MkdirAll(dir, dirMode); err != nil {
			return fmt.Errorf("put %q: %w", key, err)
		}
	}
	return nil
}

// replace writes both files and renames them into place under the key's
// lock: sidecar first, so that a new object never appears without it.
func (b *Bucket) replace(r *os.Root, key string, body, meta []byte) error {
	dataTmp, err := writeTemp(r, body)
	if err != nil {
		return err
	}
	defer r.Remove(dataTmp) // fails harmlessly once renamed
	metaTmp, err := writeTemp(r, meta)
	if err != nil {
		return err
	}
	defer r.Remove(metaTmp)

	mu := b.store.lockFor(b.name, key)
	mu.Lock()
	err = r.Rename(metaTmp, sidecarPath(key))
	if err == nil {
		err = r.Rename(dataTmp, key)
	}
	mu.Unlock()
	if err != nil {
		return err
	}
	return errors.Join(syncDir(r, path.Dir(key)), syncDir(r, path.Dir(sidecarPath(key))))
}

// writeTemp writes p to a new 0600 file in tmpDir, syncs it and returns its
// name.
func writeTemp(r *os.Root, p []byte) (name string, err error) {
	name = tmpDir + "/" + rand.Text()
	f, err := r.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return "", err
	}
	if _, err = f.Write(p); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.Remove(name)
		return "", err
	}
	return name, nil
}

// syncDir makes a directory's entries (a rename into it) durable.
func syncDir(r *os.Root, dir string) error {
	d, err := r.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
