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
