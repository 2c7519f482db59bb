package s3

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/objstoretest"
)

// TestBucket runs the contract suite against the service in
// DEPLOYTRAIL_TEST_S3_ENDPOINT, one fresh bucket per subtest.
func TestBucket(t *testing.T) {
	store := mustTestStore(t)
	objstoretest.Run(t, func(t *testing.T) objstore.Bucket { return newTestBucket(t, store) })
}

// TestBucket_SSE checks with the SDK itself that the service really applied
// the encryption (rather than trusting our own Head).
func TestBucket_SSE(t *testing.T) {
	store := mustTestStore(t)
	b := newTestBucket(t, store)
	if err := b.Create(t.Context()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key  string
		enc  objstore.Encryption
		want types.ServerSideEncryption
	}{
		{"default.json.gz", objstore.Encryption{}, types.ServerSideEncryptionAes256},
		{"kms.json.gz", objstore.Encryption{Mode: objstore.SSEKMS, KMSKeyID: objstoretest.KMSKeyID}, types.ServerSideEncryptionAwsKms},
	}
	for _, tt := range tests {
		objstoretest.MustPut(t, b, tt.key, []byte("x"), objstore.PutOptions{Encryption: tt.enc})
		out, err := store.client.HeadObject(t.Context(), &awss3.HeadObjectInput{Bucket: aws.String(b.(*Bucket).name), Key: &tt.key})
		if err != nil {
			t.Fatalf("HeadObject(%q): %v", tt.key, err)
		}
		if out.ServerSideEncryption != tt.want {
			t.Errorf("%s: ServerSideEncryption=%q, want %q", tt.key, out.ServerSideEncryption, tt.want)
		}
		if got := aws.ToString(out.SSEKMSKeyId); !strings.HasSuffix(got, tt.enc.KMSKeyID) {
			t.Errorf("%s: SSEKMSKeyId=%q, want it to end in %q", tt.key, got, tt.enc.KMSKeyID)
		}
	}
}

func TestNew(t *testing.T) {
	for name, cfg := range map[string]Config{
		"NoRegion":      {AccessKeyID: "a", SecretAccessKey: "s"},
		"NoCredentials": {Region: "us-east-1"},
		"NoSecret":      {Region: "us-east-1", AccessKeyID: "a"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New succeeded, want an error", name)
		}
	}
	s, err := New(Config{Region: "eu-west-1", AccessKeyID: "a", SecretAccessKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Bucket("Not_A_Bucket"); err == nil {
		t.Error("Bucket accepted an invalid name")
	}
}

func mustTestStore(t *testing.T) *Store {
	t.Helper()
	endpoint := os.Getenv("DEPLOYTRAIL_TEST_S3_ENDPOINT")
	if endpoint == "" {
		t.Skip("set DEPLOYTRAIL_TEST_S3_ENDPOINT (make test starts MinIO)")
	}
	s, err := New(Config{
		Endpoint:        endpoint,
		Region:          "us-east-1",
		AccessKeyID:     os.Getenv("DEPLOYTRAIL_TEST_S3_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("DEPLOYTRAIL_TEST_S3_SECRET_ACCESS_KEY"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	runID   = strings.ToLower(rand.Text()[:8])
	buckets atomic.Int64
)

// newTestBucket returns a bucket that does not exist yet, and removes it
// with its objects when the test ends.
func newTestBucket(t *testing.T, s *Store) objstore.Bucket {
	t.Helper()
	name := fmt.Sprintf("dt-test-%s-%d", runID, buckets.Add(1))
	b, err := s.Bucket(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// t.Context() is already done when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := removeBucket(ctx, s.client, name); err != nil {
			t.Errorf("remove bucket %s: %v", name, err)
		}
	})
	return b
}

// removeBucket deletes every version of every object (a versioned bucket
// keeps them), then the bucket.
func removeBucket(ctx context.Context, c *awss3.Client, name string) error {
	pages := awss3.NewListObjectVersionsPaginator(c, &awss3.ListObjectVersionsInput{Bucket: &name})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if errorCode(err) == "NoSuchBucket" {
			return nil // the test never created it
		}
		if err != nil {
			return err
		}
		for _, o := range page.Versions {
			if _, err := c.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &name, Key: o.Key, VersionId: o.VersionId}); err != nil {
				return err
			}
		}
	}
	_, err := c.DeleteBucket(ctx, &awss3.DeleteBucketInput{Bucket: &name})
	return err
}

// TestBucket_Versions: on a versioned bucket Head reports the current
// version and HeadVersion finds an older one by id (CodeDeploy's S3
// revisions name versions); an unknown version is ErrNotFound.
func TestBucket_Versions(t *testing.T) {
	s := mustTestStore(t)
	ctx := t.Context()
	b := newTestBucket(t, s)
	if err := b.Create(ctx); err != nil {
		t.Fatal(err)
	}
	name := b.(*Bucket).name
	if _, err := s.client.PutBucketVersioning(ctx, &awss3.PutBucketVersioningInput{Bucket: &name,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatalf("PutBucketVersioning: %v", err)
	}
	vb := b.(objstore.VersionedBucket)
	head := func(version string) (*objstore.ObjectInfo, error) {
		if version == "" {
			return vb.Head(ctx, "bundle.zip")
		}
		return vb.HeadVersion(ctx, "bundle.zip", version)
	}
	if err := b.Put(ctx, "bundle.zip", []byte("first"), objstore.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	first, err := head("")
	if err != nil || first.VersionID == "" {
		t.Fatalf("Head=%+v, %v, want a version id", first, err)
	}
	if err := b.Put(ctx, "bundle.zip", []byte("second"), objstore.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if cur, err := head(""); err != nil || cur.VersionID == first.VersionID || cur.ETag != objstore.ETagOf([]byte("second")) {
		t.Fatalf("Head after overwrite=%+v, %v, want a new version with the second body's ETag", cur, err)
	}
	old, err := head(first.VersionID)
	if err != nil || old.VersionID != first.VersionID || old.ETag != objstore.ETagOf([]byte("first")) {
		t.Fatalf("HeadVersion(first)=%+v, %v, want the first version", old, err)
	}
	for _, v := range []string{"00000000-0000-0000-0000-000000000000", "not-a-version"} {
		if _, err := head(v); !errors.Is(err, objstore.ErrNotFound) {
			t.Errorf("HeadVersion(%q) err=%v, want ErrNotFound", v, err)
		}
	}
}
