package fs

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"sync"
	"time"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// MaxPutSize is the largest body Stage and Put accept: S3's limit on a
// single PUT.
const MaxPutSize = 5 << 30

// sidecar is what a bucket keeps about an object besides its bytes.
type sidecar struct {
	Key             string            `json:"key"`
	ContentType     string            `json:"contentType,omitempty"`
	ContentEncoding string            `json:"contentEncoding,omitempty"`
	Metadata        map[string]string `json:"metadata,omitempty"`
	SSE             objstore.SSEMode  `json:"serverSideEncryption"`
	KMSKeyID        string            `json:"kmsKeyId,omitempty"`
	ETag            string            `json:"eTag,omitempty"` // objstore.ETagOf the body; absent in sidecars older than it
	// Sealed names the format of a file encrypted at rest (sealedScheme);
	// absent for the plaintext files written before encryption.
	Sealed string `json:"sealed,omitempty"`
}

// sidecarPath names the sidecar by a hash of the key, so that sidecars never
// collide with each other whatever the keys look like.
func sidecarPath(key string) string {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:])
	return metaDir + "/" + h[:2] + "/" + h + ".json"
}

// Put implements objstore.Bucket through Stage and Commit, the one write
// path: a crash leaves the old object or the new one.
func (b *Bucket) Put(ctx context.Context, key string, body []byte, opts objstore.PutOptions) error {
	st, err := b.Stage(ctx, key, bytes.NewReader(body), int64(len(body)), opts)
	if err != nil {
		return err
	}
	return st.Commit(ctx)
}

// Stage implements objstore.Streamer: it streams body into a temp file
// (sealed unless the store is plaintext) and writes the sidecar beside it.
// Bodies above MaxPutSize fail with objstore.ErrEntityTooLarge.
func (b *Bucket) Stage(ctx context.Context, key string, body io.Reader, size int64, opts objstore.PutOptions) (objstore.Staged, error) {
	return b.stage(ctx, stageRequest{key: key, body: body, size: size, limit: MaxPutSize, opts: opts})
}

// stageRequest is what stage writes.
type stageRequest struct {
	key         string
	body        io.Reader
	size, limit int64 // size -1: unknown, at most limit
	opts        objstore.PutOptions
	eTag        string // if set, the ETag to record instead of the body's MD5
}

// stage is Stage with a limit on the body's size and, for multipart
// uploads, the ETag to record.
func (b *Bucket) stage(ctx context.Context, req stageRequest) (*staged, error) {
	key, size, limit := req.key, req.size, req.limit
	opts, err := objstore.NormalizePut(key, req.opts)
	if err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if size > limit {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", objstore.ErrEntityTooLarge, size, limit)
	}
	r, err := b.open(ctx)
	if err != nil {
		return nil, err
	}
	st := &staged{bucket: b, root: r, key: key}
	req.opts = opts
	if err := st.write(ctx, req); err != nil {
		st.Abort()
		return nil, err
	}
	return st, nil
}

// staged is an object in the bucket's temp directory (objstore.Staged).
type staged struct {
	bucket  *Bucket
	root    *os.Root
	key     string
	info    objstore.ObjectInfo
	dataTmp string
	metaTmp string

	mu   sync.Mutex
	done bool // committed or aborted; root is closed
}

var _ objstore.Staged = (*staged)(nil)

func (st *staged) Info() *objstore.ObjectInfo {
	info := st.info
	return &info
}

// write fills the data temp file from body and the meta temp file from
// opts and what the body turned out to be.
func (st *staged) write(ctx context.Context, req stageRequest) error {
	if err := prepareDirs(st.root, st.key); err != nil {
		return err
	}
	sum := md5.New() // S3's ETag, not a security use
	f, err := st.createTemp(&st.dataTmp)
	if err != nil {
		return err
	}
	n, sealed, err := st.bucket.store.writeBody(f, sum, st.bucket.name, st.key, &ctxReader{ctx, req.body}, req.size, req.limit)
	if err != nil {
		return err
	}
	opts := req.opts
	st.info = objstore.ObjectInfo{
		Key: st.key, Size: n, Modified: time.Now(), ContentType: opts.ContentType,
		ContentEncoding: opts.ContentEncoding, Metadata: opts.Metadata,
		Encryption: opts.Encryption, ETag: cmp.Or(req.eTag, etag(sum)),
	}
	return st.writeSidecar(sealed)
}

