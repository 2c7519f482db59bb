package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var (
	testCreds = Credentials{
		AccessKeyID:     "AKIAIOSFODNN7EXAMPLE",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	}
	testToken = "FwoGZXIvYXdzEJr//////////wEaDGV4YW1wbGUtdG9rZW4="
	testTime  = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
)

// request is a client-side request description for table tests.
type request struct {
	method string
	url    string
	header http.Header
	body   string
}

// newClientRequest builds the request a client would sign and send.
func newClientRequest(tb testing.TB, q request) *http.Request {
	tb.Helper()
	r, err := http.NewRequest(q.method, q.url, bytes.NewReader([]byte(q.body)))
	if err != nil {
		tb.Fatalf("NewRequest: %v", err)
	}
	for k, vs := range q.header {
		r.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	return r
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sdkPayloadHash is the payload hash the SDK middleware would pass to the
// signer: the X-Amz-Content-Sha256 header if set, else the body's hash.
func sdkPayloadHash(r *http.Request, body []byte) string {
	if v := r.Header.Get("X-Amz-Content-Sha256"); v != "" {
		return v
	}
	return hashHex(body)
}

func sdkCredentials(c Credentials) aws.Credentials {
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
}

// sdkSign signs r in place with aws-sdk-go-v2's signer, the oracle.
func sdkSign(tb testing.TB, r *http.Request, body []byte, c Credentials, region, service string, at time.Time) {
	tb.Helper()
	err := v4.NewSigner().SignHTTP(context.Background(), sdkCredentials(c), r, sdkPayloadHash(r, body), service, region, at)
	if err != nil {
		tb.Fatalf("SignHTTP: %v", err)
	}
}

// sdkPresign presigns r with aws-sdk-go-v2's signer and returns the request a
// client would send for the presigned URL.
func sdkPresign(tb testing.TB, r *http.Request, c Credentials, region, service string, at time.Time) *http.Request {
	tb.Helper()
	u, headers, err := v4.NewSigner().PresignHTTP(context.Background(), sdkCredentials(c), r, hashHex(nil), service, region, at)
	if err != nil {
		tb.Fatalf("PresignHTTP: %v", err)
	}
	out, err := http.NewRequest(r.Method, u, nil)
	if err != nil {
		tb.Fatalf("NewRequest(%q): %v", u, err)
	}
	for k, vs := range headers {
		if k != "Host" {
			out.Header[k] = vs
		}
	}
	return out
}

// toServer sends r through net/http's wire format and reads it back, so the
// result looks exactly like what a handler receives (RequestURI, Host moved
// out of the header map, Content-Length and User-Agent added by the client).
func toServer(tb testing.TB, r *http.Request) (*http.Request, []byte) {
	tb.Helper()
	sr := serverRequest(tb, r)
	body, err := io.ReadAll(sr.Body)
	if err != nil {
		tb.Fatalf("read body: %v", err)
	}
	return sr, body
}
