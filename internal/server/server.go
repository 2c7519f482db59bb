// Package server is deploytrail's HTTP edge: it turns AWS requests into
// calls on the services and their results into AWS responses.
//
// The request path, in order: recover from panics → request id → route
// (X-Amz-Target or Action) → authenticate (SigV4 against IAM credentials)
// → decode and validate against the model → authorize (IAM policies) →
// invoke the operation and record its CloudTrail event (in one
// transaction for calls that change state) → encode. Every failure is answered with the AWS
// error a client expects for its protocol; anything unexpected becomes
// InternalFailure and is logged with the request id.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/s3api"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// HealthPath answers 200 once the server is ready.
const HealthPath = "/_deploytrail/health"

// Ledger is where calls commit: Tx runs a call's changes, and Record
// stores its audit event in the same transaction.
type Ledger interface {
	Tx(ctx context.Context, fn func(ctx context.Context) error) error
	Record(ctx context.Context, ev *trail.Event) error
}

// Server serves the AWS APIs of its services on one handler.
type Server struct {
	// IAM authenticates and authorizes every call.
	IAM *iam.Service
	// Ledger records every authenticated call.
	Ledger Ledger
	// Logger receives one line per request and one per internal failure.
	Logger *slog.Logger
	// MaxBodyBytes, when set, lowers every service's body limit
	// (limits.go).
	MaxBodyBytes int64
	// BodyMemory bounds what large in-flight bodies hold together
	// (DefaultBodyMemory when zero).
	BodyMemory int64
	// BodyTimeout is how long a body may take beyond what its size needs
	// at the slowest accepted rate (DefaultBodyTimeout when zero).
	BodyTimeout time.Duration
	// TrustedProxies may set X-Forwarded-For; other peers may not.
	TrustedProxies []netip.Prefix
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Observe, when set, is told about every answered request (metrics).
	Observe func(RequestReport)
	// Health, when set, adds to the health check and may fail it.
	Health HealthFunc
	// Feeds serves event streams (EventStreamPath); nil serves none.
	Feeds EventFeeds
	// Console, when set, serves browsers' unsigned requests for the web
	// console (isConsoleRequest).
	Console http.Handler
	// MaxStreamsPerAccount and MaxStreams cap open event streams
	// (DefaultMaxStreamsPerAccount, DefaultMaxStreams when zero).
	MaxStreamsPerAccount, MaxStreams int
	// S3 serves the S3 REST API over the buckets (s3.go); nil serves none.
	S3 *s3api.Service
	// S3Domain, when set, is the base domain of virtual-hosted-style S3
	// requests: <bucket>.<S3Domain>.
	S3Domain string
	// DataEvents decides which S3 data events are recorded; nil records
	// none.
	DataEvents DataEventFilter

	authFailures authFailures
	streams      streamLimits
	budget       bodyBudget
	reads        bodyReads
	jsonTargets  map[string]*awsproto.Service // X-Amz-Target prefix → service
	bySigning    map[string]*awsproto.Service // SigV4 service name → service
	ready        atomic.Bool
}

// New returns a server for services, authenticated and authorized by
// iamService.
func New(iamService *iam.Service, ledger Ledger, services ...*awsproto.Service) *Server {
	s := &Server{IAM: iamService, Ledger: ledger, Logger: slog.Default(), jsonTargets: map[string]*awsproto.Service{},
		bySigning: map[string]*awsproto.Service{}, streams: streamLimits{open: map[string]int{}, closing: make(chan struct{})}}
	for _, svc := range services {
		s.bySigning[svc.Name] = svc
		for _, p := range svc.TargetPrefixes() {
			s.jsonTargets[p] = svc
		}
	}
	return s
}

// Services returns the services the server serves.
func (s *Server) Services() []*awsproto.Service {
	out := make([]*awsproto.Service, 0, len(s.bySigning))
	for _, svc := range s.bySigning {
		out = append(out, svc)
	}
	return out
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
	// No path may wait for a body forever, read or not (net/http reads
	// what a handler left); readBody sets the exact deadline.
	http.NewResponseController(w).SetReadDeadline(s.bodyDeadline(unroutedMaxBodyBytes))
	if r.URL.Path == HealthPath {
		s.health(w, r)
		return
	}
	if r.URL.Path == EventStreamPath {
		s.serveStream(w, r)
		return
	}
	if s.Console != nil && isConsoleRequest(r) {
		s.Console.ServeHTTP(w, r)
		return
	}
	if s.IsS3(r) {
		s.serveS3(w, r)
		return
	}
	start := s.now()
	req := &request{w: w, r: r, id: newRequestID(), start: start}
	defer s.recoverPanic(req)
	defer req.releaseBody()
	s.serve(r.Context(), req)
	s.logRequest(req)
}

