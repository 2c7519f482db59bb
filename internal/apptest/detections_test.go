package apptest_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// rec is one CloudTrail record, read the way detection rules read it: by
// dotted field paths (userIdentity.sessionContext.sessionIssuer.type).
type rec map[string]any

// get returns the value at a dotted path, and whether it is there.
func (r rec) get(path string) (any, bool) {
	var v any = map[string]any(r)
	for _, key := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[key]; !ok || v == nil {
			return nil, false
		}
	}
	return v, true
}

func (r rec) has(path string) bool { _, ok := r.get(path); return ok }

// str is the string at path, "" when absent or not a string.
func (r rec) str(path string) string {
	v, _ := r.get(path)
	s, _ := v.(string)
	return s
}

// is reports whether the string at path is one of values.
func (r rec) is(path string, values ...string) bool {
	return r.has(path) && slices.Contains(values, r.str(path))
}

// detection is a public detection rule's condition (SigmaHQ's AWS
// CloudTrail rules), written in its own field paths, so that a field
// deploytrail renames or drops makes it miss and this test fail.
type detection struct {
	title string
	match func(rec) bool
}

var detections = []detection{
	{"CloudTrail stopped or deleted", func(r rec) bool { // aws_cloudtrail_disable_logging
		return r.is("eventSource", "cloudtrail.amazonaws.com") &&
			r.is("eventName", "StopLogging", "UpdateTrail", "DeleteTrail") && r.has("requestParameters.name")
	}},
	{"access key created for another user", func(r rec) bool { // aws_iam_backdoor_users_keys
		user := r.str("responseElements.accessKey.userName")
		return r.is("eventSource", "iam.amazonaws.com") && r.is("eventName", "CreateAccessKey") &&
			user != "" && !strings.Contains(r.str("userIdentity.arn"), user)
	}},
	{"GetSessionToken used", func(r rec) bool { // aws_sts_getsessiontoken_misuse
		return r.is("eventSource", "sts.amazonaws.com") && r.is("eventName", "GetSessionToken") && r.is("userIdentity.type", "IAMUser")
	}},
	{"root credentials used", func(r rec) bool { // aws_root_account_usage
		return r.is("userIdentity.type", "Root") && !r.has("userIdentity.invokedBy") && !r.is("eventType", "AwsServiceEvent")
	}},
	{"call by a role session", func(r rec) bool { // aws_sts_assumerole_misuse
		return r.is("userIdentity.type", "AssumedRole") && r.is("userIdentity.sessionContext.sessionIssuer.type", "Role")
	}},
}

// scenario is what the detections are checked against: by rule title,
// the request ids of the calls it must fire on and of the benign calls
// next to them it must not fire on.
type scenario struct {
	fire, benign map[string][]string
	// traced are pairs of request ids: the call made with temporary
	// credentials, and the Get*Token call that issued them.
	traced [][2]string
}

// TestDetections runs attacks and benign calls through the real SDK, then
// evaluates the detections over the records LookupEvents returns and over
// the records a trail delivered: each fires on its attacks and on no
// benign call, in both. A temporary key is traced back, through
// responseElements, to the call that issued it.
func TestDetections(t *testing.T) {
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second))
	createBucket(t, srv, trailBucket)
	root := srv.CloudTrail(srv.Root)
	noErr(t)(root.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("audit"), S3BucketName: aws.String(trailBucket), IsMultiRegionTrail: aws.Bool(true)}))
	noErr(t)(root.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("audit")}))
	sc := runScenario(t, srv)

	var history []rec
	for _, e := range lookup(t, root, &cloudtrail.LookupEventsInput{}) {
		history = append(history, record(t, e))
	}
	checkDetections(t, "LookupEvents", history, sc)

	var delivered []rec
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if delivered = deliveredRecords(t, srv); allThere(delivered, sc) {
			break
		}
	}
	checkDetections(t, "delivered log files", delivered, sc)
}