func etag(sum hash.Hash) string { return `"` + hex.EncodeToString(sum.Sum(nil)) + `"` }

func (st *staged) writeSidecar(sealed bool) error {
	i := &st.info
	sc := sidecar{
		Key: i.Key, ContentType: i.ContentType, ContentEncoding: i.ContentEncoding, Metadata: i.Metadata,
		SSE: i.Encryption.Mode, KMSKeyID: i.Encryption.KMSKeyID, ETag: i.ETag,
	}
	if sealed {
		sc.Sealed = sealedScheme
	}
	meta, err := json.Marshal(sc)
	if err != nil {
		return fmt.Errorf("encode metadata of %q: %w", st.key, err)
	}
	f, err := st.createTemp(&st.metaTmp)
	if err != nil {
		return err
	}
	_, err = f.Write(meta)
	return closeSynced(f, err)
}

// createTemp creates a new 0600 file in the temp directory and records
// its name in *name, for Abort.
func (st *staged) createTemp(name *string) (*os.File, error) {
	*name = tmpDir + "/" + rand.Text()
	f, err := st.root.OpenFile(*name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		*name = ""
		return nil, fmt.Errorf("stage %q: %w", st.key, err)
	}
	return f, nil
}

// writeBody copies body (size bytes, or any number up to limit when size
// < 0) into f, sealed unless the store is plaintext, also into sum, then
// syncs and closes f. It returns the plaintext length.
func (s *Store) writeBody(f *os.File, sum io.Writer, bucket, key string, body io.Reader, size, limit int64) (n int64, sealed bool, err error) {
	var w io.Writer = f
	var seal *sealer
	if s.master != nil {
		dataKey, header := s.master.newHeader(bucket, key)
		aead, err := newGCM(dataKey)
		if err != nil {
			return 0, false, closeSynced(f, err)
		}
		if _, err := f.Write(header); err != nil {
			return 0, false, closeSynced(f, err)
		}
		seal = newSealer(f, aead)
		w = seal
	}
	want := size
	if size < 0 {
		want = limit
	}
	n, err = io.CopyBuffer(io.MultiWriter(w, sum), io.LimitReader(body, want+1), make([]byte, segmentSize))
	if err == nil {
		err = checkLength(n, size, limit)
	}
	if err == nil && seal != nil {
		err = seal.Close()
	}
	return n, seal != nil, closeSynced(f, err)
}

// checkLength compares the bytes read with the size declared.
func checkLength(n, size, limit int64) error {
	switch {
	case size >= 0 && n != size:
		return fmt.Errorf("%w: read %d bytes or more, %d declared", objstore.ErrIncompleteBody, n, size)
	case n > limit:
		return fmt.Errorf("%w: more than %d bytes", objstore.ErrEntityTooLarge, limit)
	}
	return nil
}

// closeSynced syncs and closes f unless err is already set, and returns
// the first error.
func closeSynced(f *os.File, err error) error {
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Commit renames sidecar and body into place under the key's lock, sidecar
// first so that a new object never appears without it, then syncs the
// directories.
func (st *staged) Commit(ctx context.Context) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done {
		return fmt.Errorf("commit %q: already committed or aborted", st.key)
	}
	if err := ctx.Err(); err != nil {
		st.abortLocked()
		return err
	}
	mu := st.bucket.store.lockFor(st.bucket.name, st.key)
	mu.Lock()
	err := st.root.Rename(st.metaTmp, sidecarPath(st.key))
	if err == nil {
		err = st.root.Rename(st.dataTmp, st.key)
	}
	mu.Unlock()
	if err == nil {
		err = errors.Join(syncDir(st.root, path.Dir(st.key)), syncDir(st.root, path.Dir(sidecarPath(st.key))))
	}
	if err != nil {
		st.abortLocked()
		return fmt.Errorf("put %q: %w", st.key, err)
	}
	st.done = true
	return st.root.Close()
}

// Abort removes the temp files; after Commit it does nothing.
func (st *staged) Abort() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done {
		return nil
	}
	return st.abortLocked()
}

func (st *staged) abortLocked() error {
	st.done = true
	var errs []error
	for _, name := range []string{st.dataTmp, st.metaTmp} {
		if name == "" {
			continue
		}
		if err := st.root.Remove(name); err != nil && !isNotExist(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(append(errs, st.root.Close())...)
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
