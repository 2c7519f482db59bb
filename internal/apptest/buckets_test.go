package apptest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/bucketpolicy"
)

// putBucketPolicy replaces a bucket's policy, as `deploytrail buckets
// policy put` does; the owner stays.
func putBucketPolicy(tb testing.TB, srv *apptest.Server, bucket, doc string) {
	tb.Helper()
	fatalIf(tb, srv.App.BucketPolicies.SetPolicy(ctx, bucket, doc))
}

// multiAccountPolicy lets CloudTrail write each account's path (below any
// prefix) for that account's trails.
func multiAccountPolicy(bucket string, accounts ...string) string {
	var paths []string
	for _, a := range accounts {
		paths = append(paths, fmt.Sprintf(`"arn:aws:s3:::%s/*AWSLogs/%s/*"`, bucket, a))
	}
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::%s"},
		{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":[%s],
		 "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceAccount":["%s"]}}}]}`,
		bucket, strings.Join(paths, ","), strings.Join(accounts, `","`))
}

// memberAccount makes an organization with one member account and returns
// its id and credentials in it (through OrganizationAccountAccessRole).
func memberAccount(t *testing.T, srv *apptest.Server) (string, apptest.Creds) {
	t.Helper()
	return memberSession(t, srv, "acct-b")
}

// memberSession makes an organization with one member account, and an
// admin user who opens a session named session into it through
// OrganizationAccountAccessRole; it returns the member's id and the
// session's credentials.
func memberSession(tb testing.TB, srv *apptest.Server, session string) (string, apptest.Creds) {
	tb.Helper()
	member, roleARN := orgMember(tb, srv)
	admin := newUser(tb, srv, "admin", adminPolicy)
	out, err := srv.STS(admin).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session)})
	fatalIf(tb, err)
	return member, fromSTS(out)
}

// Account B cannot point a trail at account A's bucket, by CreateTrail or
// UpdateTrail, nor sneak into A's AWSLogs/<A>/ path with a prefix; once A's
// bucket policy names B's path, B's trail is accepted and its files land
// under AWSLogs/<B>/ only.
func TestBuckets_OtherAccountsTrailRefused(t *testing.T) {
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second))
	createBucket(t, srv, trailBucket) // A's: the management account's
	b, inB := memberAccount(t, srv)
	fatalIf(t, app.CreateBucket(ctx, srv.App.Buckets, srv.App.BucketPolicies, "b-logs", b))
	ctB := srv.CloudTrail(inB)
	want := "Incorrect S3 bucket policy is detected for bucket: " + trailBucket

	_, err := ctB.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("sneak"), S3BucketName: aws.String(trailBucket)})
	if msg := wantCode(t, err, "InsufficientS3BucketPolicyException"); msg != want {
		t.Errorf("message=%q, want %q", msg, want)
	}
	_, err = ctB.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("sneak"), S3BucketName: aws.String(trailBucket),
		S3KeyPrefix: aws.String("AWSLogs/" + srv.Account())})
	wantCode(t, err, "InvalidS3PrefixException")
	_, err = ctB.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("sneak"), S3BucketName: aws.String(trailBucket),
		S3KeyPrefix: aws.String("x")})
	wantCode(t, err, "InsufficientS3BucketPolicyException")
	// A's own default policy does not let B in, but B's own bucket does.
	noErr(t)(ctB.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("own"), S3BucketName: aws.String("b-logs")}))
	_, err = ctB.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("own"), S3BucketName: aws.String(trailBucket)})
	wantCode(t, err, "InsufficientS3BucketPolicyException")
	got, err := ctB.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("own")})
	fatalIf(t, err)
	if aws.ToString(got.Trail.S3BucketName) != "b-logs" {
		t.Fatalf("refused UpdateTrail changed the bucket to %s", aws.ToString(got.Trail.S3BucketName))
	}
	// A's trails cannot use B's bucket either.
	_, err = srv.CloudTrail(srv.Root).CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("into-b"), S3BucketName: aws.String("b-logs")})
	wantCode(t, err, "InsufficientS3BucketPolicyException")

	putBucketPolicy(t, srv, trailBucket, multiAccountPolicy(trailBucket, srv.Account(), b))
	noErr(t)(ctB.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("own"), S3BucketName: aws.String(trailBucket)}))
	noErr(t)(ctB.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("own")}))
	out, err := srv.CodeDeploy(inB).CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("b-app")})
	fatalIf(t, err)
	id := requestID(t, out.ResultMetadata)
	var keys []string
	for deadline := time.Now().Add(10 * time.Second); len(keys) == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		keys = deliveredKeysByRequest(t, srv)[id]
	}
	if len(keys) != 1 || !strings.HasPrefix(keys[0], "AWSLogs/"+b+"/CloudTrail/") {
		t.Fatalf("B's call delivered to %v, want one file under AWSLogs/%s/", keys, b)
	}
}

// A bucket policy changed after CreateTrail stops delivery, shown in
// GetTrailStatus as LatestDeliveryError AccessDenied, and nothing is
// written; when the policy allows again, the held-back events are
// delivered and the error clears.
func TestBuckets_PolicyCheckedAtDelivery(t *testing.T) {
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second))
	createBucket(t, srv, trailBucket)
	ct := srv.CloudTrail(srv.Root)
	createTrail(t, ct, "main", false)
	noErr(t)(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}))

	putBucketPolicy(t, srv, trailBucket, multiAccountPolicy(trailBucket, "999999999999"))
	out, err := srv.CodeDeploy(srv.Root).CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("held")})
	fatalIf(t, err)
	id := requestID(t, out.ResultMetadata)
	status := func() *cloudtrail.GetTrailStatusOutput {
		s, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
		fatalIf(t, err)
		return s
	}
	var s *cloudtrail.GetTrailStatusOutput
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if s = status(); aws.ToString(s.LatestDeliveryError) != "" {
			break
		}
	}
	if got := aws.ToString(s.LatestDeliveryError); got != "AccessDenied" {
		t.Fatalf("LatestDeliveryError=%q, want AccessDenied", got)
	}
	if n := len(deliveredKeysByRequest(t, srv)); n != 0 {
		t.Fatalf("%d requests delivered against the policy", n)
	}

	putBucketPolicy(t, srv, trailBucket, "") // back to the default
	var keys []string
	for deadline := time.Now().Add(70 * time.Second); len(keys) == 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		keys = deliveredKeysByRequest(t, srv)[id]
	}
	if len(keys) != 1 {
		t.Fatalf("held-back call delivered in %v, want one file", keys)
	}
	if got := aws.ToString(status().LatestDeliveryError); got != "" {
		t.Errorf("LatestDeliveryError=%q after a delivery, want none", got)
	}
}

// `buckets create` semantics: the default policy names the owner (and its
// organization's path once it manages one), and a bucket keeps its owner.
func TestBuckets_DefaultPolicy(t *testing.T) {
	srv := apptest.Start(t)
	createBucket(t, srv, trailBucket)
	r, err := srv.App.BucketPolicies.Effective(ctx, trailBucket)
	fatalIf(t, err)
	if r.Owner != srv.Account() || r.Policy != bucketpolicy.Default(trailBucket, srv.Account(), "") {
		t.Fatalf("record=%+v, want the management account's default policy", r)
	}
	if err := app.CreateBucket(ctx, srv.App.Buckets, srv.App.BucketPolicies, trailBucket, "111122223333"); err == nil {
		t.Fatal("a bucket was given to a second account")
	}
	org, err := srv.Organizations(srv.Root).CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	fatalIf(t, err)
	orgID := aws.ToString(org.Organization.Id)
	r, err = srv.App.BucketPolicies.Effective(ctx, trailBucket)
	fatalIf(t, err)
	if !strings.Contains(r.Policy, `"arn:aws:s3:::`+trailBucket+`/AWSLogs/`+orgID+`/*"`) {
		t.Fatalf("default policy of an organization's management account=%s, want its AWSLogs/%s/* path", r.Policy, orgID)
	}
	ct := srv.CloudTrail(srv.Root)
	noErr(t)(ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("org"), S3BucketName: aws.String(trailBucket),
		IsOrganizationTrail: aws.Bool(true)}))
	putBucketPolicy(t, srv, trailBucket, multiAccountPolicy(trailBucket, srv.Account()))
	_, err = ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("org"), S3KeyPrefix: aws.String("p")})
	if msg := wantCode(t, err, "InsufficientS3BucketPolicyException"); !strings.Contains(msg, trailBucket) {
		t.Errorf("message=%q", msg)
	}
}
