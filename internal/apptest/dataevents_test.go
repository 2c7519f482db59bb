package apptest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/delivery"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// s3Call records an S3 object-level call of the root on bucket/key as the
// S3 API will: a data event, stored only when App.DataEvents wants it.
// It returns the event and whether it was stored.
func s3Call(t *testing.T, srv *apptest.Server, bucket, key, name string, readOnly bool) (*trail.Event, bool) {
	t.Helper()
	management, acct := false, srv.Account()
	ev := &trail.Event{EventVersion: trail.EventVersion, EventTime: time.Now().UTC().Format(time.RFC3339),
		UserIdentity: &trail.UserIdentity{Type: "Root", PrincipalID: acct, ARN: "arn:aws:iam::" + acct + ":root", AccountID: acct},
		EventSource:  "s3.amazonaws.com", EventName: name, AWSRegion: "us-east-1", SourceIPAddress: "127.0.0.1",
		RequestParameters: map[string]any{"bucketName": bucket, "key": key}, RequestID: trail.NewEventID(),
		EventID: trail.NewEventID(), ReadOnly: &readOnly, EventType: trail.EventTypeAPICall, ManagementEvent: &management,
		RecipientAccountID: acct, EventCategory: trail.CategoryData,
		Resources: []trail.Resource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::" + bucket + "/" + key},
			{Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + bucket, AccountID: acct}}}
	wanted, err := srv.App.DataEvents.Wanted(ctx, ev)
	fatalIf(t, err)
	if wanted {
		fatalIf(t, srv.App.DB.Tx(ctx, func(ctx context.Context) error { return store.Events{DB: srv.App.DB}.Record(ctx, ev) }))
	}
	return ev, wanted
}

// storedEventIDs are the ids of every event stored, of any category.
func storedEventIDs(t *testing.T, srv *apptest.Server) map[string]bool {
	t.Helper()
	events, err := store.Delivery{DB: srv.App.DB}.Events(ctx, &delivery.Query{})
	fatalIf(t, err)
	ids := map[string]bool{}
	for _, e := range events {
		ids[e.EventID] = true
	}
	return ids
}

// deliveredByEventID waits until every id of want is delivered (or a
// deadline passes) and returns the records delivered, by eventID.
func deliveredByEventID(t *testing.T, srv *apptest.Server, want ...string) map[string][]map[string]any {
	t.Helper()
	var got map[string][]map[string]any
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		got = map[string][]map[string]any{}
		eachDeliveredRecord(t, srv, func(_ string, r map[string]any) {
			id, _ := r["eventID"].(string)
			got[id] = append(got[id], r)
		})
		missing := false
		for _, id := range want {
			missing = missing || len(got[id]) == 0
		}
		if !missing || time.Now().After(deadline) {
			return got
		}
	}
}

// dataTrail creates and starts trail "main" with selectors put by in.
func dataTrail(t *testing.T, srv *apptest.Server, in *cloudtrail.PutEventSelectorsInput) *cloudtrail.PutEventSelectorsOutput {
	t.Helper()
	ct := srv.CloudTrail(srv.Root)
	createTrail(t, ct, "main", false)
	in.TrailName = aws.String("main")
	out, err := ct.PutEventSelectors(ctx, in)
	fatalIf(t, err)
	_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")})
	fatalIf(t, err)
	return out
}

