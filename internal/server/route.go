package server

import (
	"errors"
	"io"
	"net"
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
	// release returns the body's charge to the memory budget.
	release func()
	// s3 is set for S3 requests (s3.go), which are answered in S3's XML.
	s3 *s3Request
}

// readBody reads the whole body within the service's limit, refusing an
// announced oversized body before reading a byte. A large body is charged
// to the server's body memory budget until the request is answered, and
// every body must arrive by its deadline, so that neither big nor stalled
// bodies can pile up.
func (s *Server) readBody(req *request) bool {
	limit := s.bodyLimit(req.r)
	n := req.r.ContentLength
	if n > limit {
		s.refuseBody(req, tooLarge(limit))
		return false
	}
	if n < 0 { // chunked: the limit is all we know
		n = limit
	}
	if n > smallBodyBytes {
		release, ok := s.budget.take(n, s.bodyMemory())
		if !ok {
			s.refuseBody(req, throttled)
			return false
		}
		req.release = release
	}
	rc := http.NewResponseController(req.w)
	rc.SetReadDeadline(s.bodyDeadline(n))
	s.reads.begin(rc)
	body, err := readAll(http.MaxBytesReader(req.w, req.r.Body, limit), req.r.ContentLength)
	s.reads.end(rc)
	if err == nil {
		// Clear the deadline: the server's own read that watches for the
		// client going away must not time out while the call runs. After
		// a failure it stays, so that the rest of the body is not awaited.
		rc.SetReadDeadline(time.Time{})
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		s.fail(req, tooLarge(limit))
		return false
	}
	var timeout net.Error
	if errors.As(err, &timeout) && timeout.Timeout() {
		s.fail(req, awserr.New(codeRequestTimeout, "Your socket connection to the server was not read from or written to within the timeout period."))
		return false
	}
	if err != nil {
		s.fail(req, awserr.New(awserr.CodeSerialization, "The request body could not be read."))
		return false
	}
	req.body = body
	return true
}

// readAll reads r into a buffer sized by the announced length, if any,
// so that a body costs its size once, not the doublings of a growing one.
func readAll(r io.Reader, announced int64) ([]byte, error) {
	if announced < 0 {
		return io.ReadAll(r)
	}
	buf := make([]byte, announced)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
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

// releaseBody gives the body's memory charge back once it is answered.
func (req *request) releaseBody() {
	if req.release != nil {
		req.release()
	}
}

// refuseBody answers a request without reading its body, and ends the
// connection's reads now: net/http would otherwise wait for up to 256 KiB
// of the unread body to reuse the connection, for as long as a stalled
// client likes.
func (s *Server) refuseBody(req *request, err error) {
	http.NewResponseController(req.w).SetReadDeadline(time.Now())
	s.fail(req, err)
}
