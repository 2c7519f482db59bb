package apptest_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// wantSSE fails unless an object's encryption is mode with key (an ARN;
// "" for none).
func wantSSE(t *testing.T, what string, mode s3types.ServerSideEncryption, gotMode s3types.ServerSideEncryption, key string, gotKey *string) {
	t.Helper()
	if gotMode != mode || aws.ToString(gotKey) != key {
		t.Errorf("%s: encryption %q key %q, want %q key %q", what, gotMode, aws.ToString(gotKey), mode, key)
	}
}

// headSSE checks what HeadObject reports of an object's encryption.
func headSSE(t *testing.T, c *s3.Client, bucket, key string, mode s3types.ServerSideEncryption, kms string) {
	t.Helper()
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	fatalIf(t, err)
	wantSSE(t, "HeadObject "+bucket+"/"+key, mode, h.ServerSideEncryption, kms, h.SSEKMSKeyId)
}

// SSE-KMS asked for by an object's headers is recorded and reported as
// S3 reports it: the key as an ARN in the caller's account, S3's aws/s3
// key when none is named.
func TestS3_ObjectSSEKMS(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.S3(srv.Root)
	arnPrefix := "arn:aws:kms:us-east-1:" + srv.Account() + ":"
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("kms")}))

	out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("default-key"),
		Body: strings.NewReader("a"), ServerSideEncryption: s3types.ServerSideEncryptionAwsKms})
	fatalIf(t, err)
	wantSSE(t, "PutObject without a key", s3types.ServerSideEncryptionAwsKms, out.ServerSideEncryption, arnPrefix+"alias/aws/s3", out.SSEKMSKeyId)
	headSSE(t, c, "kms", "default-key", s3types.ServerSideEncryptionAwsKms, arnPrefix+"alias/aws/s3")

	keyID := "1234abcd-12ab-34cd-56ef-1234567890ab"
	out, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("own-key"),
		Body: strings.NewReader("b"), ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(keyID)})
	fatalIf(t, err)
	wantSSE(t, "PutObject with a key id", s3types.ServerSideEncryptionAwsKms, out.ServerSideEncryption, arnPrefix+"key/"+keyID, out.SSEKMSKeyId)
	body, got := get(t, c, &s3.GetObjectInput{Bucket: aws.String("kms"), Key: aws.String("own-key")})
	if body != "b" {
		t.Errorf("GetObject body %q, want %q", body, "b")
	}
	wantSSE(t, "GetObject", s3types.ServerSideEncryptionAwsKms, got.ServerSideEncryption, arnPrefix+"key/"+keyID, got.SSEKMSKeyId)

	// Bad input changes nothing.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("bad"), Body: strings.NewReader("c"),
		ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("arn:aws:kms:nowhere")})
	wantCode(t, err, "InvalidArgument")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("bad"), Body: strings.NewReader("c"),
		SSEKMSKeyId: aws.String(keyID)})
	wantCode(t, err, "InvalidArgument")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("kms"), Key: aws.String("bad")})
	wantCode(t, err, "NotFound")

	// A copy onto itself may change only its encryption.
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("kms"), Key: aws.String("own-key"),
		CopySource: aws.String("kms/own-key"), ServerSideEncryption: s3types.ServerSideEncryptionAes256})
	fatalIf(t, err)
	wantSSE(t, "CopyObject onto itself as AES256", s3types.ServerSideEncryptionAes256, cp.ServerSideEncryption, "", cp.SSEKMSKeyId)
	headSSE(t, c, "kms", "own-key", s3types.ServerSideEncryptionAes256, "")

	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("kms"), Key: aws.String("parts"),
		ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("alias/uploads")})
	fatalIf(t, err)
	wantSSE(t, "CreateMultipartUpload", s3types.ServerSideEncryptionAwsKms, up.ServerSideEncryption, arnPrefix+"alias/uploads", up.SSEKMSKeyId)
	part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("kms"), Key: aws.String("parts"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("only part")})
	fatalIf(t, err)
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("kms"), Key: aws.String("parts"), UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}}})
	fatalIf(t, err)
	wantSSE(t, "CompleteMultipartUpload", s3types.ServerSideEncryptionAwsKms, done.ServerSideEncryption, arnPrefix+"alias/uploads", done.SSEKMSKeyId)
	headSSE(t, c, "kms", "parts", s3types.ServerSideEncryptionAwsKms, arnPrefix+"alias/uploads")
}

