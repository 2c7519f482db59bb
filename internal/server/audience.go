package server

import (
	"context"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// audience is who receives a call's record: the caller's account, under
// eventID, and the owners of the resources it acted on in other accounts,
// each under its own eventID; sharedEventID links the copies (spec
// §10.4). It is settled before the call runs, so that the ids stay the
// same whichever way the call ends.
type audience struct {
	eventID, sharedEventID string
	resources              []awsproto.Resource
	copies                 map[string]string // owner account → its copy's eventID
}

// audience lists the resources the operation declares for the call and
// gives every owner account that exists here a copy. A resource named in
// an account this server does not have gets no copy: there is no one to
// receive it.
func (s *Server) audience(ctx context.Context, req *request) (*audience, error) {
	a := &audience{eventID: trail.NewEventID()}
	if req.op == nil || req.op.EventResources == nil || req.call == nil {
		return a, nil
	}
	a.resources = req.op.EventResources(req.call, req.params)
	for _, r := range a.resources {
		if r.AccountID == "" || r.AccountID == req.call.Account() || a.copies[r.AccountID] != "" {
			continue
		}
		exists, err := s.IAM.AccountExists(ctx, r.AccountID)
		if err != nil {
			return nil, err
		}
		if exists {
			if a.copies == nil {
				a.copies, a.sharedEventID = map[string]string{}, trail.NewEventID()
			}
			a.copies[r.AccountID] = trail.NewEventID()
		}
	}
	return a, nil
}

// records builds the call's record and its copies, one per account of the
// audience.
func (s *Server) records(req *request, tree map[string]any, err error, a *audience) []*trail.Event {
	in := trail.Input{Call: req.call, Op: req.op, Params: req.params, Output: tree, Err: err, Done: s.now(),
		EventID: a.eventID, Resources: a.resources}
	if err != nil {
		in.ErrCode, _ = req.wireError(err)
	}
	return trail.Share(trail.Build(in), a.sharedEventID, a.copies)
}

// record stores every copy of a call's record in the transaction of ctx.
func (s *Server) record(ctx context.Context, evs []*trail.Event) error {
	for _, ev := range evs {
		if err := s.Ledger.Record(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}