// isConsoleRequest tells a browser's request for the web console from an
// API call: it is unsigned (no Authorization header, no presigned query)
// and is for /console or below, or is a GET of / that accepts HTML (a
// browser opening the server's address; the console redirects it).
func isConsoleRequest(r *http.Request) bool {
	p := r.URL.Path
	browserHome := p == "/" && r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html")
	if !browserHome && p != "/console" && !strings.HasPrefix(p, "/console/") {
		return false // the API calls: no query parsed on their path
	}
	q := r.URL.Query()
	return r.Header.Get("Authorization") == "" && !q.Has("X-Amz-Signature") && !q.Has("X-Amz-Credential")
}

// health answers the health check: 200 and "ok" when the server is ready
// and the Health hook finds nothing wrong, else 503.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	var fields map[string]any
	status, healthy := "ok", true
	if s.Health != nil {
		fields, healthy = s.Health(r.Context())
		if !healthy {
			status = "failing"
		}
	}
	if fields == nil {
		fields = map[string]any{}
	}
	if !s.ready.Load() {
		status, healthy = "starting", false
	}
	fields["status"], fields["auth_failures"] = status, s.authFailures.Total()
	body, _ := json.Marshal(fields)
	w.Header().Set("Content-Type", "application/json")
	if !healthy {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	w.Write(body)
}

// serve runs the request path; each step answers its own failures.
func (s *Server) serve(ctx context.Context, req *request) {
	if !s.readBody(req) || !s.route(req) || !s.authenticate(ctx, req) {
		return
	}
	s.allowHold(req)
	run := s.audited
	if req.svc.Unaudited {
		run = s.unaudited
	}
	tree, err := run(awsproto.NewContext(ctx, req.call), req)
	if err != nil {
		s.fail(req, err)
		return
	}
	s.respond(req, tree)
}

// audited runs an authenticated call so that it is never answered without
// its durable event: a call that changes state commits its changes and its
// event in one transaction; a read records after it ran; a failure rolls
// its changes back and records its error. A call on another account's
// resource records a copy for that account too, in the same transaction
// (audience.go). If the event cannot be stored, the call fails with
// InternalFailure and nothing has changed.
func (s *Server) audited(ctx context.Context, req *request) (map[string]any, error) {
	tree, opErr := s.prepare(ctx, req)
	aud, err := s.audience(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("audience of %s: %w", req.opName, err)
	}
	if opErr == nil && !req.op.Mutates {
		tree, opErr = s.invoke(ctx, req)
	} else if opErr == nil {
		err := s.Ledger.Tx(ctx, func(ctx context.Context) error {
			if tree, opErr = s.invoke(ctx, req); opErr != nil {
				return opErr // roll the call's changes back
			}
			return s.record(ctx, s.records(req, tree, nil, aud))
		})
		if opErr == nil && err != nil {
			return nil, fmt.Errorf("commit %s with its event: %w", req.opName, err)
		}
		if opErr == nil {
			req.recorded = true
			return tree, nil
		}
	}
	evs := s.records(req, tree, opErr, aud)
	if err := s.Ledger.Tx(ctx, func(ctx context.Context) error { return s.record(ctx, evs) }); err != nil {
		return nil, fmt.Errorf("record %s: %w", req.opName, err)
	}
	req.recorded = true
	return tree, opErr
}

// unaudited runs an authenticated call of a service whose calls are not
// events (awsproto.Service.Unaudited): authorized like any other, but not
// recorded. Its operations commit their own changes.
func (s *Server) unaudited(ctx context.Context, req *request) (map[string]any, error) {
	if _, err := s.prepare(ctx, req); err != nil {
		return nil, err
	}
	return s.invoke(ctx, req)
}

// allowHold lets the answer of an operation that waits on purpose (a long
// poll) be written after the server's write deadline would have cut it.
func (s *Server) allowHold(req *request) {
	if req.op.Hold <= 0 {
		return
	}
	err := http.NewResponseController(req.w).SetWriteDeadline(time.Now().Add(req.op.Hold))
	if err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.Logger.Warn("extend write deadline for a long poll", "request_id", req.id, "err", err)
	}
}

// prepare decodes, validates and authorizes the call: everything before
// it touches state.
func (s *Server) prepare(ctx context.Context, req *request) (map[string]any, error) {
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
	if req.op.Action == "" || req.anonymous {
		return nil, nil // the operation checks what an anonymous caller presents
	}
	resource := "*"
	if req.op.Resource != nil {
		if resource, err = req.op.Resource(ctx, req.call, params); err != nil {
			return nil, fmt.Errorf("authorize %s: look up its resource: %w", req.opName, err)
		}
	}
	return nil, s.IAM.Authorize(ctx, req.call, req.op.Action, resource)
}

// invoke runs the operation and returns its output tree.
func (s *Server) invoke(ctx context.Context, req *request) (map[string]any, error) {
	out, err := req.op.Invoke(ctx, req.params)
	if err != nil {
		return nil, err
	}
	return awsproto.ToTree(out)
}
