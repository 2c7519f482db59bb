package checksum

import "fmt"

// S3's error codes for integrity failures; every one is HTTP 400.
const (
	// CodeBadDigest: the body does not match a Content-MD5 or
	// x-amz-checksum-* value.
	CodeBadDigest = "BadDigest"
	// CodeInvalidDigest: Content-MD5 is not the base64 of 16 bytes.
	CodeInvalidDigest = "InvalidDigest"
	// CodeInvalidRequest: an x-amz-checksum-* value is malformed, names an
	// unsupported algorithm, or more than one is sent.
	CodeInvalidRequest = "InvalidRequest"
)

// Error is an integrity failure with S3's code and message, safe to show
// the client.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return "checksum: " + e.Code + ": " + e.Message
}

// mismatch is S3's BadDigest for algorithm a.
func mismatch(a Algorithm) *Error {
	if a == MD5 {
		return &Error{Code: CodeBadDigest, Message: "The Content-MD5 you specified did not match what we received."}
	}
	return &Error{Code: CodeBadDigest, Message: fmt.Sprintf("The %s you specified did not match the calculated checksum.", a)}
}

// invalidValue is S3's answer to a value that is not the base64 of a digest.
func invalidValue(a Algorithm) *Error {
	if a == MD5 {
		return &Error{Code: CodeInvalidDigest, Message: "The Content-MD5 you specified was invalid."}
	}
	return &Error{Code: CodeInvalidRequest, Message: fmt.Sprintf("Value for %s header is invalid.", a.Header())}
}
