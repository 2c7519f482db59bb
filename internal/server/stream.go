package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/sigv4"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// EventStreamPath serves `deploytrail events --follow`: a POST signed for
// cloudtrail like LookupEvents, with LookupEvents' JSON body and the query
// parameters backlog (how many recent events to send first, 0–1000) or
// after (an event id to resume after). It is authorized as
// cloudtrail:LookupEvents and recorded as ONE LookupEvents event whose
// requestParameters carry "follow": true, committed before the first
// byte; the response is newline-delimited JSON, one LookupEvents Event
// per line, as the events commit, with an empty line as heartbeat.
const EventStreamPath = "/_deploytrail/events/stream"

// Bounds of event streams.
const (
	// DefaultMaxStreamsPerAccount caps an account's open streams.
	DefaultMaxStreamsPerAccount = 4
	// DefaultMaxStreams caps the server's open streams.
	DefaultMaxStreams = 64
	// streamPoll is how often a stream asks the store for new events.
	streamPoll = 500 * time.Millisecond
	// streamHeartbeat is the longest silence, so that proxies keep the
	// connection open and a vanished client is noticed.
	streamHeartbeat = 15 * time.Second
	// streamWriteTimeout is how long one batch may take to reach a slow
	// client before the stream ends: the server never buffers more than
	// a batch for it.
	streamWriteTimeout = 30 * time.Second
	// streamBatch is the most events read from the store at once.
	streamBatch = 100
)

// EventFeeds opens follow streams over the event history
// (cloudtrail.Service.OpenFeed). The call is in ctx.
type EventFeeds interface {
	OpenFeed(ctx context.Context, p awsproto.Params, backlog int, after string) (func(ctx context.Context, max int) ([][]byte, error), error)
}

// streamLimits counts open streams per account and in all.
type streamLimits struct {
	mu        sync.Mutex
	open      map[string]int
	total     int
	closeOnce sync.Once
	closing   chan struct{} // closed when the server shuts down
}

// acquire takes a stream slot for account; the function returned gives
// it back.
func (l *streamLimits) acquire(account string, perAccount, max int) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[account] >= perAccount || l.total >= max {
		return nil, awserr.Errorf(awserr.CodeThrottling, "Too many open event streams (at most %d per account). Close one and retry.", perAccount)
	}
	l.open[account]++
	l.total++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.open[account]--
		l.total--
	}, nil
}

// EndStreams ends every open event stream (after its current batch) and
// refuses none: http.Server.Shutdown does not cancel handlers, so the
// server's owner calls this from RegisterOnShutdown.
func (s *Server) EndStreams() { s.streams.closeOnce.Do(func() { close(s.streams.closing) }) }

// serveStream serves EventStreamPath: authenticate, authorize and record
// as every call, then push events until the client leaves, a write
// stalls or the server shuts down.
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request) {
	req := &request{w: w, r: r, id: newRequestID(), start: s.now()}
	defer s.recoverPanic(req)
	s.stream(req)
	s.logRequest(req) // one line per stream, when it ends
}

func (s *Server) stream(req *request) {
	if !s.routeStream(req) || !s.authenticate(req.r.Context(), req) {
		return
	}
	ctx := awsproto.NewContext(req.r.Context(), req.call)
	next, release, err := s.openStream(ctx, req)
	if err != nil {
		s.fail(req, err)
		return
	}
	defer release()
	s.pushEvents(ctx, req, next)
}

// routeStream reads the body and names the operation the stream is
// authenticated and recorded as: CloudTrail's LookupEvents.
func (s *Server) routeStream(req *request) bool {
	req.svc = s.bySigning["cloudtrail"]
	if req.svc == nil || s.Feeds == nil {
		s.fail(req, unknownService("cloudtrail"))
		return false
	}
	req.opName, req.op = "LookupEvents", req.svc.Op("LookupEvents")
	if req.r.Method != http.MethodPost {
		s.fail(req, awserr.New(awserr.CodeValidation, "An event stream is opened with POST.").WithStatus(http.StatusMethodNotAllowed))
		return false
	}
	if !s.readBody(req) {
		return false
	}
	req.sig, req.sigErr = sigv4.Parse(req.r)
	return true
}