// runScenario makes the calls: a trail stopped, updated and deleted, a
// key made for another user, GetSessionToken and GetFederationToken
// sessions, a role session, root at work, and their benign neighbours.
func runScenario(t *testing.T, srv *apptest.Server) *scenario {
	t.Helper()
	sc := &scenario{fire: map[string][]string{}, benign: map[string][]string{}}
	id := func(md middleware.Metadata) string { return requestID(t, md) }
	fire := func(title string, md middleware.Metadata) { sc.fire[title] = append(sc.fire[title], id(md)) }
	benign := func(title string, mds ...middleware.Metadata) {
		for _, md := range mds {
			sc.benign[title] = append(sc.benign[title], id(md))
		}
	}

	// Root stops, updates and deletes a trail; its reads and starts are benign for that rule.
	ct := srv.CloudTrail(srv.Root)
	victim := aws.String("victim")
	created, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: victim, S3BucketName: aws.String(trailBucket)})
	fatalIf(t, err)
	fire("root credentials used", created.ResultMetadata)
	started, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: victim})
	fatalIf(t, err)
	status, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: victim})
	fatalIf(t, err)
	stopped, err := ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: victim})
	fatalIf(t, err)
	updated, err := ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: victim, S3KeyPrefix: aws.String("elsewhere")})
	fatalIf(t, err)
	deleted, err := ct.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: victim})
	fatalIf(t, err)
	for _, md := range []middleware.Metadata{stopped.ResultMetadata, updated.ResultMetadata, deleted.ResultMetadata} {
		fire("CloudTrail stopped or deleted", md)
	}

	// An admin makes a key for bob; alice makes one for herself.
	admin := newUser(t, srv, "admin", adminPolicy)
	alice := newUser(t, srv, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateAccessKey","sts:AssumeRole"],"Resource":"*"}]}`)
	noErr(t)(srv.IAM(admin).CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bob")}))
	forBob, err := srv.IAM(admin).CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("bob")})
	fatalIf(t, err)
	fire("access key created for another user", forBob.ResultMetadata)
	own, err := srv.IAM(alice).CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{})
	fatalIf(t, err)

	// alice's session token, used; the admin's federation token, used.
	tok, err := srv.STS(alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	fatalIf(t, err)
	fire("GetSessionToken used", tok.ResultMetadata)
	withToken, err := srv.STS(credsOf(tok.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	fatalIf(t, err)
	fed, err := srv.STS(admin).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("contractor"), Policy: aws.String(adminPolicy)})
	fatalIf(t, err)
	asFed, err := srv.STS(credsOf(fed.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	fatalIf(t, err)
	sc.traced = [][2]string{{id(withToken.ResultMetadata), id(tok.ResultMetadata)}, {id(asFed.ResultMetadata), id(fed.ResultMetadata)}}

	// alice opens a role session and calls with it.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + srv.Account() + `:user/alice"},"Action":"sts:AssumeRole"}]}`
	role, err := srv.IAM(srv.Root).CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("ops"), AssumeRolePolicyDocument: aws.String(trust)})
	fatalIf(t, err)
	assumed, err := srv.STS(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("alice")})
	fatalIf(t, err)
	asRole, err := srv.STS(fromSTS(assumed)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	fatalIf(t, err)
	fire("call by a role session", asRole.ResultMetadata)
	fire("root credentials used", role.ResultMetadata)

	benign("CloudTrail stopped or deleted", created.ResultMetadata, started.ResultMetadata, status.ResultMetadata)
	benign("access key created for another user", own.ResultMetadata)
	benign("GetSessionToken used", fed.ResultMetadata, withToken.ResultMetadata)
	benign("root credentials used", forBob.ResultMetadata, own.ResultMetadata, tok.ResultMetadata, fed.ResultMetadata, assumed.ResultMetadata, asRole.ResultMetadata)
	benign("call by a role session", assumed.ResultMetadata, withToken.ResultMetadata, asFed.ResultMetadata)
	return sc
}

// credsOf are the SDK's temporary credentials as apptest.Creds.
func credsOf(c *ststypes.Credentials) apptest.Creds {
	return apptest.Creds{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}
}

// deliveredRecords reads every log file in trailBucket.
func deliveredRecords(tb testing.TB, srv *apptest.Server) []rec {
	tb.Helper()
	var out []rec
	eachDeliveredRecord(tb, srv, func(_ string, r map[string]any) { out = append(out, r) })
	return out
}

// checkDetections evaluates every detection over recs: each must fire on
// its calls and on no benign call; temporary keys must be traceable.
func checkDetections(t *testing.T, where string, recs []rec, sc *scenario) {
	t.Helper()
	byID := map[string]rec{}
	for _, r := range recs {
		byID[r.str("requestID")] = r
	}
	for _, d := range detections {
		for _, id := range sc.fire[d.title] {
			if r, ok := byID[id]; !ok || !d.match(r) {
				t.Errorf("%s: %q did not fire on request %s: %v", where, d.title, id, r)
			}
		}
		for _, id := range sc.benign[d.title] {
			if r := byID[id]; r != nil && d.match(r) {
				t.Errorf("%s: %q fired on benign %s %s", where, d.title, r.str("eventName"), id)
			}
		}
	}
	for _, pair := range sc.traced {
		use, issue := byID[pair[0]], byID[pair[1]]
		key := use.str("userIdentity.accessKeyId")
		if issue == nil || !strings.HasPrefix(key, "ASIA") || issue.str("responseElements.credentials.accessKeyId") != key {
			t.Errorf("%s: temporary key %q of %s not traced to %s: responseElements=%v", where, key, use.str("eventName"), pair[1], issue["responseElements"])
		}
		if issue.has("responseElements.federatedUser") && issue.str("responseElements.federatedUser.arn") != use.str("userIdentity.arn") {
			t.Errorf("%s: federatedUser=%v, want the arn %s the session calls with", where, issue["responseElements"], use.str("userIdentity.arn"))
		}
	}
}

// allThere reports whether recs hold every call of the scenario.
func allThere(recs []rec, sc *scenario) bool {
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.str("requestID")] = true
	}
	var ids []string
	for _, m := range []map[string][]string{sc.fire, sc.benign} {
		for _, calls := range m {
			ids = append(ids, calls...)
		}
	}
	for _, pair := range sc.traced {
		ids = append(ids, pair[0], pair[1])
	}
	return !slices.ContainsFunc(ids, func(id string) bool { return !seen[id] })
}
