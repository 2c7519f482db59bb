// Package cloudtrail serves the AWS CloudTrail API (JSON 1.1,
// CloudTrail_20131101). For now that is LookupEvents, the event history:
// the management events of the caller's account and region, newest first,
// from the audit trail the server records (trail.Event). The trail
// operations follow.
//
// It imports awserr and awsproto; the store implements Store.
package cloudtrail

import (
	"context"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// DefaultRetention is how far back the event history reaches, as in AWS.
const DefaultRetention = 90 * 24 * time.Hour

// Store reads the event history.
type Store interface {
	// LookupEvents returns at most q.Limit events of q.Account in q.Region
	// that match every attribute of q and lie in q's time range, newest
	// first (by time, then by Seq), and after q.After when it is set.
	LookupEvents(ctx context.Context, q *Query) ([]*Record, error)
}

// Query selects events from the history.
type Query struct {
	Account, Region string
	// Attributes are combined with AND.
	Attributes []Attribute
	// Start and End bound the event time, both inclusive.
	Start, End time.Time
	// After continues a listing: only events older than it (in the
	// listing's order) qualify.
	After *Cursor
	Limit int
}

// Attribute is one LookupAttribute: a key of the Attr… constants and the
// value it must equal.
type Attribute struct{ Key, Value string }

// LookupEvents' attribute keys (LookupAttributeKey).
const (
	AttrEventID      = "EventId"
	AttrEventName    = "EventName"
	AttrReadOnly     = "ReadOnly"
	AttrUsername     = "Username"
	AttrResourceType = "ResourceType"
	AttrResourceName = "ResourceName"
	AttrEventSource  = "EventSource"
	AttrAccessKeyID  = "AccessKeyId"
)

// Cursor is an event's position in the history's order.
type Cursor struct {
	Time time.Time
	Seq  int64
}

// Record is one event of the history, as the store keeps it.
type Record struct {
	Seq         int64
	Time        time.Time
	EventID     string
	EventName   string
	EventSource string
	ReadOnly    bool
	Username    string
	AccessKeyID string
	Resources   []Resource
	// JSON is the CloudTrail record, as delivered.
	JSON string
}

// Service implements CloudTrail.
type Service struct {
	store  Store
	tokens tokens
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Retention bounds the history: older events are never returned
	// (DefaultRetention).
	Retention time.Duration

	API *awsproto.Service
}

// New returns the CloudTrail service. tokenKey signs pagination tokens; it
// must stay the same across restarts for tokens to stay valid.
func New(store Store, tokenKey []byte) *Service {
	s := &Service{store: store, tokens: tokens{key: tokenKey}, Now: time.Now, Retention: DefaultRetention}
	// OwnValidation: the model has no generic ValidationException; every
	// invalid input gets LookupEvents' own exception.
	s.API = &awsproto.Service{Name: "cloudtrail", EventSource: "cloudtrail.amazonaws.com", Protocol: awsproto.JSON,
		Model: awsproto.MustLoadModel("cloudtrail"), OwnValidation: true}
	awsproto.Handle(s.API, "LookupEvents", s.LookupEvents)
	return s
}
