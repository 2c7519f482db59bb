package apptest_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// TestRecords_DeliveredCopies: a cross-account AssumeRole over TLS is
// delivered as two records, the caller's copy by the management
// account's trail under its account, the owner's copy by the member's own
// trail under the member's: each with its own eventID and
// recipientAccountId, the same sharedEventID, the role in resources, and
// tlsDetails.
func TestRecords_DeliveredCopies(t *testing.T) {
	srv := apptest.Start(t, apptest.WithTLS(t), apptest.WithDeliveryInterval(time.Second))
	createBucket(t, srv, trailBucket)
	mgmt := srv.Account()
	member, roleARN := orgMember(t, srv)
	putBucketPolicy(t, srv, trailBucket, multiAccountPolicy(trailBucket, mgmt, member))
	admin := newUser(t, srv, "admin", adminPolicy)
	assume := func(session string) *sts.AssumeRoleOutput {
		out, err := srv.STS(admin).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session)})
		fatalIf(t, err)
		return out
	}
	inMember := fromSTS(assume("setup"))
	trails := map[string]*cloudtrail.Client{"mgmt": srv.CloudTrail(srv.Root), "member": srv.CloudTrail(inMember)}
	for prefix, c := range trails {
		_, err := c.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String(prefix), S3BucketName: aws.String(trailBucket), S3KeyPrefix: aws.String(prefix)})
		fatalIf(t, err)
		noErr(t)(c.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(prefix)}))
	}
	reqID := requestID(t, assume("audited").ResultMetadata)

	var got map[string]map[string]any // key prefix → the call's record
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && len(got) < 2; time.Sleep(200 * time.Millisecond) {
		got = deliveredRecordsOf(t, srv, reqID)
	}
	caller, owner := got["mgmt/AWSLogs/"+mgmt], got["member/AWSLogs/"+member]
	if len(got) != 2 || caller == nil || owner == nil {
		t.Fatalf("the call was delivered under %v, want once under mgmt/AWSLogs/%s and once under member/AWSLogs/%s", slices.Collect(maps.Keys(got)), mgmt, member)
	}
	if caller["recipientAccountId"] != mgmt || owner["recipientAccountId"] != member || caller["eventID"] == owner["eventID"] {
		t.Errorf("copies: recipient %v eventID %v and recipient %v eventID %v, want each its own",
			caller["recipientAccountId"], caller["eventID"], owner["recipientAccountId"], owner["eventID"])
	}
	for _, rec := range []map[string]any{caller, owner} {
		if s, _ := rec["sharedEventID"].(string); len(s) != 36 || s != caller["sharedEventID"] {
			t.Errorf("sharedEventID=%v, want the same UUID in both", rec["sharedEventID"])
		}
		if diff := cmp.Diff(roleResources(roleARN, member), rec["resources"]); diff != "" {
			t.Errorf("resources (-want +got):\n%s", diff)
		}
		tlsd, _ := rec["tlsDetails"].(map[string]any)
		if tlsd["tlsVersion"] != "TLSv1.3" || tlsd["clientProvidedHostHeader"] != strings.TrimPrefix(srv.URL, "https://") || tlsd["cipherSuite"] == nil {
			t.Errorf("tlsDetails=%v, want the connection's", rec["tlsDetails"])
		}
	}
}

// deliveredRecordsOf reads every log file of the bucket and returns the
// records of request reqID by the part of their key before /CloudTrail/.
func deliveredRecordsOf(tb testing.TB, srv *apptest.Server, reqID string) map[string]map[string]any {
	tb.Helper()
	got := map[string]map[string]any{}
	eachDeliveredRecord(tb, srv, func(key string, r map[string]any) {
		if r["requestID"] != reqID {
			return
		}
		dir, _, _ := strings.Cut(key, "/CloudTrail/")
		if got[dir] != nil {
			tb.Errorf("request %s delivered twice under %s", reqID, dir)
		}
		got[dir] = r
	})
	return got
}
