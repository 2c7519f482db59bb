package apptest_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// BenchmarkS3 measures PutObject and GetObject of 1 MiB objects through
// the SDK, one at a time, over loopback. No trail selects the data
// events, so none is stored.
func BenchmarkS3(b *testing.B) {
	srv := apptest.Start(b)
	c := srv.S3(srv.Root)
	noErr(b)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bench")}))
	body := bytes.Repeat([]byte("x"), 1<<20)
	b.Run("PutObject-1MiB", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for i := range b.N {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String(fmt.Sprint("k", i%16)), Body: bytes.NewReader(body)})
			fatalIf(b, err)
		}
	})
	b.Run("GetObject-1MiB", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for i := range b.N {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String(fmt.Sprint("k", i%16))})
			fatalIf(b, err)
			io.Copy(io.Discard, out.Body)
			out.Body.Close()
		}
	})
}
