package codedeploy

import (
	"context"
	"strings"
)

// RevisionStore is where CreateDeployment looks for the objects of S3
// revisions (issue 12 item 4): app fills it from the configured buckets
// provider, the one trails deliver to.
type RevisionStore interface {
	// HeadRevision reports the object's quoted ETag ("" when the store
	// does not know it): of the version named, if version is set and the
	// store keeps versions, else of the current object. known is false
	// when the store cannot say whether the object exists: it does not
	// hold the bucket, or it could not be reached (err says why; the
	// caller only logs it).
	HeadRevision(ctx context.Context, bucket, key, version string) (etag string, exists, known bool, err error)
}

// checkS3Object checks that an S3 revision's object is in the revision
// store and has the eTag the revision names. Only a store that answers
// refuses a deployment: a bucket the store does not hold, or a store it
// cannot reach, is accepted and the agent reports a missing bundle
// later. A version is checked where the store keeps versions (S3).
// It runs before CreateDeployment's transaction, which then returns the
// error after the request's own checks, so that no store call is made
// under a transaction.
func (s *Service) checkS3Object(ctx context.Context, rev *RevisionLocation) error {
	if s.Revisions == nil || rev == nil || rev.RevisionType != "S3" || rev.S3Location == nil ||
		rev.S3Location.Bucket == "" || rev.S3Location.Key == "" {
		return nil
	}
	loc := rev.S3Location
	etag, exists, known, err := s.Revisions.HeadRevision(ctx, loc.Bucket, loc.Key, loc.Version)
	switch {
	case err != nil || !known:
		return nil
	case !exists && loc.Version != "":
		return errorf(CodeRevisionDoesNotExist, "Version %s of the S3 object s3://%s/%s does not exist.", loc.Version, loc.Bucket, loc.Key)
	case !exists:
		return errorf(CodeRevisionDoesNotExist, "The S3 object s3://%s/%s does not exist.", loc.Bucket, loc.Key)
	case loc.ETag != "" && etag != "" && unquote(loc.ETag) != unquote(etag):
		return errorf(CodeInvalidRevision, "The eTag %s does not match the eTag of the S3 object s3://%s/%s.",
			loc.ETag, loc.Bucket, loc.Key)
	}
	return nil
}

// unquote strips the double quotes S3 puts around an ETag; agents and the
// AWS CLI pass it either way.
func unquote(etag string) string { return strings.Trim(etag, `"`) }
