package s3api

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/bucketpolicy"
	"github.com/deploytrail/deploytrail/internal/iam/policy"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// Authorize decides whether the call may run the target's operation and
// returns the owner of the bucket it acts on ("" for ListBuckets). A
// bucket that does not exist is NoSuchBucket first, as in S3. The
// caller's IAM policies and the bucket's policy are weighed together
// (Authorizer); CopyObject also needs s3:GetObject on its source.
func (s *Service) Authorize(ctx context.Context, call *awsproto.Call, t *Target, r *Request) (owner string, err error) {
	switch t.Op {
	case opListBuckets:
		return "", s.Auth.AuthorizeResource(ctx, call, t.Op.Action, t.Resource(), call.Account(), nil)
	case opCreateBucket:
		return call.Account(), s.Auth.AuthorizeResource(ctx, call, t.Op.Action, t.Resource(), call.Account(), nil)
	}
	owner, doc, err := s.bucketAccess(ctx, t.Bucket)
	if err != nil {
		return "", err
	}
	r.owner, r.policy = owner, doc
	if t.Op == opDeleteObjects {
		// Each key is authorized on its own once the body is read, and
		// a denied key fails alone (AccessDenied in the result), as in S3.
		return owner, nil
	}
	if err := s.Auth.AuthorizeResource(ctx, call, t.Op.Action, t.Resource(), owner, doc); err != nil {
		return "", err
	}
	if t.Op == opCopyObject {
		src, err := parseCopySource(r.HTTP.Header.Get("X-Amz-Copy-Source"))
		if err != nil {
			return "", err
		}
		srcOwner, srcDoc, err := s.bucketAccess(ctx, src.Bucket)
		if err != nil {
			return "", err
		}
		if err := s.Auth.AuthorizeResource(ctx, call, "s3:GetObject", BucketARN(src.Bucket)+"/"+src.Key, srcOwner, srcDoc); err != nil {
			return "", err
		}
	}
	return owner, nil
}

// bucketAccess returns an existing bucket's owner and policy.
func (s *Service) bucketAccess(ctx context.Context, bucket string) (string, *policy.Document, error) {
	if _, err := s.existingBucket(ctx, bucket); err != nil {
		return "", nil, err
	}
	rec, err := s.Policies.Effective(ctx, bucket)
	if err != nil {
		return "", nil, err
	}
	doc, err := bucketpolicy.Parse(bucket, rec.Policy)
	if err != nil {
		// A stored policy was valid when put; one that no longer parses
		// grants nothing, and the owner's IAM policies still apply.
		doc = nil
	}
	return rec.Owner, doc, nil
}

// existingBucket returns the bucket, or NoSuchBucket.
func (s *Service) existingBucket(ctx context.Context, name string) (objstore.Bucket, error) {
	b, err := s.Buckets.Bucket(name)
	if err != nil {
		return nil, Errorf(CodeInvalidBucketName, "The specified bucket is not valid.")
	}
	ok, err := b.Exists(ctx)
	if err != nil {
		return nil, fmt.Errorf("check bucket %s: %w", name, err)
	}
	if !ok {
		return nil, noSuchBucket()
	}
	return b, nil
}

// copySource is what x-amz-copy-source names.
type copySource struct{ Bucket, Key string }

// parseCopySource reads "bucket/key" or "/bucket/key", URL-encoded; a
// version other than "null" is refused: the buckets keep no versions.
func parseCopySource(v string) (*copySource, error) {
	raw, version, _ := strings.Cut(v, "?")
	path, err := url.PathUnescape(raw)
	if err != nil {
		return nil, invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if bucket == "" || key == "" {
		return nil, invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	if version != "" && version != "versionId=null" {
		return nil, invalidArgument("Invalid version id specified")
	}
	t := &Target{Bucket: bucket, Key: key}
	if err := checkNames(t); err != nil {
		return nil, err
	}
	return &copySource{Bucket: bucket, Key: key}, nil
}
