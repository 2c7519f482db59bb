package objstore

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"time"
)

// Multipart upload errors (S3's codes of the same names).
var (
	// ErrNoSuchUpload: no upload with that id for that key in the bucket
	// (never created, completed or aborted).
	ErrNoSuchUpload = errors.New("objstore: no such upload")
	// ErrInvalidPart: a part to complete was not uploaded, or its ETag is
	// not the one given.
	ErrInvalidPart = errors.New("objstore: invalid part")
	// ErrInvalidPartOrder: the parts to complete are not in strictly
	// ascending order of their numbers.
	ErrInvalidPartOrder = errors.New("objstore: parts not in ascending order")
	// ErrEntityTooSmall: a part other than the last is smaller than
	// MinPartSize.
	ErrEntityTooSmall = errors.New("objstore: part smaller than the minimum allowed")
)

// S3's limits on multipart uploads.
const (
	MaxParts       = 10000   // parts per upload; part numbers are 1 to MaxParts
	MinPartSize    = 5 << 20 // every part but the last
	MaxPartSize    = 5 << 30
	MaxObjectSize  = 5 << 40 // a completed upload
	DefaultPartMax = 1000    // parts ListParts returns when max <= 0
)

// Multipart is a Bucket that stores S3 multipart uploads: parts are
// uploaded separately and durably, then completed into one object.
// objstore/fs implements it; objstore/s3 does not (users talk to the S3
// service directly) and neither does mem. Every method returns the Bucket
// errors (ErrNoBucket, ErrInvalidKey, ctx.Err()) besides its own.
type Multipart interface {
	Bucket
	// CreateUpload starts an upload of key with the object's properties
	// and returns its id. Errors: ErrInvalidOptions.
	CreateUpload(ctx context.Context, key string, opts PutOptions) (uploadID string, err error)
	// UploadPart stores part n (1 to MaxParts) of size bytes (-1: unknown,
	// at most MaxPartSize) and returns it with its ETag (the quoted MD5 of
	// its bytes); uploading a number again replaces the part. Errors:
	// ErrNoSuchUpload, ErrInvalidPart (a bad number), ErrIncompleteBody,
	// ErrEntityTooLarge.
	UploadPart(ctx context.Context, key, uploadID string, n int, body io.Reader, size int64) (*Part, error)
	// ListParts returns up to max parts (DefaultPartMax when max <= 0)
	// numbered above after, in ascending order. Errors: ErrNoSuchUpload.
	ListParts(ctx context.Context, key, uploadID string, after, max int) ([]Part, error)
	// ListUploads returns up to max uploads in progress (DefaultListMax
	// when max <= 0) whose keys start with prefix, ordered by key and then
	// by initiation, after the upload (keyMarker, uploadIDMarker) as S3
	// orders them.
	ListUploads(ctx context.Context, prefix, keyMarker, uploadIDMarker string, max int) ([]Upload, error)
	// Complete joins the listed parts, in order, into a staged object
	// whose ETag is S3's multipart ETag (see [MultipartETag]); committing
	// it ends the upload, aborting it leaves the upload as it was.
	// Errors: ErrNoSuchUpload, ErrInvalidPart, ErrInvalidPartOrder,
	// ErrEntityTooSmall, ErrEntityTooLarge.
	Complete(ctx context.Context, key, uploadID string, parts []CompletedPart) (Staged, error)
	// AbortUpload deletes the upload and its parts. Errors: ErrNoSuchUpload.
	AbortUpload(ctx context.Context, key, uploadID string) error
}

// Part is an uploaded part.
type Part struct {
	Number   int
	ETag     string // quoted hex MD5 of the part's bytes
	Size     int64
	Modified time.Time
}

// CompletedPart names a part to complete an upload with, as the client
// lists it.
type CompletedPart struct {
	Number int
	ETag   string // quoted or not
}

// Upload is a multipart upload in progress.
type Upload struct {
	Key       string
	UploadID  string
	Initiated time.Time
}

// MultipartETag is S3's ETag of an object completed from parts whose
// binary MD5s are sums: the hex MD5 of their concatenation, a dash and
// the number of parts, in double quotes.
func MultipartETag(sums [][]byte) string {
	h := md5.New() // S3's definition of the ETag, not a security use
	for _, s := range sums {
		h.Write(s)
	}
	return `"` + hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(sums)) + `"`
}
