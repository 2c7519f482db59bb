package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/delivery"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// TestEvents_DataEventsOutOfHistory: data events are stored for delivery
// but event history (LookupEvents) and its stream (FollowEvents) never
// show them, whatever the attribute.
func TestEvents_DataEventsOutOfHistory(t *testing.T) {
	const acct, region = "111122223333", "us-east-1"
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		mgmt := testEvent("m-1", acct, region, "iam.amazonaws.com", "CreateUser", "bob", 1, false, nil)
		data := testEvent("d-1", acct, region, "s3.amazonaws.com", "PutObject", "bob", 2, false, map[string]any{"bucketName": "photos"})
		data.EventCategory = trail.CategoryData
		data.Resources = []trail.Resource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::photos/a.jpg"}}
		mustRecord(t, db, mgmt, data)
		s := store.Events{DB: db}
		for _, q := range []cloudtrail.Query{
			{},
			{Attributes: []cloudtrail.Attribute{{Key: cloudtrail.AttrEventID, Value: "d-1"}}},
			{Attributes: []cloudtrail.Attribute{{Key: cloudtrail.AttrEventSource, Value: "s3.amazonaws.com"}}},
			{Attributes: []cloudtrail.Attribute{{Key: cloudtrail.AttrUsername, Value: "bob"}}},
			{Attributes: []cloudtrail.Attribute{{Key: cloudtrail.AttrReadOnly, Value: "false"}}},
			{Attributes: []cloudtrail.Attribute{{Key: cloudtrail.AttrResourceName, Value: "arn:aws:s3:::photos/a.jpg"}}},
		} {
			q.Account, q.Region, q.Limit = acct, region, 50
			for _, id := range ids(t, s, q) {
				if id == "d-1" {
					t.Errorf("LookupEvents %v returned the data event", q.Attributes)
				}
			}
		}
		q := &cloudtrail.Query{Account: acct, Region: region, Limit: 50}
		recs, err := s.FollowEvents(context.Background(), q, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0].EventID != "m-1" {
			t.Errorf("FollowEvents returned %d events, want only the management event", len(recs))
		}
		if _, err := s.EventSeq(context.Background(), acct, region, "d-1"); !errors.Is(err, cloudtrail.ErrNoEvent) {
			t.Errorf("EventSeq of the data event: %v, want ErrNoEvent", err)
		}
		events, err := store.Delivery{DB: db}.Events(context.Background(), &delivery.Query{})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 || events[1].Category != trail.CategoryData || len(events[1].Resources) != 1 || events[0].Category != trail.CategoryManagement {
			t.Errorf("delivery reads %+v, want both events with their categories and the data event's resources", events)
		}
	})
}
