// Package objstore is the object-storage contract CloudTrail delivery writes
// log and digest files through: a [Bucket] of immutable, atomically written
// objects addressed by key, and a [Provider] that hands out buckets by name.
//
// Backends live in their own packages: objstore/fs (a directory per bucket,
// the embedded default), objstore/s3 (any S3-compatible service) and
// objstore/mem (in memory, for tests). objstore/objstoretest is the one
// contract suite every backend runs.
//
// This package imports nothing of ours.
package objstore

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"time"
)

// Errors every backend returns (possibly wrapped; test with errors.Is).
var (
	// ErrNotFound: the bucket exists but holds no object under the key.
	ErrNotFound = errors.New("objstore: object not found")
	// ErrNoBucket: the bucket does not exist (S3 NoSuchBucket).
	ErrNoBucket = errors.New("objstore: bucket does not exist")
	// ErrInvalidBucketName: the name breaks the S3 bucket naming rules.
	ErrInvalidBucketName = errors.New("objstore: invalid bucket name")
	// ErrInvalidKey: the key is not one [ValidateKey] accepts, or a backend
	// cannot store it (see the backend's documentation).
	ErrInvalidKey = errors.New("objstore: invalid object key")
	// ErrInvalidOptions: PutOptions carry metadata S3 cannot transport or
	// an inconsistent Encryption.
	ErrInvalidOptions = errors.New("objstore: invalid put options")
	// ErrAccessDenied: the bucket's policy does not let the writer put the
	// object (S3 AccessDenied). Backends do not return it; deploytrail's
	// bucket policies (package bucketpolicy) do.
	ErrAccessDenied = errors.New("objstore: access denied")
)

// DefaultListMax is how many objects List returns when max <= 0; it is
// S3's page size.
const DefaultListMax = 1000

// Bucket is one bucket of objects. Implementations are safe for concurrent
// use. Every method returns ErrNoBucket when the bucket does not exist,
// ErrInvalidKey for keys [ValidateKey] rejects, and ctx.Err() (wrapped) when
// the context ends first; other errors are I/O or transport failures.
type Bucket interface {
	// Put stores body under key, replacing any object there. It is atomic:
	// readers see the old object or the new one, never a partial one.
	// Metadata keys are lower-cased, as S3 does. Errors: ErrNoBucket,
	// ErrInvalidKey, ErrInvalidOptions.
	Put(ctx context.Context, key string, body []byte, opts PutOptions) error

	// Get returns the object's bytes exactly as stored: a body written with
	// ContentEncoding "gzip" comes back compressed. Errors: ErrNotFound,
	// ErrNoBucket, ErrInvalidKey.
	Get(ctx context.Context, key string) (*Object, error)

	// Head is Get without the body. Errors: ErrNotFound, ErrNoBucket,
	// ErrInvalidKey.
	Head(ctx context.Context, key string) (*ObjectInfo, error)

	// List returns up to max objects (DefaultListMax when max <= 0) whose
	// keys start with prefix and sort after startAfter, in ascending byte
	// order of the key, like S3 ListObjects. Only Key, Size and Modified
	// are set. An empty result is not an error. Errors: ErrNoBucket.
	List(ctx context.Context, prefix, startAfter string, max int) ([]ObjectInfo, error)

	// Delete removes the object; deleting a missing object is not an
	// error. Errors: ErrNoBucket, ErrInvalidKey.
	Delete(ctx context.Context, key string) error

	// Exists reports whether the bucket exists. A missing bucket is
	// (false, nil); errors mean the answer is unknown.
	Exists(ctx context.Context) (bool, error)

	// Create creates the bucket. Creating a bucket that already exists
	// (and is ours) is not an error.
	Create(ctx context.Context) error
}

// Provider hands out buckets by name. Bucket validates the name with
// [ValidateBucketName] (ErrInvalidBucketName) but does not check that the
// bucket exists: use [Bucket.Exists].
type Provider interface {
	Bucket(name string) (Bucket, error)
}

// PutOptions are the object properties stored with the body.
type PutOptions struct {
	ContentType     string            // e.g. "application/json"; if empty, S3 stores its default
	ContentEncoding string            // e.g. "gzip"; never applied or undone by a backend
	Metadata        map[string]string // user metadata (x-amz-meta-*), e.g. "signature"
	Encryption      Encryption
}

