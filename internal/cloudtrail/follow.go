package cloudtrail

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

const (
	// MaxBacklog bounds the history a follow stream sends before new events.
	MaxBacklog = 1000
	// followSettle is how long a new event is held back: records carry
	// whole seconds and are stamped before they commit (a read records
	// after it ran), so once its second has passed, plus time to commit,
	// every event of that second is in and they go out in time order.
	followSettle = 1500 * time.Millisecond
	// maxHeld bounds the events a stream holds back; beyond it the
	// oldest go out at once, so memory stays bounded under any load.
	maxHeld = 250
)

// ErrNoEvent is FeedStore.EventSeq's answer for an unknown event id.
var ErrNoEvent = errors.New("no such event")

// FeedStore reads the history in commit order, for follow streams.
type FeedStore interface {
	// LastSeq returns the Seq of the newest committed event (0: none).
	LastSeq(ctx context.Context) (int64, error)
	// EventSeq returns the Seq of the event eventID of account in region,
	// or ErrNoEvent.
	EventSeq(ctx context.Context, account, region, eventID string) (int64, error)
	// FollowEvents returns at most q.Limit events of q.Account in
	// q.Region that match q's attributes and start, with after < Seq <=
	// upTo, in Seq order.
	FollowEvents(ctx context.Context, q *Query, after, upTo int64) ([]*Record, error)
}

// OpenFeed starts following the events of the caller's account in the
// region the request was signed for that match p, a LookupEvents input
// (attributes, StartTime, EventCategory; no EndTime or NextToken). With
// after, an event id of the caller's, it follows the events committed
// after that one (a client resuming); else it first returns the newest
// backlog events, oldest first, then the events committed since. Reading
// the store is internal: the caller records the stream as one event.
// The function returned reads the next events (at most max) as JSON
// lines: LookupEvents' Event, with EventTime in RFC 3339.
//
// Errors: LookupEvents' validation errors, InvalidTimeRangeException for
// an EndTime, InvalidNextTokenException for a NextToken,
// InvalidMaxResultsException for a backlog outside 0–MaxBacklog,
// InvalidLookupAttributesException for an unknown after.
func (s *Service) OpenFeed(ctx context.Context, p awsproto.Params, backlog int, after string) (func(ctx context.Context, max int) ([][]byte, error), error) {
	call := awsproto.CallFromContext(ctx)
	if call == nil {
		return nil, errors.New("open feed: no call in context")
	}
	var in LookupEventsInput
	if err := awsproto.Bind(p, &in); err != nil {
		return nil, err
	}
	q, err := s.parseFollow(call, &in, backlog)
	if err != nil {
		return nil, err
	}
	f := &feed{store: s.store, query: q.query, insight: q.insight, now: s.Now}
	if after != "" {
		return f.next, f.resume(ctx, after)
	}
	return f.next, f.start(ctx, backlog)
}

// parseFollow validates a follow stream's input as LookupEvents does, and
// what a stream cannot take.
func (s *Service) parseFollow(call *awsproto.Call, in *LookupEventsInput, backlog int) (*lookupRequest, error) {
	switch {
	case in.EndTime != nil:
		return nil, errorf(CodeInvalidTimeRange, "A follow stream takes no EndTime: it ends when the client closes it.")
	case in.NextToken != "":
		return nil, errorf(CodeInvalidNextToken, "A follow stream takes no NextToken; resume it after an event id instead.")
	case backlog < 0 || backlog > MaxBacklog:
		return nil, errorf(CodeInvalidMaxResults, "A backlog of %d is invalid. Specify a backlog between 0 and %d.", backlog, MaxBacklog)
	}
	return s.parse(call, in)
}

// feed is a follow stream's position: every event up to cursor has been
// read; pending holds the backlog not yet returned, held the new events
// not yet settled, in time order.
type feed struct {
	store   Store
	query   Query
	insight bool // deploytrail makes no Insights events: nothing ever follows
	now     func() time.Time
	cursor  int64
	pending []*Record
	held    []*Record
}

// resume continues after the caller's event id.
func (f *feed) resume(ctx context.Context, after string) error {
	seq, err := f.store.EventSeq(ctx, f.query.Account, f.query.Region, after)
	if errors.Is(err, ErrNoEvent) {
		return errorf(CodeInvalidLookupAttributes, "Event %s is not in this account's event history for this region.", after)
	}
	f.cursor = seq
	return err
}

// start loads the newest backlog events and sets the cursor after the
// newest event committed when the stream opened (or after the backlog,
// if one committed in between): nothing is lost between the two, nothing
// repeated. A committed event older than the backlog stays history.
func (f *feed) start(ctx context.Context, backlog int) error {
	last, err := f.store.LastSeq(ctx)
	if err != nil {
		return fmt.Errorf("open feed: %w", err)
	}
	f.cursor = last
	if backlog == 0 || f.insight {
		return nil
	}
	q := f.query
	q.Limit = backlog
	recs, err := f.store.LookupEvents(ctx, &q)
	if err != nil {
		return fmt.Errorf("open feed: %w", err)
	}
	slices.Reverse(recs) // newest first → oldest first
	for _, r := range recs {
		f.cursor = max(f.cursor, r.Seq)
	}
	f.pending = recs
	return nil
}

// next returns at most max events: the backlog first, then the events
// committed since, each once it has settled, in time order (ties by Seq).
func (f *feed) next(ctx context.Context, max int) ([][]byte, error) {
	if len(f.pending) > 0 {
		n := min(max, len(f.pending))
		batch := f.pending[:n]
		f.pending = f.pending[n:]
		return encodeRecords(batch)
	}
	if f.insight {
		return nil, nil
	}
	if len(f.held) < maxHeld {
		if err := f.fetch(ctx, maxHeld-len(f.held)); err != nil {
			return nil, err
		}
	}
	return encodeRecords(f.release(max))
}

// fetch reads up to limit events committed after the cursor into held.
func (f *feed) fetch(ctx context.Context, limit int) error {
	upTo, err := f.store.LastSeq(ctx)
	if err != nil || upTo <= f.cursor {
		return err
	}
	q := f.query
	q.Limit = limit
	recs, err := f.store.FollowEvents(ctx, &q, f.cursor, upTo)
	if err != nil {
		return fmt.Errorf("follow events: %w", err)
	}
	f.cursor = upTo // every row up to it was considered, matching or not
	if len(recs) == limit {
		f.cursor = recs[len(recs)-1].Seq // more may match: continue after the last
	}
	f.held = append(f.held, recs...)
	slices.SortStableFunc(f.held, func(a, b *Record) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Seq, b.Seq))
	})
	return nil
}

// release takes up to max held events that have settled (all of them
// from the front when the hold is full).
func (f *feed) release(max int) []*Record {
	settled := f.now().Add(-followSettle)
	n := 0
	for n < len(f.held) && n < max && (len(f.held) >= maxHeld || !f.held[n].Time.After(settled)) {
		n++
	}
	out := f.held[:n:n]
	f.held = f.held[n:]
	return out
}

// encodeRecords renders records as the stream's JSON lines.
func encodeRecords(recs []*Record) ([][]byte, error) {
	out := make([][]byte, 0, len(recs))
	for _, r := range recs {
		b, err := json.Marshal(event(r))
		if err != nil {
			return nil, fmt.Errorf("encode event: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}
