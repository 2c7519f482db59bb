// Package fs is the embedded objstore backend: every bucket is a directory
// <root>/<bucket>/ and every object a file at its key's path, encrypted at
// rest (SSE-S3). It implements objstore.Streamer, so bodies stream in and
// out without being held in memory. It imports only objstore.
//
// Layout of a bucket directory:
//
//	<key path>                            the object, sealed (below)
//	.deploytrail/meta/<hh>/<sha256>.json  its sidecar: content type and encoding,
//	                                      user metadata, SSE mode, ETag, and
//	                                      "sealed" naming the file's format
//	.deploytrail/tmp/                     writes in progress (never listed)
//	.deploytrail/uploads/<id>/            a multipart upload: upload.json and its
//	                                      parts, <nnnnn>.<md5 hex>, sealed
//
// All access goes through [os.Root] opened on the bucket directory, so no
// key, and no symbolic link planted inside a bucket, can reach a file outside
// it. Files are created 0600 and directories 0700.
//
// # Encryption at rest
//
// Every object gets a random 256-bit data key. Its file starts with a
// header: a magic string, the id of the master key (a hash prefix, not the
// key) and the data key wrapped with AES-256-GCM under the store's master
// key, bound to the bucket and key name. The body follows in 64 KiB
// segments, each sealed with AES-256-GCM under the data key with the
// segment's index and a "last" flag in the nonce. So a changed byte, a
// truncated file, segments reordered, or a file moved to another key or
// bucket fails authentication instead of returning wrong bytes, and a
// Range read decrypts only the segments it needs (and so checks only
// those). The wrapped data key lives in the file's header rather than in
// the sidecar so that body and key change in one rename: a crash between
// the sidecar's rename and the body's still leaves a readable object.
//
// The master key is 32 random bytes, hex, in a 0600 file created on first
// use: <data>/keys/s3-master.key for deploytrail (WithMasterKeyFile),
// DefaultMasterKeyFile inside the store's directory otherwise. Trust model:
// the encryption protects objects on disks, backups and copies of the
// buckets directory made without the key file; anyone who can read both
// the key file and the buckets (the server's user, root) can read the
// objects, so keep the key out of bucket backups. Losing the key loses
// every object. Operators read objects through the server (`aws s3 cp`)
// or deploytrail's own commands, not with zcat on the files.
//
// Every object is sealed the same way whatever mode its writer asked for:
// SSE-S3 (the default) is reported as AES256; an SSE-KMS request is
// recorded and reported as asked, but there is no KMS here, and the master
// key protects it too. Objects written before encryption (plaintext files
// whose sidecar names no sealed format) and files an operator copies in by
// hand are read as they are, with no migration; a plaintext file where the
// sidecar says sealed is refused.
//
// Limits (beyond [objstore.ValidateKey]): a key cannot be both an object and
// a "directory" of other keys ("a/b" and "a/b/c"; CloudTrail never writes
// that), its segments are at most 255 bytes, and its first segment cannot be
// ".deploytrail". Such keys get objstore.ErrInvalidKey. A single write
// (Put, Stage) is at most MaxPutSize.
//
// Put is Stage and Commit: the body and sidecar are written to temp files,
// synced, then renamed into place under a lock per key (which also makes
// object and sidecar change together for readers), and the directories are
// synced. A crash leaves the old object or the new one, never a partial
// one; temp files it leaves are swept by the next Open once older than
// StaleTempAge. Multipart uploads (objstore.Multipart) keep their parts
// until completed or aborted, as in S3. Two processes writing one data
// directory are not supported.
package fs

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

const (
	reservedDir = ".deploytrail" // per bucket: sidecars and temp files
	metaDir     = reservedDir + "/meta"
	tmpDir      = reservedDir + "/tmp"
	fileMode    = 0o600
	dirMode     = 0o700
	maxSegment  = 255 // NAME_MAX on the file systems we run on
)

// Store is a directory of buckets. It is safe for concurrent use.
type Store struct {
	root   *os.Root
	master *masterKey       // nil: new objects are written in plaintext (benchmarks only)
	locks  [64]sync.RWMutex // by hash of bucket and key; see lockFor
}

var _ objstore.Provider = (*Store)(nil)

// DefaultMasterKeyFile is where a store keeps its master key when Open is
// given none: inside the store's directory (bucket names cannot start
// with a dot, so it never clashes with a bucket).
const DefaultMasterKeyFile = ".s3-master.key"