// A bucket's default encryption is kept: objects written without SSE
// headers get it, copies get their destination's (not their source's),
// and DeleteBucketEncryption restores SSE-S3. Each call is recorded.
func TestS3_BucketEncryptionKMS(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.S3(srv.Root)
	arnPrefix := "arn:aws:kms:us-east-1:" + srv.Account() + ":"
	for _, b := range []string{"kms-default", "plain"} {
		noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}))
	}
	bucket := aws.String("kms-default")
	noErr(t)(c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: bucket, ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
		Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{
			SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String("alias/trail-logs")}}}}}))
	enc, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: bucket})
	fatalIf(t, err)
	if r := enc.ServerSideEncryptionConfiguration.Rules; len(r) != 1 || r[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != s3types.ServerSideEncryptionAwsKms ||
		aws.ToString(r[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID) != "alias/trail-logs" {
		t.Errorf("GetBucketEncryption after PutBucketEncryption aws:kms: %+v", r[0].ApplyServerSideEncryptionByDefault)
	}

	// The default is kept with the bucket's policy: putting one keeps it.
	pol, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket})
	fatalIf(t, err)
	noErr(t)(c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bucket, Policy: pol.Policy}))

	out := put(t, c, "kms-default", "k", "v")
	wantSSE(t, "PutObject into a KMS bucket", s3types.ServerSideEncryptionAwsKms, out.ServerSideEncryption, arnPrefix+"alias/trail-logs", out.SSEKMSKeyId)
	headSSE(t, c, "kms-default", "k", s3types.ServerSideEncryptionAwsKms, arnPrefix+"alias/trail-logs")

	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("plain"), Key: aws.String("copy"), CopySource: aws.String("kms-default/k")})
	fatalIf(t, err)
	wantSSE(t, "CopyObject into an AES256 bucket", s3types.ServerSideEncryptionAes256, cp.ServerSideEncryption, "", cp.SSEKMSKeyId)
	headSSE(t, c, "plain", "copy", s3types.ServerSideEncryptionAes256, "")
	cp, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: bucket, Key: aws.String("back"), CopySource: aws.String("plain/copy")})
	fatalIf(t, err)
	wantSSE(t, "CopyObject into the KMS bucket", s3types.ServerSideEncryptionAwsKms, cp.ServerSideEncryption, arnPrefix+"alias/trail-logs", cp.SSEKMSKeyId)
	headSSE(t, c, "kms-default", "back", s3types.ServerSideEncryptionAwsKms, arnPrefix+"alias/trail-logs")

	_, err = c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: bucket, ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
		Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{
			SSEAlgorithm: s3types.ServerSideEncryptionAes256, KMSMasterKeyID: aws.String("alias/trail-logs")}}}}})
	wantCode(t, err, "InvalidArgument")

	noErr(t)(c.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: bucket}))
	enc, err = c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: bucket})
	fatalIf(t, err)
	if r := enc.ServerSideEncryptionConfiguration.Rules; len(r) != 1 || r[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != s3types.ServerSideEncryptionAes256 ||
		r[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID != nil {
		t.Errorf("GetBucketEncryption after DeleteBucketEncryption: %+v", r[0].ApplyServerSideEncryptionByDefault)
	}
	out = put(t, c, "kms-default", "after", "v")
	wantSSE(t, "PutObject after DeleteBucketEncryption", s3types.ServerSideEncryptionAes256, out.ServerSideEncryption, "", out.SSEKMSKeyId)

	// A bucket made again under the name starts with S3's default.
	noErr(t)(c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: bucket, ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
		Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{
			SSEAlgorithm: s3types.ServerSideEncryptionAwsKms}}}}}))
	out = put(t, c, "kms-default", "aws-key", "v")
	wantSSE(t, "PutObject into a bucket defaulting to aws:kms without a key", s3types.ServerSideEncryptionAwsKms, out.ServerSideEncryption, arnPrefix+"alias/aws/s3", out.SSEKMSKeyId)
	for _, k := range []string{"k", "back", "after", "aws-key"} {
		noErr(t)(c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String(k)}))
	}
	noErr(t)(c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bucket}))
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}))
	out = put(t, c, "kms-default", "new", "v")
	wantSSE(t, "PutObject into the bucket made again", s3types.ServerSideEncryptionAes256, out.ServerSideEncryption, "", out.SSEKMSKeyId)

	for _, name := range []string{"PutBucketEncryption", "DeleteBucketEncryption", "GetBucketEncryption"} {
		if rec := lookupOne(t, srv, name); rec["eventCategory"] != "Management" || rec["requestParameters"].(map[string]any)["bucketName"] != "kms-default" {
			t.Errorf("%s record: %v", name, rec)
		}
	}
}
