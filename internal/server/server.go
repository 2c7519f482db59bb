// Package server is deploytrail's HTTP edge: it turns AWS requests into
// calls on the services and their results into AWS responses.
//
// The request path, in order: recover from panics → request id → route
// (X-Amz-Target or Action) → authenticate (SigV4 against IAM credentials)
// → decode and validate against the model → authorize (IAM policies) →
// invoke the operation → encode. Every failure is answered with the AWS
// error a client expects for its protocol; anything unexpected becomes
// InternalFailure and is logged with the request id.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/iam"
)

// DefaultMaxBodyBytes caps request bodies. The largest legitimate bodies
// (policy documents, AppSpec content) are far smaller.
const DefaultMaxBodyBytes = 4 << 20

// HealthPath answers 200 once the server is ready.
const HealthPath = "/_deploytrail/health"

// Server serves the AWS APIs of its services on one handler.
type Server struct {
	// IAM authenticates and authorizes every call.
	IAM *iam.Service
	// Logger receives one line per request and one per internal failure.
	Logger *slog.Logger
	// MaxBodyBytes caps request bodies (DefaultMaxBodyBytes when zero).
	MaxBodyBytes int64
	// TrustedProxies may set X-Forwarded-For; other peers may not.
	TrustedProxies []netip.Prefix
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	jsonTargets map[string]*awsproto.Service // X-Amz-Target prefix → service
	bySigning   map[string]*awsproto.Service // SigV4 service name → service
	ready       atomic.Bool
}

// New returns a server for services, authenticated and authorized by
// iamService.
func New(iamService *iam.Service, services ...*awsproto.Service) *Server {
	s := &Server{IAM: iamService, Logger: slog.Default(), jsonTargets: map[string]*awsproto.Service{},
		bySigning: map[string]*awsproto.Service{}}
	for _, svc := range services {
		s.bySigning[svc.Name] = svc
		for _, p := range svc.TargetPrefixes() {
			s.jsonTargets[p] = svc
		}
	}
	return s
}

// SetReady marks the server ready (or not) for the health check.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == HealthPath {
		s.health(w)
		return
	}
	start := s.now()
	req := &request{w: w, r: r, id: newRequestID(), start: start}
	defer s.recoverPanic(req)
	s.serve(r.Context(), req)
	s.logRequest(req)
}

func (s *Server) health(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	if !s.ready.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"starting"}`))
		return
	}
	w.Write([]byte(`{"status":"ok"}`))
}

// serve runs the request path; each step answers its own failures.
func (s *Server) serve(ctx context.Context, req *request) {
	if !s.readBody(req) || !s.route(req) || !s.authenticate(ctx, req) {
		return
	}
	ctx = awsproto.NewContext(ctx, req.call)
	tree, err := s.dispatch(ctx, req)
	if err != nil {
		s.fail(req, err)
		return
	}
	s.respond(req, tree)
}

// dispatch decodes, validates, authorizes and invokes the operation and
// returns its output tree: the part of a call that the trail records.
func (s *Server) dispatch(ctx context.Context, req *request) (map[string]any, error) {
	params, err := s.decode(req)
	if err != nil {
		return nil, err
	}
	req.params = params
	if !req.svc.OwnValidation {
		if err := awsproto.Validate(req.op.Model.InputShape(), params, req.svc.ValidationCode); err != nil {
			return nil, err
		}
	}
	if req.op.Action != "" {
		resource := "*"
		if req.op.Resource != nil {
			resource = req.op.Resource(ctx, req.call, params)
		}
		if err := s.IAM.Authorize(ctx, req.call, req.op.Action, resource); err != nil {
			return nil, err
		}
	}
	out, err := req.op.Invoke(ctx, params)
	if err != nil {
		return nil, err
	}
	return awsproto.ToTree(out)
}