// StaleTempAge is how old a temp file must be for Open to sweep it: older
// than any write in progress (the S3 layer times slow uploads out long
// before), so a second Store on the same directory loses nothing.
const StaleTempAge = time.Hour

// Option configures Open.
type Option func(*options)

type options struct{ masterKeyFile string }

// WithMasterKeyFile keeps the master key that wraps the objects' data keys
// in path (hex, mode 0600), created with a random key on first use.
// deploytrail passes <data>/keys/s3-master.key.
func WithMasterKeyFile(path string) Option {
	return func(o *options) { o.masterKeyFile = path }
}

// Open opens the store in dir (e.g. <data>/buckets), creating it 0700 if
// it does not exist, loads (or creates) its master key, and sweeps temp
// files older than StaleTempAge that crashed writes left. Close releases it.
func Open(dir string, opts ...Option) (*Store, error) {
	o := options{masterKeyFile: filepath.Join(dir, DefaultMasterKeyFile)}
	for _, opt := range opts {
		opt(&o)
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("create object store directory: %w", err)
	}
	master, err := loadMasterKey(o.masterKeyFile)
	if err != nil {
		return nil, fmt.Errorf("open object store: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open object store directory: %w", err)
	}
	s := &Store{root: root, master: master}
	if err := s.sweep(time.Now().Add(-StaleTempAge)); err != nil {
		root.Close()
		return nil, fmt.Errorf("sweep temp files: %w", err)
	}
	return s, nil
}

// sweep removes the temp files older than before from every bucket.
func (s *Store) sweep(before time.Time) error {
	buckets, err := readDir(s.root, "")
	if err != nil {
		return err
	}
	for _, b := range buckets {
		if !b.IsDir() {
			continue
		}
		dir := b.Name() + "/" + tmpDir
		entries, err := readDir(s.root, dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if fi, err := e.Info(); err == nil && fi.ModTime().Before(before) {
				if err := s.root.Remove(dir + "/" + e.Name()); err != nil && !isNotExist(err) {
					return err
				}
			}
		}
	}
	return nil
}

// Close closes the store's directory; buckets from it stop working.
func (s *Store) Close() error { return s.root.Close() }

// Bucket returns a handle to the named bucket, which need not exist yet.
func (s *Store) Bucket(name string) (objstore.Bucket, error) {
	if err := objstore.ValidateBucketName(name); err != nil {
		return nil, err
	}
	return &Bucket{store: s, name: name}, nil
}

// lockFor returns the lock that orders the two renames of a Put or the two
// removes of a Delete against readers of the same key.
func (s *Store) lockFor(bucket, key string) *sync.RWMutex {
	h := fnv.New32a()
	h.Write([]byte(bucket))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return &s.locks[h.Sum32()%uint32(len(s.locks))]
}

// Bucket is one bucket directory of a Store.
type Bucket struct {
	store *Store
	name  string
}

var _ objstore.Bucket = (*Bucket)(nil)

// Exists implements objstore.Bucket.
func (b *Bucket) Exists(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	fi, err := b.store.root.Stat(b.name)
	if isNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat bucket %q: %w", b.name, err)
	}
	return fi.IsDir(), nil
}

// Create implements objstore.Bucket.
func (b *Bucket) Create(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := b.store.root.Mkdir(b.name, dirMode)
	if errors.Is(err, iofs.ErrExist) {
		if ok, _ := b.Exists(ctx); ok {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("create bucket %q: %w", b.name, err)
	}
	return nil
}

// open returns a Root on the bucket directory; the caller closes it.
func (b *Bucket) open(ctx context.Context) (*os.Root, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := b.store.root.OpenRoot(b.name)
	if isNotExist(err) {
		return nil, fmt.Errorf("bucket %q: %w", b.name, objstore.ErrNoBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("open bucket %q: %w", b.name, err)
	}
	return r, nil
}

// checkKey applies objstore.ValidateKey and this backend's own limits.
func checkKey(key string) error {
	if err := objstore.ValidateKey(key); err != nil {
		return err
	}
	if key == reservedDir || strings.HasPrefix(key, reservedDir+"/") {
		return fmt.Errorf("%w %q: %s is reserved by the fs backend", objstore.ErrInvalidKey, key, reservedDir)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if len(seg) > maxSegment {
			return fmt.Errorf("%w %q: a path segment is longer than %d bytes", objstore.ErrInvalidKey, key, maxSegment)
		}
	}
	return nil
}

// isNotExist reports whether err means "no such file", including the
// ENOTDIR of a path that runs through a file.
func isNotExist(err error) bool {
	return errors.Is(err, iofs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
