package delivery_test

import (
	"slices"
	"time"

	"context"
	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"testing"

	"github.com/deploytrail/deploytrail/internal/delivery"
	"github.com/deploytrail/deploytrail/internal/store"
)

// owners says every bucket belongs to acct.
type owners struct{}

func (owners) Owner(context.Context, string) (string, error) { return acct, nil }

// dataDeliverer is e's deliverer recording CloudTrail's own writes.
func (e *env) dataDeliverer() *delivery.Deliverer {
	d := e.deliverer()
	d.DataEvents, d.Owners = e.filter(), owners{}
	return d
}

// storedEvents counts the events stored.
func (e *env) storedEvents() int {
	e.tb.Helper()
	events, err := store.Delivery{DB: e.db}.Events(context.Background(), &delivery.Query{})
	if err != nil {
		e.tb.Fatal(err)
	}
	return len(events)
}

// TestDeliver_OwnPutObject: a trail that selects data events on its own
// bucket gets CloudTrail's PutObject of each log file, as AWS records it,
// in a later file: one record per file, never more.
func TestDeliver_OwnPutObject(t *testing.T) {
	e := newEnv(t, nil)
	e.trail("main", func(tr *cloudtrail.Trail) {
		basic("All", "arn:aws:s3:::"+bucket+"/")(tr)
		tr.EventSelectors[0].IncludeManagementEvents = new(true)
	})
	id := e.record(acct, east, cdSrc, "CreateApplication", false)
	d := e.dataDeliverer()
	e.deliver(d)
	files := e.files()
	wantOnce(t, files, id)
	previous := files[0].Key
	for round := range 3 {
		e.now = e.now.Add(time.Minute)
		e.deliver(d)
		var fresh []logFile
		for _, f := range e.files() {
			if !slices.ContainsFunc(files, func(old logFile) bool { return old.Key == f.Key }) {
				fresh = append(fresh, f)
			}
		}
		if len(fresh) != 1 || len(fresh[0].Records) != 1 {
			t.Fatalf("round %d: %d new files, want 1 with one record", round, len(fresh))
		}
		rec := fresh[0].Records[0]
		id, _ := rec["userIdentity"].(map[string]any)
		params, _ := rec["requestParameters"].(map[string]any)
		if rec["eventName"] != "PutObject" || rec["eventSource"] != "s3.amazonaws.com" || rec["eventCategory"] != "Data" ||
			rec["managementEvent"] != false || rec["readOnly"] != false || rec["recipientAccountId"] != acct ||
			rec["sourceIPAddress"] != "cloudtrail.amazonaws.com" || rec["userAgent"] != "cloudtrail.amazonaws.com" ||
			id["type"] != "AWSService" || id["invokedBy"] != "cloudtrail.amazonaws.com" ||
			params["bucketName"] != bucket || params["key"] != previous || params["x-amz-acl"] != "bucket-owner-full-control" {
			t.Errorf("round %d: record %v, want CloudTrail's PutObject of %s", round, rec, previous)
		}
		res, _ := rec["resources"].([]any)
		if len(res) != 2 || res[0].(map[string]any)["ARN"] != "arn:aws:s3:::"+bucket+"/"+previous ||
			res[1].(map[string]any)["accountId"] != acct {
			t.Errorf("round %d: resources %v, want the object and the bucket of %s", round, res, acct)
		}
		files, previous = append(files, fresh...), fresh[0].Key
	}
}

// TestDeliver_OwnPutObjectUnselected: without a trail selecting data
// events on the bucket, CloudTrail's writes record nothing.
func TestDeliver_OwnPutObjectUnselected(t *testing.T) {
	e := newEnv(t, nil)
	e.trail("main", nil)
	e.trail("photos", basic("All", "arn:aws:s3:::photos/"))
	e.record(acct, east, cdSrc, "CreateApplication", false)
	before := e.storedEvents()
	e.deliver(e.dataDeliverer())
	if len(e.files()) != 1 {
		t.Fatalf("files=%d, want 1", len(e.files()))
	}
	if n := e.storedEvents(); n != before {
		t.Errorf("%d events stored by the delivery, want none", n-before)
	}
}
