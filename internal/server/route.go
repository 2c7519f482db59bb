package server

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/sigv4"
)

// request is one request on its way through the server.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	id    string
	start time.Time

	body   []byte
	form   url.Values // Query protocol fields
	sig    *sigv4.Signature
	sigErr error
	svc    *awsproto.Service
	opName string
	op     *awsproto.Op
	call   *awsproto.Call
	params awsproto.Params
	// anonymous is set for an unsigned call to an operation that allows it.
	anonymous bool

	status  int
	errCode string
	// authFailure is the code of a counted failed authentication.
	authFailure string
	// recorded is set once the call's event is committed.
	recorded bool
}

func (s *Server) maxBody() int64 {
	if s.MaxBodyBytes > 0 {
		return s.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

// readBody reads the whole body, refusing more than the cap.
func (s *Server) readBody(req *request) bool {
	body, err := io.ReadAll(http.MaxBytesReader(req.w, req.r.Body, s.maxBody()))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		s.fail(req, awserr.Errorf(awserr.CodeRequestTooLarge, "Request body exceeds the limit of %d bytes.", s.maxBody()).WithStatus(http.StatusRequestEntityTooLarge))
		return false
	}
	if err != nil {
		s.fail(req, awserr.New(awserr.CodeSerialization, "The request body could not be read."))
		return false
	}
	req.body = body
	return true
}

// route finds the service and operation: JSON services by X-Amz-Target,
// Query services by the Action field and the service the request was
// signed for.
func (s *Server) route(req *request) bool {
	sig, sigErr := sigv4.Parse(req.r)
	req.sig, req.sigErr = sig, sigErr
	if target := req.r.Header.Get("X-Amz-Target"); target != "" {
		return s.routeJSON(req, target)
	}
	form, err := queryForm(req)
	if err != nil {
		s.fail(req, awserr.New(awserr.CodeSerialization, "The request body is not a valid form."))
		return false
	}
	req.form = form
	if sigErr != nil {
		if s.routeAnonymous(req) {
			return true
		}
		s.refuse(req, authError(sigErr)) // without a signature the service is unknown
		return false
	}
	req.svc = s.bySigning[sig.Scope.Service]
	if req.svc == nil || req.svc.Protocol != awsproto.Query {
		s.fail(req, unknownService(sig.Scope.Service))
		return false
	}
	req.opName = form.Get("Action")
	return s.findOp(req)
}

// routeAnonymous routes an unsigned Query request to the operation that
// may be called so (SNS's confirmation links); the Action names it, as no
// signature names a service.
func (s *Server) routeAnonymous(req *request) bool {
	var e *sigv4.Error
	if !errors.As(req.sigErr, &e) || e.Kind != sigv4.KindMissing {
		return false
	}
	name := req.form.Get("Action")
	for _, svc := range s.bySigning {
		if op := svc.AnonymousOp(name); op != nil && svc.Protocol == awsproto.Query {
			req.svc, req.opName, req.op, req.anonymous = svc, name, op, true
			return true
		}
	}
	return false
}

func (s *Server) routeJSON(req *request, target string) bool {
	i := strings.LastIndex(target, ".")
	if i < 0 {
		s.fail(req, awserr.New(awserr.CodeUnknownOperation, "Operation is not supported: "+target))
		return false
	}
	req.svc, req.opName = s.jsonTargets[target[:i]], target[i+1:]
	if req.svc == nil {
		s.fail(req, awserr.New(awserr.CodeUnknownOperation, "Operation is not supported: "+target))
		return false
	}
	return s.findOp(req)
}

func (s *Server) findOp(req *request) bool {
	req.op = req.svc.Op(req.opName)
	if req.op == nil {
		if req.opName == "" {
			s.fail(req, awserr.New(awserr.CodeUnknownOperation, "Could not find operation: the request names none."))
		} else {
			s.fail(req, awserr.Errorf(awserr.CodeUnknownOperation, "Could not find operation %s for version %s", req.opName, req.svc.Model.Metadata.APIVersion))
		}
		return false
	}
	return true
}

func unknownService(name string) error {
	return awserr.Errorf(awserr.CodeUnknownOperation, "deploytrail does not serve the %q service over this protocol.", name)
}

// queryForm gathers Query fields from the URL and a form-encoded body.
func queryForm(req *request) (url.Values, error) {
	form, err := url.ParseQuery(req.r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	ct := req.r.Header.Get("Content-Type")
	if len(req.body) > 0 && (ct == "" || strings.HasPrefix(ct, "application/x-www-form-urlencoded")) {
		body, err := url.ParseQuery(string(req.body))
		if err != nil {
			return nil, err
		}
		for k, v := range body {
			form[k] = append(form[k], v...)
		}
	}
	return form, nil
}

// decode decodes the operation's input for its protocol.
func (s *Server) decode(req *request) (awsproto.Params, error) {
	shape := req.op.Model.InputShape()
	if req.svc.Protocol == awsproto.JSON {
		return awsproto.DecodeJSON(shape, req.body)
	}
	return awsproto.DecodeQuery(shape, req.form, req.svc.ValidationCode)
}
