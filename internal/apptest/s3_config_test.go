package apptest_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// Lifecycle rules put over S3 are the ones deploytrail enforces on its
// buckets; they read back in S3's shape and are checked with S3's codes.
func TestS3_BucketLifecycle(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.S3(srv.Root)
	bucket := aws.String("ruled")
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}))
	_, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: bucket})
	wantCode(t, err, "NoSuchLifecycleConfiguration")
	past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	rules := []s3types.LifecycleRule{
		{ID: aws.String("old-logs"), Status: s3types.ExpirationStatusEnabled, Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
			Expiration: &s3types.LifecycleExpiration{Date: &past}},
		{ID: aws.String("archive"), Status: s3types.ExpirationStatusEnabled, Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("keep/")},
			Transitions: []s3types.Transition{{Days: aws.Int32(90), StorageClass: s3types.TransitionStorageClassGlacier}}},
	}
	noErr(t)(c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: bucket,
		LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: rules}}))
	got, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: bucket})
	fatalIf(t, err)
	if len(got.Rules) != 2 || aws.ToString(got.Rules[0].Filter.Prefix) != "logs/" || !got.Rules[0].Expiration.Date.Equal(past) ||
		aws.ToInt32(got.Rules[1].Transitions[0].Days) != 90 || got.Rules[1].Transitions[0].StorageClass != "GLACIER" {
		t.Errorf("rules read back: %+v", got.Rules)
	}
	put(t, c, "ruled", "logs/a.txt", "old")
	put(t, c, "ruled", "keep/b.txt", "kept")
	if _, err := srv.App.Lifecycle.Enforce(ctx, "ruled"); err != nil {
		t.Fatal(err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("logs/a.txt")})
	wantCode(t, err, "NotFound")
	noErr(t)(c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("keep/b.txt")}))

	_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: bucket,
		LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: []s3types.LifecycleRule{{Status: s3types.ExpirationStatusEnabled,
			Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("")}, Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(0)}}}}})
	wantCode(t, err, "InvalidArgument")
	noErr(t)(c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: bucket}))
	_, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: bucket})
	wantCode(t, err, "NoSuchLifecycleConfiguration")
	for _, name := range []string{"PutBucketLifecycle", "DeleteBucketLifecycle"} {
		if rec := lookupOne(t, srv, name); rec["eventCategory"] != "Management" {
			t.Errorf("%s record: %v", name, rec)
		}
	}
}

// A new bucket's encryption is SSE-S3 and versioning is never on: both say so, and a
// version other than "null" does not exist.
func TestS3_BucketEncryptionAndVersioning(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.S3(srv.Root)
	bucket := aws.String("plain")
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}))
	enc, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: bucket})
	fatalIf(t, err)
	if r := enc.ServerSideEncryptionConfiguration.Rules; len(r) != 1 || r[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != s3types.ServerSideEncryptionAes256 {
		t.Errorf("GetBucketEncryption: %+v", r)
	}
	noErr(t)(c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: bucket, ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
		Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}}}}}))
	ver, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: bucket})
	fatalIf(t, err)
	if ver.Status != "" {
		t.Errorf("GetBucketVersioning Status=%q, want none (never enabled)", ver.Status)
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
	if msg := wantCode(t, err, "NotImplemented"); msg == "" {
		t.Errorf("PutBucketVersioning Enabled refused without a message")
	}
	put(t, c, "plain", "k", "v")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("k"), VersionId: aws.String("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")})
	wantCode(t, err, "NoSuchVersion")
	noErr(t)(c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("k"), VersionId: aws.String("null")}))
	if rec := lookupOne(t, srv, "PutBucketVersioning"); rec["errorCode"] != "NotImplemented" {
		t.Errorf("PutBucketVersioning record: %v", rec)
	}
}

// TestS3_BucketLifecycleSharedByNodes: the rules an earlier version kept in
// <data>/lifecycle are imported on start, and rules put through one node
// are the rules another node on the same database serves.
func TestS3_BucketLifecycleSharedByNodes(t *testing.T) {
	dir := t.TempDir()
	fatalIf(t, os.MkdirAll(filepath.Join(dir, "lifecycle"), 0o700))
	fatalIf(t, os.WriteFile(filepath.Join(dir, "lifecycle", "older.json"),
		[]byte(`{"Rules":[{"ID":"from-file","Status":"Enabled","Filter":{"Prefix":"logs/"},"Expiration":{"Days":7}}]}`), 0o600))
	a := apptest.StartIn(t, dir)
	b := apptest.StartIn(t, dir)
	ca, cb := a.S3(a.Root), b.S3(a.Root)
	for _, name := range []string{"older", "ruled"} {
		noErr(t)(ca.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}))
	}
	got, err := cb.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("older")})
	fatalIf(t, err)
	if len(got.Rules) != 1 || aws.ToString(got.Rules[0].ID) != "from-file" || aws.ToInt32(got.Rules[0].Expiration.Days) != 7 {
		t.Errorf("imported rules: %+v, want the file's", got.Rules)
	}
	noErr(t)(ca.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("ruled"),
		LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: []s3types.LifecycleRule{{ID: aws.String("a"),
			Status: s3types.ExpirationStatusEnabled, Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("x/")},
			Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(3)}}}}}))
	got, err = cb.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("ruled")})
	fatalIf(t, err)
	if len(got.Rules) != 1 || aws.ToString(got.Rules[0].ID) != "a" {
		t.Errorf("rules the other node put: %+v", got.Rules)
	}
	noErr(t)(cb.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String("ruled")}))
	_, err = ca.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("ruled")})
	wantCode(t, err, "NoSuchLifecycleConfiguration")
}
