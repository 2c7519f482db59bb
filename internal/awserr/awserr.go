// Package awserr defines the errors deploytrail shows to AWS clients.
//
// An *Error carries an AWS error code (the exception shape name, such as
// ApplicationDoesNotExistException, or a Query code such as NoSuchEntity),
// a message that is safe to show, and the HTTP status. Anything that is not
// an *Error is internal: the server answers it with InternalFailure and a
// generic message, so Go error strings, paths and stacks never reach a
// client. This package imports nothing of ours.
package awserr

import (
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"
)

// Codes shared by every service, whatever its protocol.
const (
	CodeInternalFailure    = "InternalFailure"
	CodeAccessDenied       = "AccessDeniedException"
	CodeValidation         = "ValidationException"
	CodeSerialization      = "SerializationException"
	CodeUnknownOperation   = "UnknownOperationException"
	CodeRequestTooLarge    = "RequestEntityTooLargeException"
	CodeThrottling         = "ThrottlingException"
	CodeServiceUnavailable = "ServiceUnavailable"
)

// Error is an error a client may see.
type Error struct {
	Code    string
	Message string
	// Status is the HTTP status. Zero means "the status the service model
	// gives this code", resolved at the edge, else 400.
	Status int
	// Sender is false for faults on our side (Query <Type>Receiver</Type>).
	Sender bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// HTTPStatus is the status the error is answered with.
func (e *Error) HTTPStatus() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

// New returns a client error answered with the status the service model
// gives code (400 when the model has none).
func New(code, message string) *Error {
	return &Error{Code: code, Message: message, Sender: true}
}

// Errorf returns a client error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return New(code, fmt.Sprintf(format, args...))
}

// WithStatus returns a copy of e answered with the given HTTP status.
func (e *Error) WithStatus(status int) *Error {
	c := *e
	c.Status = status
	c.Sender = status < 500
	return &c
}

// Internal is the one error clients see for every unexpected failure.
var Internal = &Error{
	Code:    CodeInternalFailure,
	Message: "The request processing has failed because of an unknown error, exception or failure.",
	Status:  http.StatusInternalServerError,
}

// As returns the client-visible error behind err, or nil when err is
// internal.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Public returns what a client may see of err: the *Error itself, or
// Internal for anything else.
func Public(err error) *Error {
	if e := As(err); e != nil {
		return e
	}
	return Internal
}

// Code returns the AWS error code of err (InternalFailure for internal
// errors, "" for nil).
func Code(err error) string {
	if err == nil {
		return ""
	}
	return Public(err).Code
}

// Message returns the client-visible message of err.
func Message(err error) string {
	if err == nil {
		return ""
	}
	return Public(err).Message
}

// EchoLimit is how much of a client's value a message repeats.
const EchoLimit = 256

// Cut shortens s, a value echoed in a message, to at most n bytes on a
// rune boundary, marking the cut with "...", as AWS cuts the values its
// messages repeat.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
