package apptest_test

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// aws-sdk-go-v2's upload manager sends a 20 MiB body in 5 MiB parts
// (aws-chunked, over HTTPS): the object reads back byte for byte with
// S3's multipart ETag, and each call is a data event.
func TestS3_MultipartUploadManager(t *testing.T) {
	filter := &dataEvents{want: map[string]bool{"arn:aws:s3:::parts": true}}
	srv := apptest.Start(t, apptest.WithTLS(t), apptest.WithDataEvents(filter))
	c := srv.S3(srv.Root)
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("parts")}))
	body := make([]byte, 20<<20)
	rand.Read(body)
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20 })
	out, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String("parts"), Key: aws.String("big.bin"), Body: bytes.NewReader(body)})
	fatalIf(t, err)
	if !strings.HasSuffix(aws.ToString(out.ETag), `-4"`) {
		t.Errorf("ETag %s, want S3's multipart form for 4 parts", aws.ToString(out.ETag))
	}
	got, head := get(t, c, &s3.GetObjectInput{Bucket: aws.String("parts"), Key: aws.String("big.bin")})
	if got != string(body) || aws.ToString(head.ETag) != aws.ToString(out.ETag) {
		t.Errorf("GetObject: %d bytes (equal %v), ETag %s; want the 20 MiB uploaded, ETag %s",
			len(got), got == string(body), aws.ToString(head.ETag), aws.ToString(out.ETag))
	}
	names := map[string]int{}
	for _, ev := range filter.events() {
		if ev.EventCategory == "Data" {
			names[ev.EventName]++
		}
	}
	if names["CreateMultipartUpload"] != 1 || names["UploadPart"] != 4 || names["CompleteMultipartUpload"] != 1 {
		t.Errorf("data events asked about: %v, want one Create, four UploadPart, one Complete", names)
	}
}

// The errors of multipart upload are S3's, and none leaves an object.
func TestS3_MultipartErrors(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.S3(srv.Root)
	bucket, key := aws.String("uploads"), aws.String("doc")
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}))
	created, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key})
	fatalIf(t, err)
	id := created.UploadId
	part := func(n int32, size int) string {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: key, UploadId: id, PartNumber: aws.Int32(n),
			Body: bytes.NewReader(bytes.Repeat([]byte{byte(n)}, size))})
		fatalIf(t, err)
		return aws.ToString(out.ETag)
	}
	e1, e2 := part(1, 1024), part(2, 1024)
	complete := func(parts ...s3types.CompletedPart) error {
		_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: key, UploadId: id,
			MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
		return err
	}
	p := func(n int32, etag string) s3types.CompletedPart {
		return s3types.CompletedPart{PartNumber: aws.Int32(n), ETag: aws.String(etag)}
	}
	wantCode(t, complete(p(2, e2), p(1, e1)), "InvalidPartOrder")
	wantCode(t, complete(p(3, e1)), "InvalidPart")
	wantCode(t, complete(p(1, e2)), "InvalidPart")
	wantCode(t, complete(p(1, e1), p(2, e2)), "EntityTooSmall")
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: key, UploadId: id, PartNumber: aws.Int32(10001), Body: strings.NewReader("x")})
	wantCode(t, err, "InvalidArgument")

	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: bucket, Key: key, UploadId: id, MaxParts: aws.Int32(1)})
	fatalIf(t, err)
	if len(parts.Parts) != 1 || aws.ToInt32(parts.Parts[0].PartNumber) != 1 || !aws.ToBool(parts.IsTruncated) || aws.ToInt64(parts.Parts[0].Size) != 1024 {
		t.Errorf("ListParts max 1: %+v truncated %v", parts.Parts, aws.ToBool(parts.IsTruncated))
	}
	ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bucket})
	fatalIf(t, err)
	if len(ups.Uploads) != 1 || aws.ToString(ups.Uploads[0].UploadId) != aws.ToString(id) || aws.ToString(ups.Uploads[0].Key) != "doc" {
		t.Errorf("ListMultipartUploads: %+v", ups.Uploads)
	}
	noErr(t)(c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: key, UploadId: id}))
	wantCode(t, complete(p(1, e1)), "NoSuchUpload")
	_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: key, UploadId: id})
	wantCode(t, err, "NoSuchUpload")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: key})
	wantCode(t, err, "NotFound")
	ups, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bucket})
	fatalIf(t, err)
	if len(ups.Uploads) != 0 {
		t.Errorf("uploads after Abort: %+v", ups.Uploads)
	}
	// A bucket with an upload in progress is deleted with it, as in S3.
	noErr(t)(c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key}))
	noErr(t)(c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bucket}))
}
