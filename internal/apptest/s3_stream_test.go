package apptest_test

import (
	"context"
	"hash/crc32"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/checksum"
)

// Over HTTPS, aws-sdk-go-v2 sends PutObject bodies aws-chunked with an
// unsigned trailer carrying their CRC32: the object is stored and its
// checksum returned, and a body that breaks the chunk rules is refused
// with S3's error and leaves no object.
func TestS3_AwsChunked(t *testing.T) {
	srv := apptest.Start(t, apptest.WithTLS(t))
	c := srv.S3(srv.Root)
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("chunked")}))

	body := strings.Repeat("streamed over TLS ", 4000)
	var sent http.Header
	out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("chunked"), Key: aws.String("doc"),
		Body: strings.NewReader(body)}, s3.WithAPIOptions(keepSentHeader(&sent)))
	fatalIf(t, err)
	if got := sent.Get("X-Amz-Content-Sha256"); got != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" {
		t.Fatalf("the SDK sent x-amz-content-sha256 %q, want an unsigned-trailer aws-chunked body: %v", got, sent)
	}
	if want := crc32Of(body); aws.ToString(out.ChecksumCRC32) != want {
		t.Errorf("PutObject ChecksumCRC32=%q, want %q", aws.ToString(out.ChecksumCRC32), want)
	}
	got, _ := get(t, c, &s3.GetObjectInput{Bucket: aws.String("chunked"), Key: aws.String("doc")})
	if got != body {
		t.Errorf("GetObject returned %d bytes, want the %d put", len(got), len(body))
	}

	for _, tt := range []struct {
		name, payload, body, code string
		status                    int
	}{
		{"BadChunkSignature", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
			"5;chunk-signature=" + strings.Repeat("0", 64) + "\r\nhello\r\n0;chunk-signature=" + strings.Repeat("0", 64) + "\r\n\r\n",
			"SignatureDoesNotMatch", http.StatusForbidden},
		{"LyingLength", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "3\r\nhello\r\n0\r\n\r\n", "IncompleteBody", http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, answer := chunkedPut(t, srv, "/chunked/"+tt.name, tt.payload, tt.body)
			if status != tt.status || !strings.Contains(answer, "<Code>"+tt.code+"</Code>") {
				t.Errorf("answer %d %s, want %d %s", status, answer, tt.status, tt.code)
			}
			_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("chunked"), Key: aws.String(tt.name)})
			wantCode(t, err, "NotFound")
		})
	}
}

// chunkedPut sends an aws-chunked body of 5 decoded bytes, its headers
// signed with payload, over the server's HTTPS client.
func chunkedPut(t *testing.T, srv *apptest.Server, path, payload, body string) (int, string) {
	t.Helper()
	cfg := srv.Config(srv.Root)
	req, err := http.NewRequest("PUT", srv.URL+path, strings.NewReader(body))
	fatalIf(t, err)
	req.Header.Set("X-Amz-Content-Sha256", payload)
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", "5")
	creds, err := cfg.Credentials.Retrieve(ctx)
	fatalIf(t, err)
	fatalIf(t, v4.NewSigner().SignHTTP(ctx, creds, req, payload, "s3", cfg.Region, time.Now()))
	resp, err := cfg.HTTPClient.Do(req)
	fatalIf(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// keepSentHeader keeps the headers of the request as sent.
func keepSentHeader(h *http.Header) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("keepSentHeader", func(ctx context.Context, in middleware.FinalizeInput,
			next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			*h = in.Request.(*smithyhttp.Request).Header.Clone()
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
	}
}

func crc32Of(s string) string {
	sum := crc32.ChecksumIEEE([]byte(s))
	return checksum.Encode([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
}