// SSEMode is a server-side encryption mode; the non-default values are the
// x-amz-server-side-encryption header values.
type SSEMode string

// Server-side encryption modes.
const (
	SSEDefault SSEMode = ""        // the backend's default, which is SSES3
	SSES3      SSEMode = "AES256"  // service-managed keys
	SSEKMS     SSEMode = "aws:kms" // a KMS key, Encryption.KMSKeyID or the service's default key
)

// Encryption is the server-side encryption asked for (PutOptions) or
// applied (ObjectInfo).
type Encryption struct {
	Mode SSEMode
	// KMSKeyID is the KMS key for SSEKMS. Backends report the key as the
	// service names it, which may be a longer form (an ARN) ending in the
	// id that was asked for.
	KMSKeyID string
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key             string
	Size            int64
	Modified        time.Time
	ContentType     string
	ContentEncoding string
	Metadata        map[string]string // keys lower-case; nil when there is none
	// Encryption as applied: SSES3 for a Put that asked for SSEDefault. An
	// empty Mode means unencrypted, which only objects written by others
	// can be.
	Encryption Encryption
	// ETag is S3's entity tag, quoted: for a single-part Put, the hex MD5
	// of the body (see [ETagOf]). Empty when the backend does not know it
	// (an fs object an operator copied in by hand). Not set by List.
	ETag string
	// VersionID is the S3 object version Head and Get saw; empty for
	// backends without versioning and for unversioned S3 buckets.
	VersionID string
}

// VersionedBucket is a Bucket that keeps object versions (S3 versioning):
// objstore/s3 implements it, fs and mem do not.
type VersionedBucket interface {
	Bucket
	// HeadVersion is Head of one version of the object. Errors:
	// ErrNotFound (no such key or version), ErrNoBucket, ErrInvalidKey.
	HeadVersion(ctx context.Context, key, versionID string) (*ObjectInfo, error)
}

// ETagOf is the ETag S3 gives a body stored with one (single-part) Put:
// its hex MD5 in double quotes.
func ETagOf(body []byte) string {
	sum := md5.Sum(body) // S3's definition of the ETag, not a security use
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// Object is a stored object with its bytes.
type Object struct {
	ObjectInfo
	Body []byte
}

// ErrIncompleteBody: a streamed body ended before, or ran past, the size
// its writer declared (S3 IncompleteBody).
var ErrIncompleteBody = errors.New("objstore: body does not match its declared size")

// ErrEntityTooLarge: a body is larger than the backend accepts in one
// write (S3 EntityTooLarge).
var ErrEntityTooLarge = errors.New("objstore: body too large")

// Streamer is a Bucket whose bodies stream: the directory backend
// implements it, so that the S3 API never holds a whole object in memory.
// Callers fall back to Put and Get for buckets that do not.
type Streamer interface {
	Bucket
	// Stage reads body into a staged object that nobody sees until it is
	// committed: an abandoned or crashed stage leaves no partial object.
	// size is the length the writer declared, or -1 when unknown; a body
	// that ends early or runs past it fails with ErrIncompleteBody. The
	// staged object's info carries its size and ETag (MD5 of the body).
	// Errors: ErrNoBucket, ErrInvalidKey, ErrInvalidOptions,
	// ErrIncompleteBody, and whatever reading body returned.
	Stage(ctx context.Context, key string, body io.Reader, size int64, opts PutOptions) (Staged, error)
	// Open returns the object's info and a reader of n bytes of its body
	// from offset off (n < 0: to the end). The caller closes the reader.
	// Errors: ErrNotFound, ErrNoBucket, ErrInvalidKey.
	Open(ctx context.Context, key string, off, n int64) (*ObjectInfo, io.ReadCloser, error)
}

// Staged is an object written but not yet visible (Streamer.Stage).
type Staged interface {
	// Info describes the object as it will be stored.
	Info() *ObjectInfo
	// Commit makes the object visible under its key, atomically
	// replacing any object there.
	Commit(ctx context.Context) error
	// Abort discards the staged object; after Commit it does nothing.
	Abort() error
}
