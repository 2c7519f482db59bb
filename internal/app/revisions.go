package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// revisionHeadTimeout bounds CreateDeployment's look-up of an S3
// revision's object; a store slower than this counts as unreachable.
const revisionHeadTimeout = 5 * time.Second

// revisionStore is codedeploy's RevisionStore over the buckets provider.
type revisionStore struct {
	buckets objstore.Provider
	logger  *slog.Logger
}

// HeadRevision implements codedeploy.RevisionStore: a missing object is
// known, a missing bucket or a failed call is not (logged at debug). The
// version is looked up where the backend keeps versions (S3); fs and mem
// have none, so there only the key is.
func (r revisionStore) HeadRevision(ctx context.Context, bucket, key, version string) (etag string, exists, known bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, revisionHeadTimeout)
	defer cancel()
	b, err := r.buckets.Bucket(bucket)
	if err == nil {
		var info *objstore.ObjectInfo
		if vb, ok := b.(objstore.VersionedBucket); ok && version != "" {
			info, err = vb.HeadVersion(ctx, key, version)
		} else {
			info, err = b.Head(ctx, key)
		}
		if err == nil {
			return info.ETag, true, true, nil
		}
	}
	switch {
	case errors.Is(err, objstore.ErrNotFound):
		return "", false, true, nil
	case errors.Is(err, objstore.ErrNoBucket):
		return "", false, false, nil
	}
	r.logger.DebugContext(ctx, "S3 revision not checked: the bucket store did not answer", "bucket", bucket, "key", key, "err", err)
	return "", false, false, err
}
