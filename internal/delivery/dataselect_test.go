package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/delivery"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// objectEvent is an S3 object-level call on bucket/key by a user of
// account, as the S3 API records it.
func objectEvent(account, region, bucket, key, name string, readOnly bool) *trail.Event {
	management := false
	return &trail.Event{EventVersion: trail.EventVersion, EventTime: testDay, EventSource: "s3.amazonaws.com", EventName: name,
		UserIdentity: &trail.UserIdentity{Type: "IAMUser", AccountID: account, ARN: "arn:aws:iam::" + account + ":user/alice"},
		AWSRegion:    region, SourceIPAddress: "127.0.0.1", RequestID: trail.NewEventID(), EventID: trail.NewEventID(),
		ReadOnly: &readOnly, EventType: trail.EventTypeAPICall, ManagementEvent: &management, RecipientAccountID: account,
		EventCategory: trail.CategoryData,
		Resources: []trail.Resource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::" + bucket + "/" + key},
			{Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + bucket, AccountID: account}}}
}

func (e *env) recordEvent(ev *trail.Event) string {
	e.tb.Helper()
	err := e.db.Tx(context.Background(), func(ctx context.Context) error { return store.Events{DB: e.db}.Record(ctx, ev) })
	if err != nil {
		e.tb.Fatalf("record: %v", err)
	}
	return ev.EventID
}

func basic(rw string, values ...string) func(*cloudtrail.Trail) {
	return func(t *cloudtrail.Trail) {
		t.EventSelectors = []cloudtrail.EventSelector{{ReadWriteType: rw, IncludeManagementEvents: new(false),
			DataResources: []cloudtrail.DataResource{{Type: "AWS::S3::Object", Values: values}}}}
	}
}

func advanced(fields ...cloudtrail.AdvancedFieldSelector) func(*cloudtrail.Trail) {
	return func(t *cloudtrail.Trail) {
		all := append([]cloudtrail.AdvancedFieldSelector{{Field: "eventCategory", Equals: []string{"Data"}},
			{Field: "resources.type", Equals: []string{"AWS::S3::Object"}}}, fields...)
		t.AdvancedEventSelectors = []cloudtrail.AdvancedEventSelector{{FieldSelectors: all}}
	}
}

// TestDeliver_DataEvents: a trail delivers exactly the data events its
// selectors choose, and no management event when they exclude those.
func TestDeliver_DataEvents(t *testing.T) {
	type event struct {
		bucket, key, name string
		readOnly, want    bool
	}
	for _, tt := range []struct {
		name   string
		trail  func(*cloudtrail.Trail)
		events []event
		// management: the trail also logs management events.
		management bool
	}{
		{"BasicOneBucket", basic("All", "arn:aws:s3:::photos/"), []event{
			{"photos", "a.jpg", "PutObject", false, true}, {"photos", "a.jpg", "GetObject", true, true},
			{"photos-2", "a.jpg", "PutObject", false, false}, {"docs", "a.txt", "PutObject", false, false}}, false},
		{"BasicAllBuckets", basic("All", "arn:aws:s3"), []event{
			{"photos", "a.jpg", "PutObject", false, true}, {"docs", "a.txt", "GetObject", true, true}}, false},
		{"BasicPrefix", basic("All", "arn:aws:s3:::photos/2026/"), []event{
			{"photos", "2026/a.jpg", "PutObject", false, true}, {"photos", "2025/a.jpg", "PutObject", false, false}}, false},
		{"WriteOnly", basic("WriteOnly", "arn:aws:s3:::photos/"), []event{
			{"photos", "a.jpg", "PutObject", false, true}, {"photos", "a.jpg", "GetObject", true, false},
			{"photos", "a.jpg", "DeleteObject", false, true}}, false},
		{"ReadOnly", basic("ReadOnly", "arn:aws:s3:::photos/"), []event{
			{"photos", "a.jpg", "PutObject", false, false}, {"photos", "a.jpg", "GetObject", true, true}}, false},
		{"AdvancedStartsWith", advanced(cloudtrail.AdvancedFieldSelector{Field: "resources.ARN", StartsWith: []string{"arn:aws:s3:::photos/"}}), []event{
			{"photos", "a.jpg", "PutObject", false, true}, {"docs", "a.txt", "PutObject", false, false}}, false},
		{"AdvancedNotStartsWith", advanced(cloudtrail.AdvancedFieldSelector{Field: "resources.ARN", NotStartsWith: []string{"arn:aws:s3:::photos/private/"}}), []event{
			{"photos", "a.jpg", "PutObject", false, true}, {"photos", "private/a.jpg", "PutObject", false, false},
			{"docs", "a.txt", "GetObject", true, true}}, false},
		{"AdvancedEventNameReadOnly", advanced(cloudtrail.AdvancedFieldSelector{Field: "eventName", Equals: []string{"GetObject"}},
			cloudtrail.AdvancedFieldSelector{Field: "readOnly", Equals: []string{"true"}}), []event{
			{"photos", "a.jpg", "GetObject", true, true}, {"photos", "a.jpg", "PutObject", false, false}}, false},
		{"AdvancedEndsWith", advanced(cloudtrail.AdvancedFieldSelector{Field: "resources.ARN", EndsWith: []string{".jpg"}},
			cloudtrail.AdvancedFieldSelector{Field: "eventSource", Equals: []string{"s3.amazonaws.com"}}), []event{
			{"photos", "a.jpg", "PutObject", false, true}, {"photos", "a.png", "PutObject", false, false}}, false},
		{"Default", nil, []event{{"photos", "a.jpg", "PutObject", false, false}}, true},
		{"ManagementOnlyAdvanced", func(t *cloudtrail.Trail) {
			t.AdvancedEventSelectors = []cloudtrail.AdvancedEventSelector{{FieldSelectors: []cloudtrail.AdvancedFieldSelector{
				{Field: "eventCategory", Equals: []string{"Management"}}}}}
		}, []event{{"photos", "a.jpg", "PutObject", false, false}}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.trail("main", tt.trail)
			var want []string
			for _, ev := range tt.events {
				id := e.recordEvent(objectEvent(acct, east, ev.bucket, ev.key, ev.name, ev.readOnly))
				if ev.want {
					want = append(want, id)
				}
			}
			mgmt := e.record(acct, east, cdSrc, "CreateApplication", false)
			if tt.management {
				want = append(want, mgmt)
			}
			e.deliver(e.deliverer())
			wantOnce(t, e.files(), want...)
		})
	}
}

