// Package cloudtrail serves the AWS CloudTrail API (JSON 1.1,
// CloudTrail_20131101): LookupEvents, the event history (the management
// events of the caller's account and region, newest first, from the audit
// trail the server records), and the trail operations: trails per account
// with a home region, shadows of multi-region and organization trails,
// event and Insights selectors, tags and logging state.
//
// It imports awserr, awsproto and objstore (the interface only, to check
// that a trail's bucket exists); the store implements Store, and app
// fills in SNS topics, bucket policies and signing keys.
package cloudtrail

import (
	"context"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/pagetoken"
)

// DefaultRetention is how far back the event history reaches, as in AWS.
const DefaultRetention = 90 * 24 * time.Hour

// Store reads the event history and keeps trails.
type Store interface {
	TrailStore
	FeedStore

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
	store   Store
	buckets objstore.Provider
	tokens  tokens
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Retention bounds the history: older events are never returned
	// (DefaultRetention).
	Retention time.Duration
	// Topics checks and publishes to trails' SNS topics; nil refuses
	// every topic.
	Topics Topics
	// Policies checks trails' buckets' policies; nil refuses every
	// bucket.
	Policies BucketPolicies
	// Keys lists digest signing keys; nil lists none.
	Keys PublicKeys

	API *awsproto.Service
}

// New returns the CloudTrail service. buckets holds the buckets trails
// deliver to. tokenKey signs pagination tokens; it must stay the same
// across restarts for tokens to stay valid.
func New(store Store, buckets objstore.Provider, tokenKey []byte) *Service {
	s := &Service{store: store, buckets: buckets, tokens: tokens{sealer: pagetoken.Sealer{Key: tokenKey}}, Now: time.Now, Retention: DefaultRetention}
	// OwnValidation: the model has no generic ValidationException; every
	// invalid input gets LookupEvents' own exception.
	s.API = &awsproto.Service{Name: "cloudtrail", EventSource: "cloudtrail.amazonaws.com", Protocol: awsproto.JSON,
		Model: awsproto.MustLoadModel("cloudtrail"), OwnValidation: true}
	awsproto.Handle(s.API, "LookupEvents", s.LookupEvents)
	awsproto.Handle(s.API, "ListPublicKeys", s.ListPublicKeys)
	s.registerTrails()
	return s
}

func (s *Service) registerTrails() {
	awsproto.Handle(s.API, "CreateTrail", s.CreateTrail)
	awsproto.Handle(s.API, "UpdateTrail", s.UpdateTrail)
	awsproto.Handle(s.API, "DeleteTrail", s.DeleteTrail)
	awsproto.Handle(s.API, "GetTrail", s.GetTrail)
	awsproto.Handle(s.API, "DescribeTrails", s.DescribeTrails)
	awsproto.Handle(s.API, "ListTrails", s.ListTrails)
	awsproto.Handle(s.API, "GetTrailStatus", s.GetTrailStatus)
	awsproto.Handle(s.API, "StartLogging", s.StartLogging)
	awsproto.Handle(s.API, "StopLogging", s.StopLogging)
	awsproto.Handle(s.API, "PutEventSelectors", s.PutEventSelectors)
	awsproto.Handle(s.API, "GetEventSelectors", s.GetEventSelectors)
	awsproto.Handle(s.API, "PutInsightSelectors", s.PutInsightSelectors)
	awsproto.Handle(s.API, "GetInsightSelectors", s.GetInsightSelectors)
	awsproto.Handle(s.API, "AddTags", s.AddTags)
	awsproto.Handle(s.API, "RemoveTags", s.RemoveTags)
	awsproto.Handle(s.API, "ListTags", s.ListTags)
	s.API.Authorize(resources())
}

// resources names the trail ARN each trail operation is authorized on:
// the ARN given, or the one a name stands for in the caller's account and
// region. DescribeTrails, ListTrails and ListTags (many trails) are
// authorized on "*". Nothing is looked up, so nothing fails; a malformed
// name is authorized on "*" and the operation answers its error.
func resources() map[string]awsproto.ResourceFunc {
	arn := func(member string) awsproto.ResourceFunc {
		return func(_ context.Context, c *awsproto.Call, p awsproto.Params) (string, error) {
			v, _ := p[member].(string)
			if r, err := parseRef(c, v); err == nil {
				return r.arn, nil
			}
			return "*", nil
		}
	}
	table := map[string]awsproto.ResourceFunc{}
	for _, op := range []string{"CreateTrail", "UpdateTrail", "DeleteTrail", "GetTrail", "GetTrailStatus", "StartLogging", "StopLogging"} {
		table[op] = arn("Name")
	}
	for _, op := range []string{"PutEventSelectors", "GetEventSelectors", "PutInsightSelectors", "GetInsightSelectors"} {
		table[op] = arn("TrailName")
	}
	table["AddTags"], table["RemoveTags"] = arn("ResourceId"), arn("ResourceId")
	return table
}
