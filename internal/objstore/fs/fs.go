// Package fs is the embedded objstore backend: every bucket is a directory
// <root>/<bucket>/ and every object a plain file at its key's path, so an
// operator can read delivered logs with zcat. It imports only objstore.
//
// Layout of a bucket directory:
//
//	<key path>                            the object's bytes, exactly as put
//	.deploytrail/meta/<hh>/<sha256>.json  its sidecar: content type and encoding,
//	                                      user metadata, encryption (never listed)
//	.deploytrail/tmp/                     writes in progress (never listed)
//
// All access goes through [os.Root] opened on the bucket directory, so no
// key, and no symbolic link planted inside a bucket, can reach a file outside
// it. Files are created 0600 and directories 0700.
//
// Encryption: the backend records the mode a Put asked for and reports it,
// but does not encrypt. The data directory is the trust boundary: it is
// 0700 and owned by the server's user, and disk encryption, if wanted, is
// the host's job.
//
// Limits (beyond [objstore.ValidateKey]): a key cannot be both an object and
// a "directory" of other keys ("a/b" and "a/b/c"; CloudTrail never writes
// that), its segments are at most 255 bytes, and its first segment cannot be
// ".deploytrail". Such keys get objstore.ErrInvalidKey.
//
// Put and Delete are atomic per file (rename); within one Store, a lock per
// key also makes object and sidecar change together for readers. Two
// processes sharing a data directory are not supported.
package fs

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	iofs "io/fs"
	"os"
	"strings"
	"sync"
	"syscall"

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
	root  *os.Root
	locks [64]sync.RWMutex // by hash of bucket and key; see lockFor
}

var _ objstore.Provider = (*Store)(nil)

// Open opens the store in dir (e.g. <data>/buckets), creating it 0700 if
// it does not exist. Close releases it.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("create object store directory: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open object store directory: %w", err)
	}
	return &Store{root: root}, nil
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