// TestDeliver_DataEventRecord: a data event is delivered as recorded, with
// its category and resources.
func TestDeliver_DataEventRecord(t *testing.T) {
	e := newEnv(t, nil)
	e.trail("main", basic("All", "arn:aws:s3:::photos/"))
	id := e.recordEvent(objectEvent(acct, east, "photos", "a.jpg", "PutObject", false))
	e.deliver(e.deliverer())
	files := e.files()
	wantOnce(t, files, id)
	rec := files[0].Records[0]
	if rec["eventCategory"] != "Data" || rec["managementEvent"] != false || rec["eventSource"] != "s3.amazonaws.com" {
		t.Errorf("record %v, want a data event of s3.amazonaws.com", rec)
	}
	res, _ := rec["resources"].([]any)
	if len(res) != 2 || res[0].(map[string]any)["ARN"] != "arn:aws:s3:::photos/a.jpg" {
		t.Errorf("resources=%v, want the object and its bucket", res)
	}
}

func (e *env) filter() *delivery.Filter {
	f := delivery.NewFilter(store.DataTrails{DB: e.db})
	f.Now = func() time.Time { return e.now }
	return f
}

func wanted(tb testing.TB, f *delivery.Filter, ev *trail.Event) bool {
	tb.Helper()
	ok, err := f.Wanted(context.Background(), ev)
	if err != nil {
		tb.Fatalf("Wanted: %v", err)
	}
	return ok
}

