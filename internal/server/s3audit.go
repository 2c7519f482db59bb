package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/s3api"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// DataEventFilter decides which data events are stored: CloudTrail
// records an object-level call only for trails whose event selectors
// select it.
type DataEventFilter interface {
	// Wanted reports whether any trail selects this data event; an
	// unselected one is not stored.
	Wanted(ctx context.Context, ev *trail.Event) (bool, error)
}

// categoryData is the eventCategory of data events.
const categoryData = "Data"

// auditedS3 authorizes and runs an S3 call so that it is never answered
// without its durable event, when it has one (a data event nobody
// selects has none). A change is staged first (an object's bytes are
// written where nobody sees them, and verified), then its Commit and its
// event run in one transaction: the event can only exist for a change
// that is visible, and a change that cannot be recorded is rolled back
// (the staged object is discarded). Reads record before they answer, so
// that GetObject's bytes never leave unrecorded.
func (s *Server) auditedS3(ctx context.Context, req *request) error {
	resp, opErr := s.runS3(ctx, req)
	req.s3.resp = resp
	aud, err := s.s3Audience(ctx, req)
	if err != nil {
		return err
	}
	if opErr == nil && resp.Commit != nil {
		evs, err := s.s3Records(ctx, req, nil, aud)
		if err != nil {
			return fmt.Errorf("record %s: %w", req.opName, err) // nothing committed
		}
		if opErr, err = s.commitS3(ctx, resp, evs); opErr == nil && err != nil {
			return fmt.Errorf("commit %s with its event: %w", req.opName, err)
		}
		if opErr == nil {
			req.recorded, req.s3.committed = len(evs) > 0, true
			return nil
		}
	}
	// A read, or a failure: its records, if any are wanted, before the
	// answer (no transaction when none is: most GETs select none).
	evs, err := s.s3Records(ctx, req, opErr, aud)
	if err == nil && len(evs) > 0 {
		err = s.Ledger.Tx(ctx, func(ctx context.Context) error { return s.record(ctx, evs) })
	}
	if err != nil {
		if resp != nil && resp.Stream != nil {
			resp.Stream.Close()
		}
		return fmt.Errorf("record %s: %w", req.opName, err)
	}
	req.recorded = len(evs) > 0
	return opErr
}

// runS3 authorizes the call and runs its operation; bodies stream
// through the verifying reader, charged to the memory budget when a
// bucket buffers them.
func (s *Server) runS3(ctx context.Context, req *request) (*s3api.Response, error) {
	sr := &s3api.Request{Target: req.s3.target, HTTP: req.r, Body: req.s3.body, Size: req.payloadLength(), Call: req.call,
		Reserve: func(n int64) (func(), bool) { return s.budget.take(n, s.bodyMemory()) }}
	owner, err := s.S3.Authorize(ctx, req.call, req.s3.target, sr)
	if err != nil {
		return nil, err
	}
	req.s3.owner = owner
	rc := http.NewResponseController(req.w) // ShedStalledBodies may cut a stalled upload
	s.reads.begin(rc)
	defer s.reads.end(rc)
	resp, err := s.S3.Do(ctx, sr)
	return resp, s3AuthError(err) // a body that failed verification as it was read

}

// s3Audience gives the bucket's owner a copy of the record when the
// caller is another account (as for any cross-account call).
func (s *Server) s3Audience(ctx context.Context, req *request) (*audience, error) {
	a := &audience{eventID: trail.NewEventID(), resources: s3Resources(req)}
	owner := req.s3.owner
	if owner == "" || owner == req.call.Account() {
		return a, nil
	}
	exists, err := s.IAM.AccountExists(ctx, owner)
	if err != nil || !exists {
		return a, err
	}
	a.copies, a.sharedEventID = map[string]string{owner: trail.NewEventID()}, trail.NewEventID()
	return a, nil
}

// s3Resources are the record's resources as CloudTrail lists them for
// S3: the object(s) and the bucket with its owner.
func s3Resources(req *request) []awsproto.Resource {
	t := req.s3.target
	if t.Op.On == s3api.OnService {
		return nil
	}
	bucket := awsproto.Resource{Type: "AWS::S3::Bucket", ARN: s3api.BucketARN(t.Bucket), AccountID: req.s3.owner}
	var out []awsproto.Resource
	if t.Op.On == s3api.OnObject {
		out = append(out, awsproto.Resource{Type: "AWS::S3::Object", ARN: t.Resource()})
	}
	if resp := req.s3.resp; resp != nil {
		for _, k := range resp.ObjectKeys {
			out = append(out, awsproto.Resource{Type: "AWS::S3::Object", ARN: s3api.BucketARN(t.Bucket) + "/" + k})
		}
	}
	return append(out, bucket)
}

