package checksum

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// received is what the test server saw of one PutObject.
type received struct {
	header http.Header
	body   []byte
	err    error
}

// startServer answers every request 200 after verifying its checksum
// headers with FromHeaders and a Reader, and hands over what it saw.
func startServer(t *testing.T) (*httptest.Server, <-chan received) {
	t.Helper()
	got := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := received{header: r.Header.Clone()}
		want, err := FromHeaders(r.Header)
		if err == nil {
			rec.body, err = io.ReadAll(NewReader(r.Body, want))
		}
		rec.err = err
		got <- rec
		w.Header().Set("ETag", `"etag"`)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func newS3Client(url string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(url),
		Region:       "us-east-1",
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// TestSDKChecksumHeaders has aws-sdk-go-v2's S3 client compute each
// algorithm's header (over plain HTTP the SDK sends headers, not trailers)
// and checks that the body verifies, and that a different body does not.
func TestSDKChecksumHeaders(t *testing.T) {
	body := bytes.Repeat([]byte("deploytrail "), 10000)
	for _, alg := range []types.ChecksumAlgorithm{
		types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme,
		types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256,
	} {
		t.Run(string(alg), func(t *testing.T) {
			srv, got := startServer(t)
			_, err := newS3Client(srv.URL).PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String("key"), Body: bytes.NewReader(body), ChecksumAlgorithm: alg,
			})
			if err != nil {
				t.Fatalf("PutObject=%v", err)
			}
			rec := <-got
			a, _ := ParseAlgorithm(string(alg))
			if rec.header.Get(a.Header()) == "" {
				t.Fatalf("the SDK sent no %s header; headers %v", a.Header(), rec.header)
			}
			if rec.err != nil || !bytes.Equal(rec.body, body) {
				t.Fatalf("verify=%v (%d bytes), want the body to verify", rec.err, len(rec.body))
			}
			claims, err := FromHeaders(rec.header)
			if err != nil {
				t.Fatalf("FromHeaders=%v", err)
			}
			_, err = io.ReadAll(NewReader(bytes.NewReader(body[1:]), claims))
			if codeOf(err) != CodeBadDigest {
				t.Fatalf("another body: error=%v, want %s", err, CodeBadDigest)
			}
		})
	}
}
