package fs

import (
	"context"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// Get implements objstore.Bucket.
func (b *Bucket) Get(ctx context.Context, key string) (*objstore.Object, error) {
	info, body, err := b.Open(ctx, key, 0, -1)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	obj := &objstore.Object{ObjectInfo: *info, Body: make([]byte, info.Size)}
	if _, err := io.ReadFull(body, obj.Body); err != nil {
		return nil, fmt.Errorf("read %q: %w", key, err)
	}
	return obj, nil
}

// Head implements objstore.Bucket.
func (b *Bucket) Head(ctx context.Context, key string) (*objstore.ObjectInfo, error) {
	o, err := b.openObject(ctx, key)
	if err != nil {
		return nil, err
	}
	o.f.Close()
	return &o.info, nil
}

// Open implements objstore.Streamer. A range past the end is cut at the
// end. The reader holds the file open, so it reads the object it opened
// even when a Put replaces it meanwhile; it decrypts one segment at a
// time, and a sealed object that fails authentication makes Read fail.
func (b *Bucket) Open(ctx context.Context, key string, off, n int64) (*objstore.ObjectInfo, io.ReadCloser, error) {
	o, err := b.openObject(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	size := o.info.Size
	off = min(max(off, 0), size)
	if n < 0 || n > size-off {
		n = size - off
	}
	if o.aead == nil {
		return &o.info, &fileReader{io.NewSectionReader(o.f, off, n), o.f}, nil
	}
	return &o.info, &fileReader{newUnsealer(o.f, o.aead, o.fileSize, off, n), o.f}, nil
}

// fileReader reads an object's bytes and closes its file.
type fileReader struct {
	io.Reader
	f *os.File
}

func (r *fileReader) Close() error { return r.f.Close() }

// WriteTo lets io.Copy reach the unsealer's WriteTo through the embedded
// reader, which would otherwise hide it.
func (r *fileReader) WriteTo(w io.Writer) (int64, error) {
	if wt, ok := r.Reader.(io.WriterTo); ok {
		return wt.WriteTo(w)
	}
	return io.Copy(w, r.Reader)
}

// openedObject is an object's open file and what its sidecar and header
// say about it.
type openedObject struct {
	f        *os.File
	fileSize int64
	info     objstore.ObjectInfo
	aead     cipher.AEAD // nil for a plaintext file
}

// openObject opens the object under key and reads its sidecar, under the
// key's read lock so that the two belong to the same Put. The caller
// closes o.f.
func (b *Bucket) openObject(ctx context.Context, key string) (*openedObject, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	r, err := b.open(ctx)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	mu := b.store.lockFor(b.name, key)
	mu.RLock()
	defer mu.RUnlock()
	f, err := r.Open(key)
	if isNotExist(err) {
		return nil, fmt.Errorf("get %q: %w", key, objstore.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	o, err := b.describe(r, f, key)
	if err != nil {
		f.Close()
		return nil, err
	}
	return o, nil
}

// describe fills an openedObject from the file's header and sidecar.
func (b *Bucket) describe(r *os.Root, f *os.File, key string) (*openedObject, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("get %q: %w", key, objstore.ErrNotFound)
	}
	sc, err := readSidecar(r, key)
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	o := &openedObject{f: f, fileSize: fi.Size()}
	o.info = objstore.ObjectInfo{
		Key: key, Size: fi.Size(), Modified: fi.ModTime(),
		ContentType: sc.ContentType, ContentEncoding: sc.ContentEncoding, Metadata: sc.Metadata,
		Encryption: objstore.Encryption{Mode: sc.SSE, KMSKeyID: sc.KMSKeyID},
		ETag:       sc.ETag,
	}
	if err := b.unseal(o, sc); err != nil {
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	return o, nil
}

// unseal recognises a sealed file by its header and sets o's cipher and
// plaintext size. A file without the header is a plaintext object from
// before encryption, unless its sidecar says it was sealed.
func (b *Bucket) unseal(o *openedObject, sc *sidecar) error {
	header := make([]byte, headerLen)
	if _, err := o.f.ReadAt(header, 0); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if string(header[:len(sealMagic)]) != sealMagic {
		if sc.Sealed != "" {
			return errCorrupt
		}
		return nil
	}
	if b.store.master == nil || plainSize(o.fileSize) < 0 {
		return errCorrupt
	}
	aead, err := b.store.master.openHeader(header, b.name, o.info.Key)
	if err != nil {
		return err
	}
	o.aead, o.info.Size = aead, plainSize(o.fileSize)
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
