package server

import (
	"context"
	"time"

	"github.com/deploytrail/deploytrail/internal/sigv4"
)

// RequestReport is what the server tells its Observe hook about each
// answered request.
type RequestReport struct {
	// Service and Operation are "" when the request named none that the
	// server knows.
	Service, Operation string
	// ErrorCode is the code the client got, "" for a success.
	ErrorCode string
	Status    int
	Duration  time.Duration
	// AuthFailure is the error code of a failed authentication that was
	// counted, else "".
	AuthFailure string
	// Recorded is set when the call's event was committed.
	Recorded bool
}

// HealthFunc reports what the health check adds to the server's own: its
// fields, and false when the server cannot serve calls (503).
type HealthFunc func(ctx context.Context) (fields map[string]any, healthy bool)

// observe hands req's report to the Observe hook.
func (s *Server) observe(req *request) {
	if s.Observe == nil {
		return
	}
	rep := RequestReport{ErrorCode: req.errCode, Status: req.status, Duration: s.now().Sub(req.start),
		AuthFailure: req.authFailure, Recorded: req.recorded}
	if req.svc != nil {
		rep.Service = req.svc.Name
	}
	if req.op != nil { // an unknown operation's name is the client's: unbounded
		rep.Operation = req.opName
	}
	s.Observe(rep)
}

// isAPICall tells an attempted API call from a stray request, such as a
// browser's GET of / or /favicon.ico: a stray request is unsigned and
// names no operation. It is refused like any unsigned request but not
// counted as a failed authentication.
func (req *request) isAPICall() bool {
	if req.r.Header.Get("X-Amz-Target") != "" || req.form.Get("Action") != "" {
		return true
	}
	return sigv4.KindOf(req.sigErr) != sigv4.KindMissing
}
