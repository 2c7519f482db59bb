package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// maxPage is the most keys S3 returns per ListObjectsV2 call.
const maxPage = 1000

// Put implements objstore.Bucket with one PutObject (atomic in S3).
func (b *Bucket) Put(ctx context.Context, key string, body []byte, opts objstore.PutOptions) error {
	opts, err := objstore.NormalizePut(key, opts)
	if err != nil {
		return err
	}
	_, err = b.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket:               &b.name,
		Key:                  &key,
		Body:                 bytes.NewReader(body),
		ContentLength:        aws.Int64(int64(len(body))),
		ContentType:          optional(opts.ContentType),
		ContentEncoding:      optional(opts.ContentEncoding),
		Metadata:             opts.Metadata,
		ACL:                  types.ObjectCannedACLBucketOwnerFullControl,
		ServerSideEncryption: types.ServerSideEncryption(opts.Encryption.Mode),
		SSEKMSKeyId:          optional(opts.Encryption.KMSKeyID),
	})
	if err != nil {
		return wrap(err, "put %q in bucket %q", key, b.name)
	}
	return nil
}

// Get implements objstore.Bucket with GetObject.
func (b *Bucket) Get(ctx context.Context, key string) (*objstore.Object, error) {
	if err := objstore.ValidateKey(key); err != nil {
		return nil, err
	}
	out, err := b.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: &b.name, Key: &key})
	if err != nil {
		return nil, wrap(err, "get %q from bucket %q", key, b.name)
	}
	defer out.Body.Close()
	body := bytes.NewBuffer(make([]byte, 0, max(aws.ToInt64(out.ContentLength), 0)))
	if _, err := io.Copy(body, out.Body); err != nil {
		return nil, fmt.Errorf("read %q from bucket %q: %w", key, b.name, err)
	}
	info := objectInfo(key, out.ContentLength, out.LastModified, out.ContentType, out.ContentEncoding,
		out.Metadata, out.ServerSideEncryption, out.SSEKMSKeyId)
	info.Size = int64(body.Len())
	info.ETag, info.VersionID = aws.ToString(out.ETag), aws.ToString(out.VersionId)
	return &objstore.Object{ObjectInfo: info, Body: body.Bytes()}, nil
}

// Head implements objstore.Bucket with HeadObject. A 404 carries no error
// code saying whether the key or the bucket is missing, so it asks.
func (b *Bucket) Head(ctx context.Context, key string) (*objstore.ObjectInfo, error) {
	if err := objstore.ValidateKey(key); err != nil {
		return nil, err
	}
	return b.head(ctx, key, nil)
}

// HeadVersion implements objstore.VersionedBucket with HeadObject's
// versionId. S3 answers a version id it cannot parse with 400 and no
// body: no object has that version, so it is ErrNotFound too.
func (b *Bucket) HeadVersion(ctx context.Context, key, versionID string) (*objstore.ObjectInfo, error) {
	if err := objstore.ValidateKey(key); err != nil {
		return nil, err
	}
	if versionID == "" {
		return nil, fmt.Errorf("head %q: empty version id: %w", key, objstore.ErrNotFound)
	}
	info, err := b.head(ctx, key, &versionID)
	if code := errorCode(err); code == "BadRequest" || code == "InvalidArgument" {
		return nil, fmt.Errorf("head %q version %q: %w: %w", key, versionID, objstore.ErrNotFound, err)
	}
	return info, err
}

// head is HeadObject of the current version, or of versionID if not nil.
func (b *Bucket) head(ctx context.Context, key string, versionID *string) (*objstore.ObjectInfo, error) {
	out, err := b.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &b.name, Key: &key, VersionId: versionID})
	if err != nil {
		err = wrap(err, "head %q in bucket %q", key, b.name)
		if errors.Is(err, objstore.ErrNotFound) {
			if ok, herr := b.Exists(ctx); herr == nil && !ok {
				return nil, fmt.Errorf("head %q: bucket %q: %w", key, b.name, objstore.ErrNoBucket)
			}
		}
		return nil, err
	}
	info := objectInfo(key, out.ContentLength, out.LastModified, out.ContentType, out.ContentEncoding,
		out.Metadata, out.ServerSideEncryption, out.SSEKMSKeyId)
	info.ETag, info.VersionID = aws.ToString(out.ETag), aws.ToString(out.VersionId)
	return &info, nil
}

// List implements objstore.Bucket with ListObjectsV2, fetching as many
// pages as max needs.
func (b *Bucket) List(ctx context.Context, prefix, startAfter string, max int) ([]objstore.ObjectInfo, error) {
	if max <= 0 {
		max = objstore.DefaultListMax
	}
	in := &awss3.ListObjectsV2Input{Bucket: &b.name, Prefix: optional(prefix), StartAfter: optional(startAfter)}
	pages := awss3.NewListObjectsV2Paginator(b.client, in, func(o *awss3.ListObjectsV2PaginatorOptions) {
		o.Limit = int32(min(max, maxPage))
	})
	var out []objstore.ObjectInfo
	for pages.HasMorePages() && len(out) < max {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "list bucket %q", b.name)
		}
		for _, o := range page.Contents {
			if len(out) == max {
				break
			}
			out = append(out, objstore.ObjectInfo{
				Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), Modified: aws.ToTime(o.LastModified),
			})
		}
	}
	return out, nil
}

// Delete implements objstore.Bucket with DeleteObject, which S3 already
// makes idempotent.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := objstore.ValidateKey(key); err != nil {
		return err
	}
	if _, err := b.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &b.name, Key: &key}); err != nil {
		return wrap(err, "delete %q from bucket %q", key, b.name)
	}
	return nil
}

// objectInfo converts the fields GetObject and HeadObject share.
func objectInfo(key string, size *int64, modified *time.Time, contentType, contentEncoding *string,
	metadata map[string]string, sse types.ServerSideEncryption, kmsKeyID *string,
) objstore.ObjectInfo {
	info := objstore.ObjectInfo{
		Key:             key,
		Size:            aws.ToInt64(size),
		Modified:        aws.ToTime(modified),
		ContentType:     aws.ToString(contentType),
		ContentEncoding: aws.ToString(contentEncoding),
		Encryption:      objstore.Encryption{Mode: objstore.SSEMode(sse), KMSKeyID: aws.ToString(kmsKeyID)},
	}
	if len(metadata) > 0 {
		info.Metadata = make(map[string]string, len(metadata))
		for k, v := range metadata {
			info.Metadata[strings.ToLower(k)] = v
		}
	}
	return info
}

// optional is nil for "", which the SDK then leaves out of the request.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
