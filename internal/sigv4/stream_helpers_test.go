package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// s3Sign signs r as aws-sdk-go-v2's S3 client does (the path is not escaped
// again) with payload as the payload hash, and returns the signature.
func s3Sign(tb testing.TB, r *http.Request, payload string, at time.Time) string {
	tb.Helper()
	r.Header.Set("X-Amz-Content-Sha256", payload)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(context.Background(), sdkCredentials(testCreds), r, payload, "s3", "us-east-1", at); err != nil {
		tb.Fatalf("SignHTTP: %v", err)
	}
	_, sig, ok := strings.Cut(r.Header.Get("Authorization"), "Signature=")
	if !ok {
		tb.Fatalf("no signature in %q", r.Header.Get("Authorization"))
	}
	return sig
}

// encoder writes aws-chunked bodies. Chunk signatures come from
// aws-sdk-go-v2's StreamSigner: its string to sign is S3's chunk string to
// sign when the event-stream headers are empty.
type encoder struct {
	buf    bytes.Buffer
	signer *v4.StreamSigner // nil: unsigned chunks
	at     time.Time
	prev   string // hex of the last signature, for the trailer
	key    []byte
}

func newEncoder(tb testing.TB, seed string, at time.Time) *encoder {
	tb.Helper()
	raw, err := hex.DecodeString(seed)
	if err != nil {
		tb.Fatalf("seed %q: %v", seed, err)
	}
	return &encoder{
		signer: v4.NewStreamSigner(sdkCredentials(testCreds), "s3", "us-east-1", raw),
		at:     at, prev: seed,
		key: signingKey(testCreds.SecretAccessKey, Scope{Date: at.Format(dateFormat), Region: "us-east-1", Service: "s3"}),
	}
}

// chunk appends one chunk with data (the final chunk when data is empty).
func (e *encoder) chunk(tb testing.TB, data []byte) *encoder {
	tb.Helper()
	fmt.Fprintf(&e.buf, "%x", len(data))
	if e.signer != nil {
		sig, err := e.signer.GetSignature(context.Background(), nil, data, e.at)
		if err != nil {
			tb.Fatalf("GetSignature: %v", err)
		}
		e.prev = hex.EncodeToString(sig)
		e.buf.WriteString(";chunk-signature=" + e.prev)
	}
	e.buf.WriteString("\r\n")
	if len(data) > 0 {
		e.buf.Write(data)
		e.buf.WriteString("\r\n")
	}
	return e
}

// chunks splits data into chunks of size n and appends the final chunk.
func (e *encoder) chunks(tb testing.TB, data []byte, n int) *encoder {
	for len(data) > 0 {
		k := min(n, len(data))
		e.chunk(tb, data[:k])
		data = data[k:]
	}
	return e.chunk(tb, nil)
}

// trailer appends trailer lines, signed after the AWS documentation when
// chunks are signed, and the final CRLF.
func (e *encoder) trailer(lines ...string) *encoder {
	var signed strings.Builder
	for _, l := range lines {
		e.buf.WriteString(l + "\r\n")
		signed.WriteString(l + "\n")
	}
	if e.signer != nil {
		sum := sha256.Sum256([]byte(signed.String()))
		toSign := "AWS4-HMAC-SHA256-TRAILER\n" + e.at.Format(timeFormat) + "\n" + e.at.Format(dateFormat) +
			"/us-east-1/s3/aws4_request\n" + e.prev + "\n" + hex.EncodeToString(sum[:])
		m := hmac.New(sha256.New, e.key)
		m.Write([]byte(toSign))
		e.buf.WriteString(trailerSigName + ":" + hex.EncodeToString(m.Sum(nil)) + "\r\n")
	}
	e.buf.WriteString("\r\n")
	return e
}

// end appends the CRLF that ends a body without trailers.
func (e *encoder) end() *encoder {
	e.buf.WriteString("\r\n")
	return e
}

func (e *encoder) bytes() []byte { return e.buf.Bytes() }

// streamRequest builds an S3 PUT signed by the SDK with payload and
// header, gives the seed signature to body to make the body, and returns
// the request as a server receives it (sent with Transfer-Encoding:
// chunked, so that Content-Length is not signed).
func streamRequest(tb testing.TB, payload string, header http.Header, body func(seed string) []byte) *http.Request {
	tb.Helper()
	cr := newClientRequest(tb, request{method: "PUT", url: "http://127.0.0.1:4590/bucket/a%20key/%E2%9C%93~x", header: header})
	cr.ContentLength = -1
	cr.Body = nil
	seed := s3Sign(tb, cr, payload, testTime)
	cr.Body = io.NopCloser(bytes.NewReader(body(seed)))
	return serverRequest(tb, cr)
}

// serverRequest sends r through net/http's wire format and returns what a
// handler receives, body unread.
func serverRequest(tb testing.TB, r *http.Request) *http.Request {
	tb.Helper()
	var wire bytes.Buffer
	if err := r.Write(&wire); err != nil {
		tb.Fatalf("write request: %v", err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		tb.Fatalf("read request: %v", err)
	}
	return sr
}

// readStream parses and verifies r at testTime and reads its body.
func readStream(tb testing.TB, r *http.Request) ([]byte, *Body, error) {
	tb.Helper()
	return readStreamAt(tb, r, testTime)
}

// readStreamAt parses and verifies r at now and reads its body.
func readStreamAt(tb testing.TB, r *http.Request, now time.Time) ([]byte, *Body, error) {
	tb.Helper()
	sig, err := Parse(r)
	if err != nil {
		tb.Fatalf("Parse=%v", err)
	}
	b, err := sig.VerifyStream(r, testCreds.SecretAccessKey, now)
	if err != nil {
		return nil, nil, err
	}
	got, err := io.ReadAll(b)
	return got, b, err
}
