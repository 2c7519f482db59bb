package apptest_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/delivery"
	"github.com/deploytrail/deploytrail/internal/store"
)

// Another account's object-level call on a bucket is a data event of
// both accounts: delivery sends each stored event to its
// recipientAccountId's trails only, so the caller's copy is stored when
// the caller's trails select it, and the bucket owner's when the owner's
// do.
func TestS3_DataEventsAcrossAccounts(t *testing.T) {
	srv := apptest.Start(t)
	createBucket(t, srv, trailBucket)
	owner := srv.Account()
	c := srv.S3(srv.Root)
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("shared")}))
	member, inB := memberSession(t, srv, "writer")
	noErr(t)(c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("shared"), Policy: aws.String(`{"Version":"2012-10-17",
		"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::shared/*"}]}`)}))
	selectors := &cloudtrail.PutEventSelectorsInput{EventSelectors: []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeAll,
		DataResources: []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{"arn:aws:s3:::shared/"}}}}}}
	dataTrail(t, srv, selectors) // the owner's trail

	put(t, srv.S3(inB), "shared", "first", "from B")
	if got := dataEventRecipients(t, srv, "first"); got != owner {
		t.Errorf("PutObject stored for %q, want the owner %s only (the caller has no trail)", got, owner)
	}

	fatalIf(t, app.CreateBucket(ctx, srv.App.Buckets, srv.App.BucketPolicies, "b-logs", member))
	ctB := srv.CloudTrail(inB)
	noErr(t)(ctB.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("b-trail"), S3BucketName: aws.String("b-logs")}))
	selectors.TrailName = aws.String("b-trail")
	noErr(t)(ctB.PutEventSelectors(ctx, selectors))
	noErr(t)(ctB.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("b-trail")}))
	put(t, srv.S3(inB), "shared", "second", "from B")
	if got, want := dataEventRecipients(t, srv, "second"), strings.Join(sortedPair(owner, member), ","); got != want {
		t.Errorf("PutObject stored for %q, want both accounts %s", got, want)
	}
	shared := map[string]bool{}
	events, err := store.Delivery{DB: srv.App.DB}.Events(ctx, &delivery.Query{})
	fatalIf(t, err)
	for _, e := range events {
		if e.Name == "PutObject" && strings.Contains(e.Record, `"key":"second"`) {
			var rec struct{ SharedEventID, EventID string }
			fatalIf(t, json.Unmarshal([]byte(e.Record), &rec))
			shared[rec.SharedEventID] = true
		}
	}
	if len(shared) != 1 || shared[""] {
		t.Errorf("the two copies' sharedEventIDs: %v, want one, common to both", shared)
	}
}

// dataEventRecipients lists, sorted, the accounts for which a PutObject
// of shared/key was stored.
func dataEventRecipients(t *testing.T, srv *apptest.Server, key string) string {
	t.Helper()
	events, err := store.Delivery{DB: srv.App.DB}.Events(ctx, &delivery.Query{})
	fatalIf(t, err)
	var accounts []string
	for _, e := range events {
		for _, r := range e.Resources {
			if e.Name == "PutObject" && r.ARN == "arn:aws:s3:::shared/"+key {
				accounts = append(accounts, e.Account)
			}
		}
	}
	if len(accounts) == 2 {
		accounts = sortedPair(accounts[0], accounts[1])
	}
	return strings.Join(accounts, ",")
}

func sortedPair(a, b string) []string {
	if b < a {
		a, b = b, a
	}
	return []string{a, b}
}
