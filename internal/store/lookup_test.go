package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
	"github.com/deploytrail/deploytrail/internal/trail"
)

var lookupDay = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// testEvent is a record of a call by an IAM user at second sec of
// lookupDay.
func testEvent(id, account, region, source, name, user string, sec int, readOnly bool, params map[string]any) *trail.Event {
	return &trail.Event{
		EventVersion: trail.EventVersion, EventID: id, RecipientAccountID: account, AWSRegion: region,
		EventTime:   lookupDay.Add(time.Duration(sec) * time.Second).Format(time.RFC3339),
		EventSource: source, EventName: name, ReadOnly: &readOnly, RequestParameters: params,
		UserIdentity: &trail.UserIdentity{Type: "IAMUser", UserName: user, AccessKeyID: "AKIA" + user, AccountID: account},
		EventType:    trail.EventTypeAPICall, EventCategory: trail.CategoryManagement,
	}
}

func mustRecord(tb testing.TB, db *store.DB, events ...*trail.Event) {
	tb.Helper()
	err := db.Tx(context.Background(), func(ctx context.Context) error {
		for _, ev := range events {
			if err := (store.Events{DB: db}).Record(ctx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// ids looks events up and returns their ids in order.
func ids(tb testing.TB, s store.Events, q cloudtrail.Query) []string {
	tb.Helper()
	recs, err := s.LookupEvents(context.Background(), &q)
	if err != nil {
		tb.Fatal(err)
	}
	out := []string{}
	for _, r := range recs {
		out = append(out, r.EventID)
	}
	return out
}

func TestEvents_LookupEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.Events{DB: db}
		const acct, other = "111122223333", "444455556666"
		cd, iamSrc := "codedeploy.amazonaws.com", "iam.amazonaws.com"
		mustRecord(t, db,
			testEvent("e1", acct, "us-east-1", iamSrc, "CreateUser", "alice", 0, false, map[string]any{"userName": "bob"}),
			testEvent("e2", acct, "us-east-1", cd, "CreateApplication", "alice", 10, false, map[string]any{"applicationName": "App"}),
			testEvent("e3", acct, "us-east-1", cd, "GetApplication", "bob", 10, true, map[string]any{"applicationName": "App"}),
			testEvent("e4", acct, "us-east-1", cd, "BatchGetOnPremisesInstances", "bob", 10, true, map[string]any{"instanceNames": []any{"i-1", "i-2"}}),
			testEvent("e5", acct, "us-west-2", cd, "GetApplication", "bob", 20, true, map[string]any{"applicationName": "App"}),
			testEvent("e6", other, "us-east-1", cd, "GetApplication", "bob", 30, true, map[string]any{"applicationName": "App"}),
			testEvent("e7", acct, "us-east-1", iamSrc, "AttachUserPolicy", "alice", 40, false, map[string]any{"userName": "App", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
		)
		scope := cloudtrail.Query{Account: acct, Region: "us-east-1", Limit: 50}
		with := func(attrs ...string) cloudtrail.Query {
			q := scope
			for i := 0; i < len(attrs); i += 2 {
				q.Attributes = append(q.Attributes, cloudtrail.Attribute{Key: attrs[i], Value: attrs[i+1]})
			}
			return q
		}
		at := func(sec int) time.Time { return lookupDay.Add(time.Duration(sec) * time.Second) }
		for _, tt := range []struct {
			name string
			q    cloudtrail.Query
			want []string
		}{
			{"NewestFirstInScope", scope, []string{"e7", "e4", "e3", "e2", "e1"}},
			{"OtherRegion", cloudtrail.Query{Account: acct, Region: "us-west-2", Limit: 50}, []string{"e5"}},
			{"Limit", cloudtrail.Query{Account: acct, Region: "us-east-1", Limit: 2}, []string{"e7", "e4"}},
			{"AfterWithinOneSecond", cloudtrail.Query{Account: acct, Region: "us-east-1", Limit: 50,
				After: &cloudtrail.Cursor{Time: at(10), Seq: 4}}, []string{"e3", "e2", "e1"}},
			{"InclusiveTimeRange", cloudtrail.Query{Account: acct, Region: "us-east-1", Limit: 50, Start: at(10), End: at(10)}, []string{"e4", "e3", "e2"}},
			{"EventId", with(cloudtrail.AttrEventID, "e3"), []string{"e3"}},
			{"EventIdOfAnotherAccount", with(cloudtrail.AttrEventID, "e6"), []string{}},
			{"EventName", with(cloudtrail.AttrEventName, "GetApplication"), []string{"e3"}},
			{"ReadOnlyTrue", with(cloudtrail.AttrReadOnly, "true"), []string{"e4", "e3"}},
			{"ReadOnlyFalse", with(cloudtrail.AttrReadOnly, "false"), []string{"e7", "e2", "e1"}},
			{"ReadOnlyOtherValue", with(cloudtrail.AttrReadOnly, "TRUE"), []string{}},
			{"Username", with(cloudtrail.AttrUsername, "alice"), []string{"e7", "e2", "e1"}},
			{"AccessKeyId", with(cloudtrail.AttrAccessKeyID, "AKIAbob"), []string{"e4", "e3"}},
			{"EventSource", with(cloudtrail.AttrEventSource, iamSrc), []string{"e7", "e1"}},
			{"ResourceType", with(cloudtrail.AttrResourceType, trail.TypeApplication), []string{"e3", "e2"}},
			{"ResourceTypeOnce", with(cloudtrail.AttrResourceType, trail.TypeOnPremisesInstance), []string{"e4"}},
			{"ResourceName", with(cloudtrail.AttrResourceName, "App"), []string{"e7", "e3", "e2"}},
			{"ResourceTypeAndNameSameResource", with(cloudtrail.AttrResourceType, trail.TypeIAMUser, cloudtrail.AttrResourceName, "App"), []string{"e7"}},
			{"AttributesAnded", with(cloudtrail.AttrUsername, "bob", cloudtrail.AttrResourceName, "App"), []string{"e3"}},
			{"ResourceWithCursor", func() cloudtrail.Query {
				q := with(cloudtrail.AttrResourceName, "App")
				q.After = &cloudtrail.Cursor{Time: at(10), Seq: 3}
				return q
			}(), []string{"e2"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if diff := cmp.Diff(tt.want, ids(t, s, tt.q)); diff != "" {
					t.Fatalf("events (-want +got):\n%s", diff)
				}
			})
		}
		t.Run("RecordFields", func(t *testing.T) {
			q := with(cloudtrail.AttrEventID, "e4")
			recs, err := s.LookupEvents(context.Background(), &q)
			if err != nil || len(recs) != 1 {
				t.Fatalf("LookupEvents=%v, %v", recs, err)
			}
			r := recs[0]
			want := []cloudtrail.Resource{{ResourceType: trail.TypeOnPremisesInstance, ResourceName: "i-1"}, {ResourceType: trail.TypeOnPremisesInstance, ResourceName: "i-2"}}
			if r.EventName != "BatchGetOnPremisesInstances" || !r.ReadOnly || r.Username != "bob" || r.AccessKeyID != "AKIAbob" ||
				r.EventSource != cd || !r.Time.Equal(at(10)) || r.JSON == "" || !cmp.Equal(r.Resources, want) {
				t.Fatalf("record=%+v", r)
			}
		})
	})
}

// TestEvents_RecordManyResources records an event naming more resources
// than one INSERT takes.
func TestEvents_RecordManyResources(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		names := make([]any, 1200)
		for i := range names {
			names[i] = fmt.Sprintf("i-%d", i)
		}
		mustRecord(t, db, testEvent("e1", "111122223333", "us-east-1", "codedeploy.amazonaws.com", "BatchGetOnPremisesInstances", "bob", 0, true,
			map[string]any{"instanceNames": names}))
		q := cloudtrail.Query{Account: "111122223333", Region: "us-east-1", Limit: 1, Attributes: []cloudtrail.Attribute{{Key: cloudtrail.AttrResourceName, Value: "i-1199"}}}
		recs, err := store.Events{DB: db}.LookupEvents(context.Background(), &q)
		if err != nil || len(recs) != 1 || len(recs[0].Resources) != len(names) {
			t.Fatalf("LookupEvents=%d events, %v", len(recs), err)
		}
	})
}
