// Package s3api is the S3 REST protocol over deploytrail's own buckets:
// it routes a request (method, path, query, Host) to an operation,
// authorizes it with IAM and the bucket's policy, and runs it on the
// bucket store, answering in S3's XML with S3's error codes.
//
// The HTTP edge (package server) authenticates the request, verifies
// its body as it streams and records the call's CloudTrail event; an
// operation that changes state returns its change as Response.Commit, which
// the edge runs in the transaction that stores the event, so that no
// acknowledged change lacks its event.
//
// It imports awserr, awsproto, iam/policy, objstore and bucketpolicy of
// ours; never server, store or the services.
package s3api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/bucketpolicy"
	"github.com/deploytrail/deploytrail/internal/iam/policy"
	"github.com/deploytrail/deploytrail/internal/lifecycle"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// EventSource is the eventSource of S3's CloudTrail records.
const EventSource = "s3.amazonaws.com"

// DefaultRegion is the region deploytrail's buckets live in.
const DefaultRegion = "us-east-1"

// AWSService names S3 in calls and records (awsproto.Call.Service): the
// signing name, IAM prefix and eventSource. S3 has no model: its
// operations are this package's.
var AWSService = &awsproto.Service{Name: "s3", EventSource: EventSource}

// Authorizer decides whether a call may perform an action on a resource
// whose owner and resource-based policy (a bucket policy; nil for none)
// are given, with AWS's rules for combining identity and resource
// policies. *iam.Service implements it.
type Authorizer interface {
	AuthorizeResource(ctx context.Context, call *awsproto.Call, action, resource, owner string, resourcePolicy *policy.Document) error
}

// Registry lists and removes the buckets of the store; the provider
// hands out buckets by name only.
type Registry interface {
	// Buckets lists every bucket with its creation time.
	Buckets(ctx context.Context) ([]BucketEntry, error)
	// RemoveBucket removes an empty bucket.
	RemoveBucket(ctx context.Context, name string) error
}

// BucketEntry is one bucket of the store.
type BucketEntry struct {
	Name    string
	Created time.Time
}

// Service serves S3's operations over a bucket store.
type Service struct {
	Buckets  objstore.Provider
	Registry Registry
	Policies *bucketpolicy.Policies
	Auth     Authorizer
	// Lifecycle keeps the buckets' lifecycle rules (nil: lifecycle
	// configuration is NotImplemented).
	Lifecycle lifecycle.Rules
	// Region is where the buckets live (DefaultRegion when empty).
	Region string
	// MaxBufferedObject bounds an object body held in memory for a bucket
	// that does not stream (DefaultMaxBufferedObject when zero).
	MaxBufferedObject int64
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	locks bucketLocks
}

// DefaultMaxBufferedObject is the largest object written or copied
// through a bucket that is not an objstore.Streamer: its body is held
// in memory.
const DefaultMaxBufferedObject = 64 << 20

// MaxObjectSize is S3's limit for one PUT.
const MaxObjectSize = 5 << 30

// Request is one routed, authenticated S3 request.
type Request struct {
	Target *Target
	HTTP   *http.Request
	// Body is the payload, verified against the signature as it is read:
	// a read past a mismatch fails.
	Body io.Reader
	// Size is the payload's declared length (x-amz-decoded-content-length
	// for an aws-chunked body), -1 when unknown.
	Size int64
	Call *awsproto.Call
	// Reserve charges n bytes of memory for a buffered body; ok is false
	// when the server's budget is spent. Nil charges nothing.
	Reserve func(n int64) (release func(), ok bool)

	// owner and policy are the bucket's, kept by Authorize for the
	// operations that authorize each key (DeleteObjects).
	owner  string
	policy *policy.Document
}

// Response is an operation's answer and what its event records.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Stream, when set, is the body (GetObject); the server closes it.
	Stream io.ReadCloser
	// Commit makes the operation's change visible; the server runs it
	// last in the transaction that stores the call's event. Abort undoes
	// what the operation did when the change did not take effect (Commit
	// not run or failed, or its transaction rolled back).
	Commit func(ctx context.Context) error
	Abort  func()
	// RequestParameters and AdditionalEventData go into the event.
	RequestParameters   map[string]any
	ResponseElements    map[string]any
	AdditionalEventData map[string]any
	// ObjectKeys are the keys DeleteObjects named, for the event's
	// resources.
	ObjectKeys []string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) region() string {
	if s.Region != "" {
		return s.Region
	}
	return DefaultRegion
}