func TestDataEvents_BasicSelectors(t *testing.T) {
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second))
	createBucket(t, srv, trailBucket)
	selectors := []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeWriteOnly, IncludeManagementEvents: aws.Bool(true),
		DataResources:                 []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{"arn:aws:s3:::photos/"}}},
		ExcludeManagementEventSources: []string{}}}
	put := dataTrail(t, srv, &cloudtrail.PutEventSelectorsInput{EventSelectors: selectors})
	ct := srv.CloudTrail(srv.Root)
	got, err := ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String("main")})
	fatalIf(t, err)
	if !cmp.Equal(got.EventSelectors, selectors, cmpSDK) || !cmp.Equal(put.EventSelectors, selectors, cmpSDK) {
		t.Errorf("GetEventSelectors=%+v, want %+v as put", got.EventSelectors, selectors)
	}

	putPhoto, stored := s3Call(t, srv, "photos", "2026/a.jpg", "PutObject", false)
	if !stored {
		t.Fatal("PutObject on photos/ not wanted by a WriteOnly selector of photos/")
	}
	getPhoto, getStored := s3Call(t, srv, "photos", "2026/a.jpg", "GetObject", true)
	putDoc, docStored := s3Call(t, srv, "docs", "a.txt", "PutObject", false)
	if getStored || docStored {
		t.Errorf("stored: GetObject %v (WriteOnly), PutObject on docs %v (another bucket); want neither", getStored, docStored)
	}
	ids := storedEventIDs(t, srv)
	if ids[getPhoto.EventID] || ids[putDoc.EventID] {
		t.Error("an unwanted data event was stored")
	}
	app, err := srv.CodeDeploy(srv.Root).CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("web")})
	fatalIf(t, err)

	delivered := deliveredByEventID(t, srv, putPhoto.EventID)
	if recs := delivered[putPhoto.EventID]; len(recs) != 1 || recs[0]["eventCategory"] != "Data" || recs[0]["managementEvent"] != false {
		t.Errorf("PutObject delivered as %v, want once as a data event", recs)
	}
	mgmt := false
	eachDeliveredRecord(t, srv, func(_ string, r map[string]any) {
		mgmt = mgmt || r["requestID"] == requestID(t, app.ResultMetadata)
	})
	if !mgmt {
		t.Error("CreateApplication not delivered: IncludeManagementEvents is true")
	}
	wantNotInHistory(t, ct, putPhoto.EventID)
}

// wantNotInHistory checks that event history (LookupEvents), by id and by
// source, never shows the data event id.
func wantNotInHistory(t *testing.T, ct *cloudtrail.Client, id string) {
	t.Helper()
	for _, attr := range []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyEventId, AttributeValue: aws.String(id)},
		{AttributeKey: cttypes.LookupAttributeKeyEventSource, AttributeValue: aws.String("s3.amazonaws.com")},
	} {
		out, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{attr}})
		fatalIf(t, err)
		if len(out.Events) != 0 {
			t.Errorf("LookupEvents %s=%s returned %d events, want none (data events are not event history)",
				attr.AttributeKey, aws.ToString(attr.AttributeValue), len(out.Events))
		}
	}
	out, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	fatalIf(t, err)
	for _, e := range out.Events {
		if aws.ToString(e.EventId) == id || strings.Contains(aws.ToString(e.CloudTrailEvent), `"eventCategory":"Data"`) {
			t.Errorf("LookupEvents returned data event %s", aws.ToString(e.EventId))
		}
	}
}

func TestDataEvents_AdvancedSelectors(t *testing.T) {
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second))
	createBucket(t, srv, trailBucket)
	selectors := []cttypes.AdvancedEventSelector{{Name: aws.String("photos but private"), FieldSelectors: []cttypes.AdvancedFieldSelector{
		{Field: aws.String("eventCategory"), Equals: []string{"Data"}},
		{Field: aws.String("resources.type"), Equals: []string{"AWS::S3::Object"}},
		{Field: aws.String("resources.ARN"), StartsWith: []string{"arn:aws:s3:::photos/"}, NotStartsWith: []string{"arn:aws:s3:::photos/private/"}},
	}}}
	dataTrail(t, srv, &cloudtrail.PutEventSelectorsInput{AdvancedEventSelectors: selectors})
	ct := srv.CloudTrail(srv.Root)
	got, err := ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String("main")})
	fatalIf(t, err)
	if got.EventSelectors != nil || !cmp.Equal(got.AdvancedEventSelectors, selectors, cmpSDK) {
		t.Errorf("GetEventSelectors=%+v / %+v, want the advanced selectors as put", got.EventSelectors, got.AdvancedEventSelectors)
	}
	public, stored := s3Call(t, srv, "photos", "a.jpg", "GetObject", true)
	_, private := s3Call(t, srv, "photos", "private/a.jpg", "GetObject", true)
	_, other := s3Call(t, srv, "docs", "a.txt", "GetObject", true)
	if !stored || private || other {
		t.Fatalf("wanted: photos/a.jpg %v, photos/private/a.jpg %v, docs/a.txt %v; want true, false, false", stored, private, other)
	}
	app, err := srv.CodeDeploy(srv.Root).CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("web")})
	fatalIf(t, err)
	delivered := deliveredByEventID(t, srv, public.EventID)
	if len(delivered[public.EventID]) != 1 {
		t.Errorf("GetObject of photos/a.jpg delivered %d times, want once", len(delivered[public.EventID]))
	}
	for _, recs := range delivered {
		for _, r := range recs {
			if r["requestID"] == requestID(t, app.ResultMetadata) {
				t.Error("CreateApplication delivered by a trail whose only selector is for data events")
			}
		}
	}
}

