// Package s3 is the objstore backend for S3 and S3-compatible services
// (MinIO, …), through aws-sdk-go-v2 with path-style addressing. It imports
// only objstore of ours and reads no environment: cmd/deploytrail maps
// DEPLOYTRAIL_S3_* onto [Config].
//
// Every object is written with server-side encryption (SSE-S3, AES256,
// unless the caller asks for SSE-KMS) and the canned ACL
// bucket-owner-full-control, as CloudTrail does (bucket policies condition
// PutObject on it; services that ignore ACLs, like MinIO, accept it).
// Bodies are read back exactly as stored: the SDK asks for
// "Accept-Encoding: identity", so neither it nor net/http undoes a
// Content-Encoding of gzip.
package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// Config says which service to talk to and as whom.
type Config struct {
	// Endpoint is the service's base URL, e.g. "http://127.0.0.1:9000";
	// empty means AWS S3 in Region.
	Endpoint string
	// Region signs requests and places new buckets; required.
	Region string
	// Static credentials; SessionToken only for temporary ones.
	AccessKeyID, SecretAccessKey, SessionToken string
	// Credentials, when set, replaces the static keys (e.g. the SDK's
	// default chain, which cmd/deploytrail may choose).
	Credentials aws.CredentialsProvider
}

// MaxIdleConns is how many idle connections to the service are kept for
// reuse. The SDK's default of 10 per host would make a caller with more
// requests in flight (validate-logs fetches up to 2 × --concurrency
// objects at once) close and reopen connections all the time.
const MaxIdleConns = 256

// Store hands out buckets of one service. It is safe for concurrent use.
type Store struct {
	client *awss3.Client
	region string
}

var _ objstore.Provider = (*Store)(nil)

// New returns a Store for cfg. It does not contact the service.
func New(cfg Config) (*Store, error) {
	if cfg.Region == "" {
		return nil, errors.New("s3 object store: Region is required")
	}
	creds := cfg.Credentials
	if creds == nil {
		if cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
			return nil, errors.New("s3 object store: an access key id and secret access key (or Credentials) are required")
		}
		creds = credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)
	}
	opts := awss3.Options{
		Region:       cfg.Region,
		Credentials:  aws.NewCredentialsCache(creds),
		UsePathStyle: true, // bucket names with dots; MinIO without DNS
		HTTPClient: awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns, t.MaxIdleConnsPerHost = MaxIdleConns, MaxIdleConns
		}),
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	return &Store{client: awss3.New(opts), region: cfg.Region}, nil
}

// Bucket returns a handle to the named bucket, which need not exist yet.
func (s *Store) Bucket(name string) (objstore.Bucket, error) {
	if err := objstore.ValidateBucketName(name); err != nil {
		return nil, err
	}
	return &Bucket{client: s.client, region: s.region, name: name}, nil
}

// Bucket is one bucket of the service.
type Bucket struct {
	client *awss3.Client
	region string
	name   string
}

var _ objstore.Bucket = (*Bucket)(nil)

// Exists implements objstore.Bucket with HeadBucket.
func (b *Bucket) Exists(ctx context.Context) (bool, error) {
	_, err := b.client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: &b.name})
	if err == nil {
		return true, nil
	}
	if code := errorCode(err); code == "NotFound" || code == "NoSuchBucket" {
		return false, nil
	}
	return false, fmt.Errorf("head bucket %q: %w", b.name, err)
}

// Create implements objstore.Bucket with CreateBucket in the Store's region.
func (b *Bucket) Create(ctx context.Context) error {
	in := &awss3.CreateBucketInput{Bucket: &b.name}
	if b.region != "us-east-1" { // us-east-1 is the default and must not be named
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(b.region),
		}
	}
	_, err := b.client.CreateBucket(ctx, in)
	if err != nil && errorCode(err) != "BucketAlreadyOwnedByYou" {
		return fmt.Errorf("create bucket %q: %w", b.name, err)
	}
	return nil
}

// errorCode is the S3 error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// wrap turns S3's missing-object and missing-bucket errors into objstore's,
// keeping the SDK error in the chain for logs.
func wrap(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	switch errorCode(err) {
	case "NoSuchKey", "NoSuchVersion", "NotFound":
		return fmt.Errorf("%s: %w: %w", what, objstore.ErrNotFound, err)
	case "NoSuchBucket":
		return fmt.Errorf("%s: %w: %w", what, objstore.ErrNoBucket, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