func (s *Service) maxBuffered() int64 {
	if s.MaxBufferedObject > 0 {
		return s.MaxBufferedObject
	}
	return DefaultMaxBufferedObject
}

// Do runs the request's operation. Nothing it does is visible before the
// server runs Response.Commit.
func (s *Service) Do(ctx context.Context, req *Request) (*Response, error) {
	switch req.Target.Op {
	case opListBuckets:
		return s.listBuckets(ctx, req)
	case opCreateBucket:
		return s.createBucket(ctx, req)
	case opDeleteBucket:
		return s.deleteBucket(ctx, req)
	case opHeadBucket:
		return s.headBucket(ctx, req)
	case opGetBucketLocation:
		return s.getBucketLocation(ctx, req)
	case opGetBucketPolicy:
		return s.getBucketPolicy(ctx, req)
	case opPutBucketPolicy:
		return s.putBucketPolicy(ctx, req)
	case opDeleteBucketPolicy:
		return s.deleteBucketPolicy(ctx, req)
	case opListObjects, opListObjectsV2:
		return s.listObjects(ctx, req)
	case opDeleteObjects:
		return s.deleteObjects(ctx, req)
	case opPutObject:
		return s.putObject(ctx, req)
	case opCopyObject:
		return s.copyObject(ctx, req)
	case opGetObject, opHeadObject:
		return s.getObject(ctx, req)
	case opDeleteObject:
		return s.deleteObject(ctx, req)
	case opCreateMultipartUpload:
		return s.createMultipartUpload(ctx, req)
	case opUploadPart:
		return s.uploadPart(ctx, req)
	case opCompleteMultipartUpload:
		return s.completeMultipartUpload(ctx, req)
	case opAbortMultipartUpload:
		return s.abortMultipartUpload(ctx, req)
	case opListParts:
		return s.listParts(ctx, req)
	case opListMultipartUploads:
		return s.listMultipartUploads(ctx, req)
	}
	return s.doConfig(ctx, req)
}

// doConfig runs the bucket configuration operations (config.go).
func (s *Service) doConfig(ctx context.Context, req *Request) (*Response, error) {
	switch req.Target.Op {
	case opGetBucketLifecycle:
		return s.getBucketLifecycle(ctx, req)
	case opPutBucketLifecycle:
		return s.putBucketLifecycle(ctx, req)
	case opDeleteBucketLifecycle:
		return s.deleteBucketLifecycle(ctx, req)
	case opGetBucketEncryption:
		return s.getBucketEncryption(ctx, req)
	case opPutBucketEncryption:
		return s.putBucketEncryption(ctx, req)
	case opDeleteBucketEncryption:
		return s.deleteBucketEncryption(ctx, req)
	case opGetBucketVersioning:
		return s.getBucketVersioning(ctx, req)
	case opPutBucketVersioning:
		return s.putBucketVersioning(ctx, req)
	}
	return nil, notImplemented(req.Target.Op.Name)
}

// CanonicalUserID is the canonical user id S3 shows for an account: a
// stable 64-hex-digit id derived from the account id.
func CanonicalUserID(account string) string {
	sum := sha256.Sum256([]byte("deploytrail-s3-owner:" + account))
	return hex.EncodeToString(sum[:])
}

// bucketLocks orders object writes against DeleteBucket: writes share a
// bucket's lock, DeleteBucket takes it alone, so that no object lands in
// a bucket between its emptiness check and its removal.
type bucketLocks struct {
	mu    sync.Mutex
	locks map[string]*bucketLock
}

type bucketLock struct {
	sync.RWMutex
	users int
}

// hold takes bucket's lock (shared or alone) and returns its release.
func (l *bucketLocks) hold(bucket string, alone bool) func() {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*bucketLock{}
	}
	lk := l.locks[bucket]
	if lk == nil {
		lk = &bucketLock{}
		l.locks[bucket] = lk
	}
	lk.users++
	l.mu.Unlock()
	if alone {
		lk.Lock()
	} else {
		lk.RLock()
	}
	return func() {
		if alone {
			lk.Unlock()
		} else {
			lk.RUnlock()
		}
		l.mu.Lock()
		if lk.users--; lk.users == 0 {
			delete(l.locks, bucket)
		}
		l.mu.Unlock()
	}
}
