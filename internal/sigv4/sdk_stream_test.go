package sigv4

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// upload is what the test server saw of one request.
type upload struct {
	payload string      // x-amz-content-sha256
	body    []byte      // as Body decoded it
	trailer http.Header // Body.Trailer()
	err     error
}

// s3Server runs handler-side verification: Parse, VerifyStream with the
// test secret at the current time, read the whole body.
func s3Server(t *testing.T, tls bool) (*httptest.Server, <-chan upload) {
	t.Helper()
	got := make(chan upload, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := upload{payload: r.Header.Get("X-Amz-Content-Sha256")}
		sig, err := Parse(r)
		var b *Body
		if err == nil {
			b, err = sig.VerifyStream(r, testCreds.SecretAccessKey, time.Now())
		}
		if err == nil {
			u.body, err = io.ReadAll(b)
			u.trailer = b.Trailer()
		}
		u.err = err
		got <- u
		w.Header().Set("ETag", `"0"`)
	})
	srv := httptest.NewUnstartedServer(h)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, got
}

func s3Client(srv *httptest.Server) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(srv.URL),
		Region:       "us-east-1",
		UsePathStyle: true,
		HTTPClient:   srv.Client(),
		Credentials:  credentials.NewStaticCredentialsProvider(testCreds.AccessKeyID, testCreds.SecretAccessKey, ""),
		Retryer:      aws.NopRetryer{},
	})
}

// TestVerifyStream_SDKClient has aws-sdk-go-v2's S3 client upload: over
// HTTPS it sends STREAMING-UNSIGNED-PAYLOAD-TRAILER with a checksum trailer
// (one chunk for a body of known length, 64 KiB chunks otherwise); over
// HTTP, the body's SHA-256. Keys need characters the path encodes.
func TestVerifyStream_SDKClient(t *testing.T) {
	data := payloadData(300000)
	tests := []struct {
		name    string
		tls     bool
		body    func() io.Reader
		alg     types.ChecksumAlgorithm
		payload string
	}{
		{"HTTPSKnownLength", true, func() io.Reader { return bytes.NewReader(data) }, types.ChecksumAlgorithmCrc32, StreamingUnsignedTrailer},
		{"HTTPSUnknownLength", true, func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) }, types.ChecksumAlgorithmCrc64nvme, StreamingUnsignedTrailer},
		{"HTTPSSHA256", true, func() io.Reader { return bytes.NewReader(data) }, types.ChecksumAlgorithmSha256, StreamingUnsignedTrailer},
		{"HTTPPayloadHash", false, func() io.Reader { return bytes.NewReader(data) }, types.ChecksumAlgorithmCrc32c, hashHex(data)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, got := s3Server(t, tt.tls)
			_, err := s3Client(srv).PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String("dir/a key+with=odd&chars~ü.txt"),
				Body: tt.body(), ChecksumAlgorithm: tt.alg,
			})
			if err != nil {
				t.Fatalf("PutObject=%v", err)
			}
			u := <-got
			if u.err != nil || u.payload != tt.payload || !bytes.Equal(u.body, data) {
				t.Fatalf("server: payload %q, %d bytes, err %v; want %q, the body, nil", u.payload, len(u.body), u.err, tt.payload)
			}
			if tt.tls && len(u.trailer) != 1 {
				t.Fatalf("Trailer=%v, want the SDK's checksum", u.trailer)
			}
		})
	}
}

// TestVerifyStream_SDKClientGet checks a body-less request, whose payload
// hash is the SHA-256 of nothing.
func TestVerifyStream_SDKClientGet(t *testing.T) {
	srv, got := s3Server(t, false)
	_, _ = s3Client(srv).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("k/é")})
	if u := <-got; u.err != nil || u.payload != hashHex(nil) {
		t.Fatalf("server: payload %q err %v, want the empty hash and nil", u.payload, u.err)
	}
}

// TestVerifyStream_SDKPresigned sends PUT and GET to URLs from
// aws-sdk-go-v2's S3 presigner, whose payload is unsigned.
func TestVerifyStream_SDKPresigned(t *testing.T) {
	srv, got := s3Server(t, false)
	presigner := s3.NewPresignClient(s3Client(srv))
	key := aws.String("shared/a file (1).txt")
	put, err := presigner.PresignPutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: key})
	if err != nil {
		t.Fatalf("PresignPutObject=%v", err)
	}
	get, err := presigner.PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: key})
	if err != nil {
		t.Fatalf("PresignGetObject=%v", err)
	}
	for _, p := range []struct {
		method, url string
		header      http.Header
		body        string
	}{{put.Method, put.URL, put.SignedHeader, "uploaded by URL"}, {get.Method, get.URL, get.SignedHeader, ""}} {
		req, err := http.NewRequest(p.method, p.url, bytes.NewReader([]byte(p.body)))
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range p.header {
			if k != "Host" {
				req.Header[k] = vs
			}
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("%s: %v", p.method, err)
		}
		resp.Body.Close()
		if u := <-got; u.err != nil || string(u.body) != p.body {
			t.Fatalf("%s: server read %q, err %v; want %q and nil", p.method, u.body, u.err, p.body)
		}
	}
}

// TestVerifyStream_PresignedPayload checks which payload hash a presigned
// request is verified with: UNSIGNED-PAYLOAD, even when the URL's user adds
// an x-amz-content-sha256 header; a hash in the query is checked.
func TestVerifyStream_PresignedPayload(t *testing.T) {
	presign := func(rawQuery string) *http.Request {
		cr := newClientRequest(t, request{method: "PUT", url: "https://127.0.0.1:4590/bucket/key" + rawQuery})
		signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		payload := UnsignedPayload
		if rawQuery != "" {
			payload = hashHex([]byte("body"))
		}
		u, _, err := signer.PresignHTTP(context.Background(), sdkCredentials(testCreds), cr, payload, "s3", "us-east-1", testTime)
		if err != nil {
			t.Fatalf("PresignHTTP=%v", err)
		}
		r, err := http.NewRequest("PUT", u, bytes.NewReader([]byte("body")))
		if err != nil {
			t.Fatal(err)
		}
		return serverRequest(t, r)
	}
	r := presign("")
	r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte("other")))
	if got, _, err := readStream(t, r); err != nil || string(got) != "body" {
		t.Fatalf("unsigned: %q, %v; want the body and nil", got, err)
	}
	r = presign("?X-Amz-Content-Sha256=" + hashHex([]byte("body")))
	if got, _, err := readStream(t, r); err != nil || string(got) != "body" {
		t.Fatalf("hash in query: %q, %v; want the body and nil", got, err)
	}
}
