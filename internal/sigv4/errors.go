package sigv4

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies a verification failure; the server maps kinds to
// per-protocol AWS error codes.
type Kind int

const (
	// KindMissing means the request carries no Authorization header and no
	// X-Amz-Algorithm query parameter (MissingAuthenticationToken).
	KindMissing Kind = iota + 1
	// KindIncomplete means the Authorization header or presigned query is
	// malformed: a missing part, a bad scope, an unsupported algorithm, a
	// missing or garbled date, host not signed (IncompleteSignature).
	KindIncomplete
	// KindMismatch means the signature does not match the request
	// (SignatureDoesNotMatch / InvalidSignatureException).
	KindMismatch
	// KindExpired means the request time is outside the allowed clock skew,
	// or a presigned URL is past X-Amz-Expires.
	KindExpired
	// KindInvalidRequest means headers that describe an S3 body are
	// missing or malformed: x-amz-content-sha256, x-amz-decoded-content-length,
	// x-amz-trailer (S3's InvalidRequest / InvalidArgument, 400).
	KindInvalidRequest
	// KindPayloadMismatch means a body's SHA-256 differs from the hex
	// x-amz-content-sha256 it was signed with (XAmzContentSHA256Mismatch, 400).
	KindPayloadMismatch
	// KindIncompleteBody means an S3 body ended early or its length differs
	// from x-amz-decoded-content-length (IncompleteBody, 400).
	KindIncompleteBody
	// KindMalformedChunk means an aws-chunked body breaks the framing: a
	// chunk header that is not "<hex size>[;chunk-signature=<sig>]\r\n" or
	// longer than 4 KiB, a chunk whose data is not followed by CRLF (it lied
	// about its length), bytes after the end. S3 documents no code; like
	// versitygw, the S3 layer answers IncompleteBody.
	KindMalformedChunk
	// KindInvalidChunkSize means a chunk other than the last one before
	// the final, empty chunk is smaller than 8 KiB (InvalidChunkSizeError,
	// 400; S3 refuses these for signed and unsigned chunks alike).
	KindInvalidChunkSize
	// KindMalformedTrailer means the trailer after the final chunk is not
	// "name:value" lines (with x-amz-trailer-signature last when chunks are
	// signed), repeats a name, or exceeds 10 lines or 16 KiB
	// (MalformedTrailerError, 400).
	KindMalformedTrailer
)

// String returns a short lower-case name for k, for logs and test output.
func (k Kind) String() string {
	switch k {
	case KindMissing:
		return "missing authentication token"
	case KindIncomplete:
		return "incomplete signature"
	case KindMismatch:
		return "signature mismatch"
	case KindExpired:
		return "signature expired"
	case KindInvalidRequest:
		return "invalid request"
	case KindPayloadMismatch:
		return "payload hash mismatch"
	case KindIncompleteBody:
		return "incomplete body"
	case KindMalformedChunk:
		return "malformed chunk"
	case KindInvalidChunkSize:
		return "invalid chunk size"
	case KindMalformedTrailer:
		return "malformed trailer"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a verification failure. Message is AWS-style text that is safe to
// show clients: it never contains the secret, a derived key or the expected
// signature.
type Error struct {
	Kind    Kind
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return "sigv4: " + e.Kind.String() + ": " + e.Message
}

// KindOf returns the Kind of the *Error in err's chain, or 0 if there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// Messages AWS uses verbatim; clients and SDK retry logic match on some.
const (
	msgMissing  = "Request is missing Authentication Token"
	msgMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgPresignParams = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, " +
		"X-Amz-Signature, X-Amz-Date and X-Amz-SignedHeaders parameters."
	msgHostNotSigned = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgTwoMechanisms = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter " +
		"or the Authorization header should be specified."
)

func newError(k Kind, msg string) *Error {
	return &Error{Kind: k, Message: msg}
}

func errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// clip bounds client-supplied text echoed in messages so that a hostile
// header cannot inflate error responses.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "..."
}