// openStream authorizes the stream, opens its feed and records its one
// event; if the event cannot be stored, no stream opens.
func (s *Server) openStream(ctx context.Context, req *request) (func(context.Context, int) ([][]byte, error), func(), error) {
	eventID := trail.NewEventID()
	next, release, opErr := s.startFeed(ctx, req)
	ev := s.records(req, nil, opErr, &audience{eventID: eventID})[0] // a stream acts on no other account's resource
	markFollow(ev, req.r.URL.Query())
	if err := s.Ledger.Tx(ctx, func(ctx context.Context) error { return s.Ledger.Record(ctx, ev) }); err != nil {
		if release != nil {
			release()
		}
		return nil, nil, fmt.Errorf("record event stream: %w", err)
	}
	return next, release, opErr
}

// startFeed decodes, validates and authorizes the call as LookupEvents,
// takes a stream slot and opens the feed.
func (s *Server) startFeed(ctx context.Context, req *request) (func(context.Context, int) ([][]byte, error), func(), error) {
	if _, err := s.prepare(ctx, req); err != nil {
		return nil, nil, err
	}
	backlog, after, err := streamParams(req.r.URL.Query())
	if err != nil {
		return nil, nil, err
	}
	release, err := s.streams.acquire(req.call.Account(), s.maxStreamsPerAccount(), s.maxStreams())
	if err != nil {
		return nil, nil, err
	}
	next, err := s.Feeds.OpenFeed(ctx, req.params, backlog, after)
	if err != nil {
		release()
		return nil, nil, err
	}
	return next, release, nil
}

// streamParams reads backlog and after from the URL.
func streamParams(q url.Values) (backlog int, after string, err error) {
	if v := q.Get("backlog"); v != "" {
		if backlog, err = strconv.Atoi(v); err != nil {
			return 0, "", awserr.Errorf(awserr.CodeValidation, "backlog must be a number of events, not %.20q.", v)
		}
	}
	return backlog, q.Get("after"), nil
}

// markFollow says in the record that the call opened a stream, and from
// where: AWS's LookupEvents record plus deploytrail's "follow" fields.
func markFollow(ev *trail.Event, q url.Values) {
	if ev.RequestParameters == nil {
		ev.RequestParameters = map[string]any{}
	}
	ev.RequestParameters["follow"] = true
	if v := q.Get("after"); v != "" {
		ev.RequestParameters["startAfterEventId"] = truncateParam(v)
	} else if v := q.Get("backlog"); v != "" {
		ev.RequestParameters["backlog"] = truncateParam(v)
	}
}

// truncateParam keeps a client's value short in the record.
func truncateParam(v string) string {
	if len(v) > 64 {
		return v[:64]
	}
	return v
}

// pushEvents writes the feed's events as they commit. Each batch gets a
// fresh write deadline (which also lifts any server-wide WriteTimeout),
// and the read deadline is lifted: the body is read, and an expiring
// background read would cancel the stream.
func (s *Server) pushEvents(ctx context.Context, req *request, next func(context.Context, int) ([][]byte, error)) {
	h := req.w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("X-Amzn-RequestId", req.id)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass lines on at once
	rc := http.NewResponseController(req.w)
	rc.SetReadDeadline(time.Time{})
	req.w.WriteHeader(http.StatusOK)
	req.status = http.StatusOK
	tick := time.NewTicker(streamPoll)
	defer tick.Stop()
	var lastWrite time.Time
	for {
		lines, err := next(ctx, streamBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.Logger.Error("event stream", "request_id", req.id, "err", err)
			}
			return
		}
		if len(lines) > 0 || time.Since(lastWrite) >= streamHeartbeat {
			if err := writeLines(rc, req.w, lines); err != nil {
				return // the client left or stalled
			}
			lastWrite = time.Now()
		}
		if len(lines) == streamBatch && ctx.Err() == nil && !s.closing() {
			continue // more are waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-s.streams.closing:
			return
		case <-tick.C:
		}
	}
}

func (s *Server) closing() bool {
	select {
	case <-s.streams.closing:
		return true
	default:
		return false
	}
}

// writeLines writes one batch (an empty line for a heartbeat) and
// flushes it to the client.
func writeLines(rc *http.ResponseController, w http.ResponseWriter, lines [][]byte) error {
	if err := rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if len(lines) == 0 {
		lines = [][]byte{nil}
	}
	for _, l := range lines {
		if _, err := w.Write(append(l, '\n')); err != nil {
			return err
		}
	}
	return rc.Flush()
}

func (s *Server) maxStreamsPerAccount() int {
	if s.MaxStreamsPerAccount > 0 {
		return s.MaxStreamsPerAccount
	}
	return DefaultMaxStreamsPerAccount
}

func (s *Server) maxStreams() int {
	if s.MaxStreams > 0 {
		return s.MaxStreams
	}
	return DefaultMaxStreams
}