// TestFilter_Wanted: a data event is wanted when a logging trail of the
// account it is recorded for, or an organization trail covering it, in
// its region, selects it; the caller's and the bucket owner's accounts
// get copies of their own, asked about on their own.
func TestFilter_Wanted(t *testing.T) {
	t.Run("Scope", func(t *testing.T) {
		e := newEnv(t, nil)
		e.org()
		f := e.filter()
		if wanted(t, f, objectEvent(acct, east, "photos", "a.jpg", "PutObject", false)) {
			t.Error("wanted without any trail")
		}
		e.trail("main", basic("All", "arn:aws:s3:::photos/")) // acct's, in east only
		for _, tt := range []struct {
			name string
			ev   *trail.Event
			want bool
		}{
			{"OwnAccount", objectEvent(acct, east, "photos", "a.jpg", "PutObject", false), true},
			{"OtherBucket", objectEvent(acct, east, "docs", "a.jpg", "PutObject", false), false},
			{"OtherRegion", objectEvent(acct, west, "photos", "a.jpg", "PutObject", false), false},
			{"OtherAccount", objectEvent(member, east, "photos", "a.jpg", "PutObject", false), false},
			{"CallerAccount", func() *trail.Event {
				ev := objectEvent(member, east, "photos", "a.jpg", "GetObject", true)
				ev.UserIdentity.AccountID = acct
				return ev
			}(), false},
			{"BucketOwner", func() *trail.Event {
				ev := objectEvent(member, east, "photos", "a.jpg", "GetObject", true)
				ev.Resources[1].AccountID = acct
				return ev
			}(), false},
		} {
			if got := wanted(t, f, tt.ev); got != tt.want {
				t.Errorf("%s: Wanted=%v, want %v", tt.name, got, tt.want)
			}
		}
	})

	t.Run("OrganizationTrail", func(t *testing.T) {
		e := newEnv(t, nil)
		e.org()
		f := e.filter()
		e.trail("org", func(t *cloudtrail.Trail) {
			t.OrgID, t.Config.IsOrganizationTrail, t.Config.IsMultiRegionTrail = orgID, true, true
			basic("All", "arn:aws:s3")(t)
		})
		if !wanted(t, f, objectEvent(member, west, "photos", "a.jpg", "PutObject", false)) {
			t.Error("a member's event is not wanted by its organization's multi-region trail")
		}
		if wanted(t, f, objectEvent("999988887777", west, "photos", "a.jpg", "PutObject", false)) {
			t.Error("an outsider's event is wanted by the organization trail")
		}
	})

	t.Run("Changes", func(t *testing.T) {
		e := newEnv(t, nil)
		f := e.filter()
		f.TTL = time.Hour // only this process's changes can show before it
		ev := objectEvent(acct, east, "photos", "a.jpg", "PutObject", false)
		tr := e.trail("main", nil)
		if wanted(t, f, ev) {
			t.Fatal("wanted by a trail without data selectors")
		}
		basic("WriteOnly", "arn:aws:s3:::photos/")(tr)
		e.setLogging(tr, true) // stores the selectors
		if !wanted(t, f, ev) {
			t.Fatal("not wanted right after PutEventSelectors")
		}
		if wanted(t, f, objectEvent(acct, east, "photos", "a.jpg", "GetObject", true)) {
			t.Error("GetObject wanted by a WriteOnly selector")
		}
		e.setLogging(tr, false)
		if wanted(t, f, ev) {
			t.Error("wanted by a stopped trail")
		}
	})

	t.Run("OtherProcess", func(t *testing.T) {
		// A second server on the same database: the filter sees its
		// change once the TTL has passed, by the stored version.
		e := newEnv(t, nil)
		f := e.filter()
		ev := objectEvent(acct, east, "photos", "a.jpg", "PutObject", false)
		if wanted(t, f, ev) {
			t.Fatal("wanted without a trail")
		}
		other, err := store.Open(context.Background(), e.dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		tr := &cloudtrail.Trail{ARN: cloudtrail.ARN(east, acct, "main"), Account: acct, HomeRegion: east,
			Config: cloudtrail.TrailConfig{Name: "main", S3BucketName: bucket}}
		basic("All", "arn:aws:s3")(tr)
		tr.Status.IsLogging = true
		if err := (store.CloudTrail{Events: store.Events{DB: other}}).InsertTrail(context.Background(), tr); err != nil {
			t.Fatal(err)
		}
		if wanted(t, f, ev) {
			t.Error("another process's change seen before the TTL passed")
		}
		e.now = e.now.Add(delivery.DefaultFilterTTL)
		if !wanted(t, f, ev) {
			t.Error("another process's change not seen after the TTL")
		}
	})
}

// BenchmarkFilter_Wanted: the cost the S3 API pays per object call, with
// the trails cached (the default TTL) and with the version read on every
// call (TTL 0).
func BenchmarkFilter_Wanted(b *testing.B) {
	e := newEnv(b, nil)
	for _, name := range []string{"a", "b", "c", "d"} {
		e.trail(name, basic("All", "arn:aws:s3:::"+name+"/"))
	}
	e.trail("photos", basic("WriteOnly", "arn:aws:s3:::photos/"))
	ev := objectEvent(acct, east, "photos", "2026/a.jpg", "PutObject", false)
	for _, ttl := range []time.Duration{delivery.DefaultFilterTTL, 0} {
		b.Run(ttl.String(), func(b *testing.B) {
			f := delivery.NewFilter(store.DataTrails{DB: e.db})
			f.TTL = ttl
			for b.Loop() {
				if !wanted(b, f, ev) {
					b.Fatal("not wanted")
				}
			}
		})
	}
}
