package s3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// ErrNoLifecycle is returned by GetLifecycle for a bucket without a
// lifecycle configuration (S3's NoSuchLifecycleConfiguration).
var ErrNoLifecycle = errors.New("s3: the lifecycle configuration does not exist")

// PutLifecycle applies a lifecycle configuration to the bucket, which then
// enforces it itself. config is PutBucketLifecycleConfiguration's
// LifecycleConfiguration as JSON ({"Rules":[…]}, the AWS CLI's shape);
// the caller validates it. The service's refusals come back as
// smithy.APIError (see [ErrorCode]), e.g. MinIO's for a transition to a
// storage class that is not a configured remote tier.
func (b *Bucket) PutLifecycle(ctx context.Context, config []byte) error {
	var lc types.BucketLifecycleConfiguration
	if err := json.Unmarshal(config, &lc); err != nil {
		return fmt.Errorf("decode lifecycle configuration: %w", err)
	}
	_, err := b.client.PutBucketLifecycleConfiguration(ctx, &awss3.PutBucketLifecycleConfigurationInput{
		Bucket: &b.name, LifecycleConfiguration: &lc,
	})
	if err != nil {
		return wrap(err, "put lifecycle configuration of bucket %q", b.name)
	}
	return nil
}

// GetLifecycle returns the bucket's lifecycle configuration in the same
// JSON shape (absent fields may appear as null). Errors: ErrNoLifecycle,
// objstore.ErrNoBucket.
func (b *Bucket) GetLifecycle(ctx context.Context) ([]byte, error) {
	out, err := b.client.GetBucketLifecycleConfiguration(ctx, &awss3.GetBucketLifecycleConfigurationInput{Bucket: &b.name})
	if errorCode(err) == "NoSuchLifecycleConfiguration" {
		return nil, fmt.Errorf("bucket %q: %w", b.name, ErrNoLifecycle)
	}
	if err != nil {
		return nil, wrap(err, "get lifecycle configuration of bucket %q", b.name)
	}
	data, err := json.Marshal(types.BucketLifecycleConfiguration{Rules: out.Rules})
	if err != nil {
		return nil, fmt.Errorf("encode lifecycle configuration of bucket %q: %w", b.name, err)
	}
	return data, nil
}

// DeleteLifecycle removes the bucket's lifecycle configuration; removing
// none is not an error.
func (b *Bucket) DeleteLifecycle(ctx context.Context) error {
	_, err := b.client.DeleteBucketLifecycle(ctx, &awss3.DeleteBucketLifecycleInput{Bucket: &b.name})
	if err != nil && errorCode(err) != "NoSuchLifecycleConfiguration" {
		return wrap(err, "delete lifecycle configuration of bucket %q", b.name)
	}
	return nil
}

// ErrorCode returns the S3 error code and message the service answered
// with somewhere in err's chain, or "" and "" when it holds none.
func ErrorCode(err error) (code, message string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return "", ""
}
