package delivery_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/delivery"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/store"
)

// onlyTrail is AWS's policy form that lets one trail write, by
// aws:SourceArn.
func onlyTrail(arn string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
	"Action":["s3:GetBucketAcl","s3:PutObject"],"Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/AWSLogs/*"],
	"Condition":{"StringEquals":{"aws:SourceArn":"` + arn + `"}}}]}`
}

// The bucket policy is checked before every write: a policy that stops
// allowing the trail stops its delivery (AccessDenied, nothing written,
// the events held back), allowing it again delivers them once, and a
// deleted trail's final delivery is checked for its own ARN.
func TestDeliver_BucketPolicy(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	tr := e.trail("main", nil)
	setPolicy := func(text string) {
		t.Helper()
		if err := e.policies.SetPolicy(ctx, bucket, text); err != nil {
			t.Fatal(err)
		}
	}
	setPolicy(onlyTrail(tr.ARN))
	d := e.deliverer()
	want := []string{e.record(acct, east, cdSrc, "Op1", false)}
	e.deliver(d)
	wantOnce(t, e.files(), want...)

	setPolicy(onlyTrail(cloudtrail.ARN(east, acct, "other")))
	held := e.record(acct, east, cdSrc, "Op2", false)
	if err := d.Deliver(ctx); err == nil {
		t.Fatal("Deliver succeeded against the bucket policy")
	}
	wantOnce(t, e.files(), want...)
	if got := e.status(tr).LatestError; got != "AccessDenied" {
		t.Fatalf("LatestDeliveryError=%q, want AccessDenied", got)
	}

	setPolicy(onlyTrail(tr.ARN))
	want = append(want, held)
	e.deliver(d)
	wantOnce(t, e.files(), want...)
	if got := e.status(tr).LatestError; got != "" {
		t.Fatalf("LatestDeliveryError=%q after a delivery, want none", got)
	}

	if err := (store.CloudTrail{Events: store.Events{DB: e.db}}).DeleteTrail(ctx, tr.ARN); err != nil {
		t.Fatal(err)
	}
	want = append(want, e.record(acct, east, cloudtrailSrc, "DeleteTrail", false))
	e.deliver(d)
	wantOnce(t, e.files(), want...)
}

// Without bucket policies nothing is written.
func TestDeliver_NoPoliciesWritesNothing(t *testing.T) {
	e := newEnv(t, nil)
	e.trail("main", nil)
	e.record(acct, east, cdSrc, "Op1", false)
	d := delivery.New(store.Delivery{DB: e.db}, e.buckets, nil)
	d.Now = func() time.Time { return e.now }
	if err := d.Deliver(context.Background()); !errors.Is(err, objstore.ErrAccessDenied) {
		t.Fatalf("Deliver=%v, want access denied", err)
	}
	if files := e.files(); len(files) != 0 {
		t.Fatalf("%d files written without bucket policies", len(files))
	}
}
