package server

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// queryCodes renames the codes JSON services use where Query services
// (IAM, STS, SNS) use another name for the same error.
var queryCodes = map[string]string{
	awserr.CodeAccessDenied:     "AccessDenied",
	awserr.CodeUnknownOperation: "InvalidAction",
	awserr.CodeThrottling:       "Throttling",
	awserr.CodeSerialization:    "MalformedInput",
	awserr.CodeRequestTooLarge:  "RequestEntityTooLarge",
	codeMissingToken:            "MissingAuthenticationToken",
	codeIncomplete:              "IncompleteSignature",
	codeInvalidSignature:        "SignatureDoesNotMatch",
	codeUnrecognized:            "InvalidClientTokenId",
	codeExpiredToken:            "ExpiredToken",
}

// jsonCodes renames Query-only codes for JSON services.
var jsonCodes = map[string]string{
	codeRequestExpired: codeInvalidSignature,
}

// isQuery tells a request's protocol, also before routing found a service.
func (req *request) isQuery() bool {
	if req.svc != nil {
		return req.svc.Protocol == awsproto.Query
	}
	return req.r.Header.Get("X-Amz-Target") == ""
}

// respond writes a successful response.
func (s *Server) respond(req *request, tree map[string]any) {
	var body []byte
	if req.isQuery() {
		body = awsproto.EncodeQueryResponse(req.svc.Model, req.op.Model, tree, req.id)
	} else {
		var err error
		if body, err = awsproto.EncodeJSON(req.op.Model.OutputShape(), tree); err != nil {
			s.fail(req, err)
			return
		}
	}
	s.write(req, http.StatusOK, body)
}

// fail answers err: a client-visible error as itself (with the code its
// protocol uses), anything else as InternalFailure, logged.
func (s *Server) fail(req *request, err error) {
	if req.s3 != nil {
		s.failS3(req, err)
		return
	}
	if awserr.As(err) == nil {
		s.Logger.Error("internal failure", "request_id", req.id, "operation", req.opName, "err", err)
	}
	code, pub := req.wireError(err)
	status := req.errorStatus(pub, code)
	req.errCode = code
	if req.isQuery() {
		ns := "https://iam.amazonaws.com/doc/2010-05-08/"
		if req.svc != nil {
			ns = req.svc.Model.Metadata.XMLNamespace
		}
		s.write(req, status, awsproto.EncodeQueryError(ns, code, cutMessage(pub.Message), req.id, status < 500))
		return
	}
	req.w.Header().Set("X-Amzn-ErrorType", code)
	var model *awsproto.Model
	if req.svc != nil {
		model = req.svc.Model
	}
	s.write(req, status, awsproto.EncodeJSONError(model, code, cutMessage(pub.Message)))
}

// wireError is what the client sees of err: the code in its protocol's
// naming, and the public error.
func (req *request) wireError(err error) (string, *awserr.Error) {
	pub := awserr.Public(err)
	code := pub.Code
	if req.isQuery() {
		if c, ok := queryCodes[code]; ok {
			code = c
		}
	} else if c, ok := jsonCodes[code]; ok {
		code = c
	}
	if req.svc != nil {
		if c, ok := req.svc.ErrorCodes[pub.Code]; ok {
			code = c
		}
	}
	return code, pub
}

// commonStatus is the HTTP status of AWS's common errors, which no service
// model declares, by wire code. JSON services answer AccessDeniedException
// with 400; the Query services' AccessDenied is 403.
var commonStatus = map[string]int{
	"AccessDenied":        http.StatusForbidden,
	"IncompleteSignature": http.StatusBadRequest,
	codeIncomplete:        http.StatusBadRequest,
}

// ErrorResponse is what a client of svc sees of err: the error code in
// svc's naming and the HTTP status.
func ErrorResponse(svc *awsproto.Service, err error) (code string, status int) {
	req := &request{svc: svc}
	code, pub := req.wireError(err)
	return code, req.errorStatus(pub, code)
}

// errorStatus is the error's own status, else the one the service model
// gives its code, else AWS's status for a common error, else 400.
func (req *request) errorStatus(e *awserr.Error, code string) int {
	if e.Status != 0 {
		return e.Status
	}
	if req.svc != nil {
		if st := req.svc.Model.ErrorStatus(code); st != 0 {
			return st
		}
	}
	if st, ok := commonStatus[code]; ok {
		return st
	}
	return http.StatusBadRequest
}

func (s *Server) write(req *request, status int, body []byte) {
	h := req.w.Header()
	if req.isQuery() {
		h.Set("Content-Type", "text/xml")
	} else {
		h.Set("Content-Type", "application/x-amz-json-1.1")
	}
	h.Set("X-Amzn-RequestId", req.id)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	req.w.WriteHeader(status)
	req.w.Write(body)
	req.status = status
}

// recoverPanic turns a panic into InternalFailure; the stack goes to the
// log, never to the client.
func (s *Server) recoverPanic(req *request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	s.Logger.Error("panic", "request_id", req.id, "operation", req.opName, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if req.status == 0 {
		s.fail(req, awserr.Internal)
	}
	s.logRequest(req)
}

// logRequest writes the request's one log line.
func (s *Server) logRequest(req *request) {
	attrs := []any{"request_id", req.id, "status", req.status, "duration_ms", float64(s.now().Sub(req.start).Microseconds()) / 1000}
	if req.svc != nil {
		attrs = append(attrs, "service", req.svc.Name, "operation", req.opName)
	}
	if req.call != nil {
		attrs = append(attrs, "principal", req.call.Principal.ARN)
	}
	if req.errCode != "" {
		attrs = append(attrs, "error_code", req.errCode)
	}
	if v := req.r.Header.Get("X-Amz-Codedeploy-Agent-Version"); v != "" {
		attrs = append(attrs, "agent_version", v) // spec §9.1
	}
	s.Logger.Info("request", attrs...)
	s.observe(req)
}
