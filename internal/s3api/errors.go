package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

// S3's error codes (the ones deploytrail answers), with their statuses in
// errorStatus.
const (
	CodeAccessDenied            = "AccessDenied"
	CodeBadDigest               = "BadDigest"
	CodeBucketAlreadyExists     = "BucketAlreadyExists"
	CodeBucketAlreadyOwnedByYou = "BucketAlreadyOwnedByYou"
	CodeBucketNotEmpty          = "BucketNotEmpty"
	CodeEntityTooLarge          = "EntityTooLarge"
	CodeEntityTooSmall          = "EntityTooSmall"
	CodeIllegalLocation         = "IllegalLocationConstraintException"
	CodeIncompleteBody          = "IncompleteBody"
	CodeInternalError           = "InternalError"
	CodeInvalidAccessKeyID      = "InvalidAccessKeyId"
	CodeInvalidArgument         = "InvalidArgument"
	CodeInvalidBucketName       = "InvalidBucketName"
	CodeInvalidChunkSize        = "InvalidChunkSizeError"
	CodeInvalidDigest           = "InvalidDigest"
	CodeInvalidPart             = "InvalidPart"
	CodeInvalidPartOrder        = "InvalidPartOrder"
	CodeInvalidLocation         = "InvalidLocationConstraint"
	CodeInvalidRange            = "InvalidRange"
	CodeInvalidRequest          = "InvalidRequest"
	CodeKeyTooLong              = "KeyTooLongError"
	CodeMalformedPolicy         = "MalformedPolicy"
	CodeMalformedTrailer        = "MalformedTrailerError"
	CodeMalformedXML            = "MalformedXML"
	CodeMethodNotAllowed        = "MethodNotAllowed"
	CodeMissingContentLength    = "MissingContentLength"
	CodeNoSuchBucket            = "NoSuchBucket"
	CodeNoSuchBucketPolicy      = "NoSuchBucketPolicy"
	CodeNoSuchKey               = "NoSuchKey"
	CodeNoSuchUpload            = "NoSuchUpload"
	CodeNoSuchVersion           = "NoSuchVersion"
	CodeNoSuchLifecycle         = "NoSuchLifecycleConfiguration"
	CodeNotImplemented          = "NotImplemented"
	CodeNotModified             = "NotModified"
	CodePreconditionFailed      = "PreconditionFailed"
	CodeSignatureDoesNotMatch   = "SignatureDoesNotMatch"
	CodeSlowDown                = "SlowDown"
	CodeContentSHA256Mismatch   = "XAmzContentSHA256Mismatch"
	CodeRequestTimeout          = "RequestTimeout"
	CodeExpiredToken            = "ExpiredToken"
	CodeInvalidToken            = "InvalidToken"
	CodeAuthorizationMalformed  = "AuthorizationHeaderMalformed"
)

// errorStatus is the HTTP status S3 answers each code with; codes not
// listed are 400.
var errorStatus = map[string]int{
	CodeAccessDenied:            http.StatusForbidden,
	CodeBucketAlreadyExists:     http.StatusConflict,
	CodeBucketAlreadyOwnedByYou: http.StatusConflict,
	CodeBucketNotEmpty:          http.StatusConflict,
	CodeInternalError:           http.StatusInternalServerError,
	CodeInvalidAccessKeyID:      http.StatusForbidden,
	CodeInvalidRange:            http.StatusRequestedRangeNotSatisfiable,
	CodeMethodNotAllowed:        http.StatusMethodNotAllowed,
	CodeMissingContentLength:    http.StatusLengthRequired,
	CodeNoSuchBucket:            http.StatusNotFound,
	CodeNoSuchBucketPolicy:      http.StatusNotFound,
	CodeNoSuchKey:               http.StatusNotFound,
	CodeNoSuchUpload:            http.StatusNotFound,
	CodeNoSuchVersion:           http.StatusNotFound,
	CodeNoSuchLifecycle:         http.StatusNotFound,
	CodeNotImplemented:          http.StatusNotImplemented,
	CodeNotModified:             http.StatusNotModified,
	CodePreconditionFailed:      http.StatusPreconditionFailed,
	CodeSignatureDoesNotMatch:   http.StatusForbidden,
	CodeSlowDown:                http.StatusServiceUnavailable,
	CodeExpiredToken:            http.StatusBadRequest,
	CodeInvalidToken:            http.StatusBadRequest,
}

// commonCodes are S3's names for the errors other packages (IAM's
// authorizer, the server's limits) return in the other services' words.
var commonCodes = map[string]string{
	awserr.CodeAccessDenied:    CodeAccessDenied,
	awserr.CodeThrottling:      CodeSlowDown,
	awserr.CodeRequestTooLarge: CodeEntityTooLarge,
}

// Errorf returns the S3 error code with its S3 status.
func Errorf(code, format string, args ...any) *awserr.Error {
	st, ok := errorStatus[code]
	if !ok {
		st = http.StatusBadRequest
	}
	return awserr.Errorf(code, format, args...).WithStatus(st)
}

// Common errors, with S3's messages.
func noSuchBucket() error {
	return Errorf(CodeNoSuchBucket, "The specified bucket does not exist")
}

func noSuchKey() error { return Errorf(CodeNoSuchKey, "The specified key does not exist.") }

func notImplemented(what string) error {
	return Errorf(CodeNotImplemented, "%s is not implemented by deploytrail.", what)
}

func malformedXML() error {
	return Errorf(CodeMalformedXML, "The XML you provided was not well-formed or did not validate against our published schema")
}

func invalidArgument(format string, args ...any) error {
	return Errorf(CodeInvalidArgument, format, args...)
}

// errorBody is S3's error document. It has no namespace.
type errorBody struct {
	XMLName    xml.Name `xml:"Error"`
	Code       string   `xml:"Code"`
	Message    string   `xml:"Message"`
	BucketName string   `xml:"BucketName,omitempty"`
	Key        string   `xml:"Key,omitempty"`
	Resource   string   `xml:"Resource,omitempty"`
	RequestID  string   `xml:"RequestId"`
	HostID     string   `xml:"HostId"`
}

// EncodeError renders S3's XML error document for a request on bucket and
// key (either may be empty).
func EncodeError(code, message, bucket, key, requestID, hostID string) []byte {
	return marshal(&errorBody{Code: code, Message: message, BucketName: bucket, Key: key,
		RequestID: requestID, HostID: hostID})
}

// ErrorCode is the S3 code of err and its status: a client error as
// itself, anything else as InternalError.
func ErrorCode(err error) (code, message string, status int) {
	e := awserr.As(err)
	if e == nil || e.Code == awserr.CodeInternalFailure {
		return CodeInternalError, "We encountered an internal error. Please try again.", http.StatusInternalServerError
	}
	if c, ok := commonCodes[e.Code]; ok {
		return c, e.Message, errorStatus[c]
	}
	status = e.Status
	if status == 0 {
		if status = errorStatus[e.Code]; status == 0 {
			status = http.StatusBadRequest
		}
	}
	return e.Code, e.Message, status
}
