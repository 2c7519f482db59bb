package cloudtrail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// LookupEventsInput is LookupEvents' request.
type LookupEventsInput struct {
	LookupAttributes []LookupAttribute `json:"LookupAttributes"`
	StartTime        *time.Time        `json:"StartTime"`
	EndTime          *time.Time        `json:"EndTime"`
	EventCategory    *string           `json:"EventCategory"`
	MaxResults       *int              `json:"MaxResults"`
	NextToken        string            `json:"NextToken"`
}

// LookupAttribute is one attribute to match. Both members are required,
// which with OwnValidation is ours to check.
type LookupAttribute struct {
	AttributeKey   *string `json:"AttributeKey"`
	AttributeValue *string `json:"AttributeValue"`
}

// LookupEventsOutput is LookupEvents' response.
type LookupEventsOutput struct {
	Events    []Event `json:"Events"`
	NextToken string  `json:"NextToken,omitempty"`
}

// Event is one event of the history.
type Event struct {
	EventID     string     `json:"EventId"`
	EventName   string     `json:"EventName"`
	ReadOnly    string     `json:"ReadOnly"` // "true" or "false": a string on the wire
	AccessKeyID string     `json:"AccessKeyId,omitempty"`
	EventTime   time.Time  `json:"EventTime"`
	EventSource string     `json:"EventSource"`
	Username    string     `json:"Username,omitempty"`
	Resources   []Resource `json:"Resources"`
	// CloudTrailEvent is the whole record, serialized.
	CloudTrailEvent string `json:"CloudTrailEvent"`
}

// Resource is a resource an event is about.
type Resource struct {
	ResourceType string `json:"ResourceType,omitempty"`
	ResourceName string `json:"ResourceName"`
}

// LookupEvents returns the events of the caller's account in the region
// the request was signed for (spec §11.3). The call is recorded after it
// ran, so it never appears in its own results.
//
// Errors: InvalidLookupAttributesException, InvalidTimeRangeException,
// InvalidMaxResultsException, InvalidNextTokenException,
// InvalidEventCategoryException.
func (s *Service) LookupEvents(ctx context.Context, in *LookupEventsInput) (*LookupEventsOutput, error) {
	call := awsproto.CallFromContext(ctx)
	if call == nil {
		return nil, errors.New("look up events: no call in context")
	}
	req, err := s.parse(call, in)
	if err != nil {
		return nil, err
	}
	out := &LookupEventsOutput{Events: []Event{}}
	if req.insight {
		return out, nil // deploytrail makes no Insights events
	}
	recs, err := s.store.LookupEvents(ctx, &req.query)
	if err != nil {
		return nil, fmt.Errorf("look up events: %w", err)
	}
	if len(recs) > req.limit {
		recs = recs[:req.limit]
		last := recs[len(recs)-1]
		out.NextToken = s.tokens.encode(req.binding, Cursor{Time: last.Time, Seq: last.Seq})
	}
	for _, r := range recs {
		out.Events = append(out.Events, event(r))
	}
	return out, nil
}

// lookupRequest is a validated LookupEvents call.
type lookupRequest struct {
	query   Query
	limit   int
	insight bool
	// binding is what a NextToken is valid for: the same caller scope,
	// attributes, time range and category.
	binding string
}

// parse validates in and turns it into a store query that asks for one
// event more than a page, to learn whether another page follows.
func (s *Service) parse(call *awsproto.Call, in *LookupEventsInput) (*lookupRequest, error) {
	insight, err := category(in.EventCategory)
	if err != nil {
		return nil, err
	}
	attrs, err := attributes(in.LookupAttributes, insight)
	if err != nil {
		return nil, err
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	start, end, err := s.timeRange(in.StartTime, in.EndTime)
	if err != nil {
		return nil, err
	}
	bound, err := binding(call, in)
	if err != nil {
		return nil, err
	}
	req := &lookupRequest{limit: limit, insight: insight, binding: bound}
	after, err := s.tokens.decode(req.binding, in.NextToken)
	if err != nil {
		return nil, err
	}
	req.query = Query{Account: call.Account(), Region: call.Region, Attributes: attrs,
		Start: start, End: end, After: after, Limit: limit + 1}
	return req, nil
}

// category reports whether the lookup is for Insights events.
func category(c *string) (bool, error) {
	switch {
	case c == nil:
		return false, nil
	case *c == "insight":
		return true, nil
	}
	return false, errorf(CodeInvalidEventCategory, "Event category %q is not valid. Valid value: insight.", *c)
}

// pageSize is MaxResults, 1–50, 50 when absent.
func pageSize(n *int) (int, error) {
	switch {
	case n == nil:
		return maxPageSize, nil
	case *n < 1 || *n > maxPageSize:
		return 0, errorf(CodeInvalidMaxResults, "A max results value of %d is invalid. Specify max results between 1 and %d.", *n, maxPageSize)
	}
	return *n, nil
}

// timeRange returns the inclusive bounds of the lookup. A start older than
// the retention is moved up to it silently: older events are gone. A zero
// end is no bound.
func (s *Service) timeRange(start, end *time.Time) (time.Time, time.Time, error) {
	if start != nil && end != nil && start.After(*end) {
		return time.Time{}, time.Time{}, errorf(CodeInvalidTimeRange, "Start time must be before or equal to end time.")
	}
	oldest := s.Now().Add(-s.Retention)
	from := oldest
	if start != nil && start.After(oldest) {
		from = *start
	}
	var to time.Time
	if end != nil {
		to = *end
	}
	return from, to, nil
}

// binding identifies the parameters a NextToken belongs to. MaxResults is
// not among them: a client may change its page size between pages.
func binding(call *awsproto.Call, in *LookupEventsInput) (string, error) {
	b, err := json.Marshal([]any{call.Account(), call.Region, in.LookupAttributes, in.StartTime, in.EndTime, in.EventCategory})
	if err != nil {
		return "", fmt.Errorf("bind next token: %w", err)
	}
	return string(b), nil
}

// event is the wire form of a record.
func event(r *Record) Event {
	e := Event{EventID: r.EventID, EventName: r.EventName, ReadOnly: strconv.FormatBool(r.ReadOnly), AccessKeyID: r.AccessKeyID,
		EventTime: r.Time, EventSource: r.EventSource, Username: r.Username, Resources: r.Resources, CloudTrailEvent: r.JSON}
	if e.Resources == nil {
		e.Resources = []Resource{}
	}
	return e
}
