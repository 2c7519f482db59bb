package sigv4

import (
	"crypto/hmac"
	"io"
	"net/http"
	"strings"
	"time"
)

// Values of x-amz-content-sha256 that S3 clients sign with instead of the
// body's SHA-256 (besides UnsignedPayload). The three STREAMING ones mean
// the body is aws-chunked.
const (
	UnsignedPayload          = unsignedPayload
	StreamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// MaxPayload is the largest body S3 accepts in one request (5 GiB), and so
// the bound on an aws-chunked body's decoded length and on any one chunk.
const MaxPayload = 5 << 30

// VerifyStream verifies an S3 request's signature before its body is read
// and returns the body to read instead of r.Body. The canonical request
// uses the path exactly as sent (S3 clients do not encode it twice) and the
// payload hash the client claims in x-amz-content-sha256, which a
// header-signed request must send; a presigned request's payload is
// unsigned unless its query names a hash. The returned Body checks that claim as it streams:
//
//   - a hex SHA-256: the body must hash to it (KindPayloadMismatch at EOF);
//   - UNSIGNED-PAYLOAD: the body is passed through;
//   - STREAMING-*: the body is aws-chunked; Body decodes it, checking each
//     chunk's signature (chained from this request's), the decoded length
//     and the trailer's signature and checksum.
//
// Bytes Body returns are unverified until it returns io.EOF: the caller
// stages them and commits only then. Errors are *Error, except that a
// trailer's checksum mismatch is the *checksum.Error S3 answers as
// BadDigest, and a failure of r.Body itself is returned as it is.
func (s *Signature) VerifyStream(r *http.Request, secret string, now time.Time) (*Body, error) {
	if err := s.checkTime(now); err != nil {
		return nil, err
	}
	if err := s.checkScopeDate(); err != nil {
		return nil, err
	}
	payload, err := s.claimedPayload(r)
	if err != nil {
		return nil, err
	}
	headers, err := canonicalHeaders(r, s.SignedHeaders)
	if err != nil {
		return nil, err
	}
	key := signingKey(secret, s.Scope)
	creq := canonicalRequest(r.Method, requestPath(r), canonicalQuery(r.URL.RawQuery, s.Presigned),
		headers, strings.Join(s.SignedHeaders, ";"), payload)
	if !hmac.Equal([]byte(s.compute(key, creq)), []byte(s.signature)) {
		return nil, newError(KindMismatch, msgMismatch)
	}
	chain := &chunkChain{key: key, date: s.Date.UTC().Format(timeFormat), scope: s.Scope.String(), prev: s.signature}
	return newBody(r.Body, r.Header, payload, chain)
}

// claimedPayload returns the payload hash of the canonical request:
// x-amz-content-sha256, which must be one S3 knows. Presigners sign
// UNSIGNED-PAYLOAD unless they put the parameter in the query, and a header
// the URL's user adds was not signed, so a presigned request ignores it.
func (s *Signature) claimedPayload(r *http.Request) (string, error) {
	v := r.Header.Get("X-Amz-Content-Sha256")
	if s.Presigned {
		var ok bool
		if v, ok = parseQuery(r.URL.RawQuery).get("X-Amz-Content-Sha256"); !ok {
			return unsignedPayload, nil
		}
	}
	switch {
	case v == "":
		return "", newError(KindInvalidRequest, "Missing required header for this request: x-amz-content-sha256")
	case s.Presigned && strings.HasPrefix(v, "STREAMING-"):
		return "", newError(KindInvalidRequest, "A presigned request cannot carry an aws-chunked body.")
	}
	switch v {
	case unsignedPayload, StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer:
		return v, nil
	}
	if isSHA256Hex(v) {
		return v, nil
	}
	return "", newError(KindInvalidRequest, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "+
		"STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")
}

// isSHA256Hex reports whether v is 64 lower-case hex digits, the form
// clients send and the canonical request needs.
func isSHA256Hex(v string) bool {
	if len(v) != 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !isLowerHex(v[i]) {
			return false
		}
	}
	return true
}

func isLowerHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f'
}

// Body is an S3 request body being verified as it is read; see
// [Signature.VerifyStream].
type Body struct {
	r       io.Reader
	chunked *chunkedReader // nil unless the body is aws-chunked
}

func newBody(body io.Reader, h http.Header, payload string, chain *chunkChain) (*Body, error) {
	if body == nil {
		body = http.NoBody
	}
	switch payload {
	case unsignedPayload:
		return &Body{r: body}, nil
	case StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer:
		if payload == StreamingUnsignedTrailer {
			chain = nil
		}
		c, err := newChunkedReader(body, h, payload, chain)
		if err != nil {
			return nil, err
		}
		return &Body{r: c, chunked: c}, nil
	}
	return &Body{r: newHashReader(body, payload)}, nil
}

// Read reads the payload: the body as sent, or aws-chunked decoded.
func (b *Body) Read(p []byte) (int, error) { return b.r.Read(p) }

// Chunked reports whether the body is aws-chunked.
func (b *Body) Chunked() bool { return b.chunked != nil }

// DecodedLength is x-amz-decoded-content-length for an aws-chunked body, or
// -1 when the body is not aws-chunked or the client did not send it (the
// caller then bounds the body itself; Body stops at MaxPayload).
func (b *Body) DecodedLength() int64 {
	if b.chunked == nil {
		return -1
	}
	return b.chunked.want
}

// Trailer returns the trailing headers of an aws-chunked body, verified,
// once Read has returned io.EOF; nil before that or when there are none.
func (b *Body) Trailer() http.Header {
	if b.chunked == nil || b.chunked.err != io.EOF {
		return nil
	}
	return b.chunked.trailer
}

// ContentEncoding returns the Content-Encoding an object keeps: the
// request's, without aws-chunked, which describes only the transfer
// (clients append it: "gzip,aws-chunked").
func ContentEncoding(h http.Header) string {
	var keep []string
	for _, v := range h.Values("Content-Encoding") {
		for enc := range strings.SplitSeq(v, ",") {
			if enc = strings.TrimSpace(enc); enc != "" && !strings.EqualFold(enc, "aws-chunked") {
				keep = append(keep, enc)
			}
		}
	}
	return strings.Join(keep, ",")
}