func TestDataEvents_NoDataSelectors(t *testing.T) {
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second))
	createBucket(t, srv, trailBucket)
	ct := srv.CloudTrail(srv.Root)
	createTrail(t, ct, "main", true)
	_, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")})
	fatalIf(t, err)
	ev, stored := s3Call(t, srv, "photos", "a.jpg", "PutObject", false)
	if stored || storedEventIDs(t, srv)[ev.EventID] {
		t.Error("a data event was stored for a trail without data selectors")
	}
}

// CloudTrail's own writes of log and digest files into a bucket a trail
// logs data events of are recorded as AWS records them and delivered in
// later files.
func TestDataEvents_CloudTrailDeliveries(t *testing.T) {
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second), apptest.WithDigestInterval(2*time.Second))
	createBucket(t, srv, trailBucket)
	ct := srv.CloudTrail(srv.Root)
	_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String(trailBucket),
		EnableLogFileValidation: aws.Bool(true)})
	fatalIf(t, err)
	_, err = ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("main"),
		EventSelectors: []cttypes.EventSelector{{DataResources: []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"),
			Values: []string{"arn:aws:s3:::" + trailBucket + "/"}}}}}})
	fatalIf(t, err)
	_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")})
	fatalIf(t, err)

	var logPut, digestPut map[string]any
	files := map[string]string{} // log file key → the key of the file its PutObject record is in
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && (logPut == nil || digestPut == nil); time.Sleep(300 * time.Millisecond) {
		eachDeliveredRecord(t, srv, func(file string, r map[string]any) {
			params, _ := r["requestParameters"].(map[string]any)
			key, _ := params["key"].(string)
			if r["eventName"] != "PutObject" || key == "" {
				return
			}
			files[key] = file
			if strings.Contains(key, "/CloudTrail-Digest/") {
				digestPut = r
			} else {
				logPut = r
			}
		})
	}
	if logPut == nil || digestPut == nil {
		t.Fatalf("CloudTrail's PutObject of a log file (%v) and of a digest (%v) not delivered", logPut != nil, digestPut != nil)
	}
	for _, r := range []map[string]any{logPut, digestPut} {
		id, _ := r["userIdentity"].(map[string]any)
		params, _ := r["requestParameters"].(map[string]any)
		if id["type"] != "AWSService" || id["invokedBy"] != "cloudtrail.amazonaws.com" || r["sourceIPAddress"] != "cloudtrail.amazonaws.com" ||
			r["eventSource"] != "s3.amazonaws.com" || r["eventCategory"] != "Data" || r["managementEvent"] != false ||
			r["recipientAccountId"] != srv.Account() || params["bucketName"] != trailBucket {
			t.Errorf("record %v, want CloudTrail's PutObject as AWS records it", r)
		}
	}
	for key, file := range files {
		if key == file {
			t.Errorf("file %s holds the record of its own PutObject", file)
		}
	}
	// Each file written makes one record, delivered once: they do not
	// multiply.
	perKey, perFile := map[string]int{}, map[string]int{}
	eachDeliveredRecord(t, srv, func(file string, r map[string]any) {
		if params, _ := r["requestParameters"].(map[string]any); r["eventName"] == "PutObject" {
			perKey[params["key"].(string)]++
			perFile[file]++
		}
	})
	for key, n := range perKey {
		if n != 1 {
			t.Errorf("CloudTrail's PutObject of %s delivered %d times, want once", key, n)
		}
	}
	for file, n := range perFile {
		if n > 2 { // one log file's and one digest's, at most
			t.Errorf("file %s holds %d of CloudTrail's PutObject records", file, n)
		}
	}
	eventID, _ := logPut["eventID"].(string)
	wantNotInHistory(t, ct, eventID)
}