// commitS3 makes a change visible together with its records. The
// records first, the change last, in one transaction: a change that
// fails rolls its records back, and only the database's own commit can
// still fail after the change is visible. A change with nothing to record
// (a data event no trail selects) is committed outside the store's
// committer, which would otherwise run every PUT's renames and fsyncs one
// after another.
//
// opErr is the change's own failure (the call then fails and records
// that); err is the records' (the call fails with InternalError).
func (s *Server) commitS3(ctx context.Context, resp *s3api.Response, evs []*trail.Event) (opErr, err error) {
	if len(evs) == 0 {
		return resp.Commit(ctx), nil
	}
	err = s.Ledger.Tx(ctx, func(ctx context.Context) error {
		if err := s.record(ctx, evs); err != nil {
			return err
		}
		opErr = resp.Commit(ctx)
		return opErr
	})
	return opErr, err
}

// s3Records are the call's record and its copies that are to be stored.
// Delivery sends an event to the trails of its recipientAccountId only,
// so each copy of a data event (the caller's, the bucket owner's) is
// asked of the trails' selectors on its own and kept only if that
// account's trails want it.
func (s *Server) s3Records(ctx context.Context, req *request, opErr error, a *audience) ([]*trail.Event, error) {
	evs := trail.Share(s.s3Event(req, opErr, a), a.sharedEventID, a.copies)
	if !req.s3.target.Op.Data {
		return evs, nil
	}
	return s.wantedDataEvents(ctx, evs)
}

// wantedDataEvents are the copies of a data event some trail selects.
func (s *Server) wantedDataEvents(ctx context.Context, evs []*trail.Event) ([]*trail.Event, error) {
	if s.DataEvents == nil {
		return nil, nil
	}
	var keep []*trail.Event
	for _, ev := range evs {
		wanted, err := s.DataEvents.Wanted(ctx, ev)
		if err != nil {
			return nil, err
		}
		if wanted {
			keep = append(keep, ev)
		}
	}
	return keep, nil
}

// s3Event builds the record: S3's requestParameters and
// additionalEventData, readOnly by operation, and a data event's
// category.
func (s *Server) s3Event(req *request, opErr error, a *audience) *trail.Event {
	in := trail.Input{Call: req.call, Err: opErr, Done: s.now(), EventID: a.eventID, Resources: a.resources}
	if opErr != nil {
		in.ErrCode, _, _ = s3ErrorCode(opErr)
	}
	ev := trail.Build(in)
	op := req.s3.target.Op
	ev.ReadOnly = new(op.ReadOnly)
	if op.Data {
		ev.EventCategory, ev.ManagementEvent = categoryData, new(false)
	}
	resp := req.s3.resp
	if resp != nil && resp.RequestParameters != nil {
		ev.RequestParameters = resp.RequestParameters
		ev.ResponseElements = resp.ResponseElements
	} else {
		ev.RequestParameters = targetParams(req)
	}
	ev.AdditionalEventData = s.additionalEventData(req)
	return ev
}

// targetParams are the requestParameters of a call that failed before
// its operation ran.
func targetParams(req *request) map[string]any {
	p := map[string]any{"Host": truncateParam(req.r.Host)}
	if t := req.s3.target; t.Bucket != "" {
		p["bucketName"] = t.Bucket
		if t.Key != "" {
			p["key"] = t.Key
		}
	}
	return p
}

// additionalEventData is what CloudTrail adds to S3 records: how the
// call was signed and the bytes it moved.
func (s *Server) additionalEventData(req *request) map[string]any {
	d := map[string]any{"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader", "x-amz-id-2": req.s3.hostID,
		"bytesTransferredIn": req.s3.bytesIn.n, "bytesTransferredOut": 0}
	if req.sig != nil && req.sig.Presigned {
		d["AuthenticationMethod"] = "QueryString"
	}
	if t := req.call.TLS; t != nil {
		d["CipherSuite"] = t.CipherSuite
	}
	if resp := req.s3.resp; resp != nil {
		for k, v := range resp.AdditionalEventData {
			d[k] = v
		}
	}
	return d
}
