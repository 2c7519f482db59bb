package apptest_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// One bucket receives a multi-region trail's files from two regions, an
// organization trail's files for the management and a member account
// (under the organization's id), and a member's own trail's files: each
// under its exact key layout, and each call exactly once per trail.
func TestDelivery_RegionsAndAccountsIntoOneBucket(t *testing.T) {
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second))
	createBucket(t, srv, trailBucket)
	ct := srv.CloudTrail(srv.Root)
	orgs := srv.Organizations(srv.Root)
	org, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	fatalIf(t, err)
	orgID := aws.ToString(org.Organization.Id)
	created, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("ops@example.com"), AccountName: aws.String("ops")})
	fatalIf(t, err)
	member := aws.ToString(created.CreateAccountStatus.AccountId)

	_, err = ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("everywhere"), S3BucketName: aws.String(trailBucket),
		S3KeyPrefix: aws.String("multi"), IsMultiRegionTrail: aws.Bool(true)})
	fatalIf(t, err)
	_, err = ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("org"), S3BucketName: aws.String(trailBucket),
		S3KeyPrefix: aws.String("org"), IsOrganizationTrail: aws.Bool(true)})
	fatalIf(t, err)
	admin := newUser(t, srv, "admin", adminPolicy)
	role, err := srv.STS(admin).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("ops")})
	fatalIf(t, err)
	inMember := fromSTS(role)
	memberCT := srv.CloudTrail(inMember)
	// AWS's multi-account policy (spec §10.2): every account's path, for
	// the listed trails only.
	putBucketPolicy(t, srv, trailBucket, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::%[1]s"},
		{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject",
		 "Resource":["arn:aws:s3:::%[1]s/multi/AWSLogs/%[2]s/*","arn:aws:s3:::%[1]s/org/AWSLogs/%[4]s/*","arn:aws:s3:::%[1]s/member/AWSLogs/%[3]s/*"],
		 "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceArn":[
			"arn:aws:cloudtrail:us-east-1:%[2]s:trail/everywhere","arn:aws:cloudtrail:us-east-1:%[2]s:trail/org","arn:aws:cloudtrail:us-east-1:%[3]s:trail/own"]}}}]}`,
		trailBucket, srv.Account(), member, orgID))
	_, err = memberCT.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("own"), S3BucketName: aws.String(trailBucket),
		S3KeyPrefix: aws.String("member")})
	fatalIf(t, err)
	for name, c := range map[string]*cloudtrail.Client{"everywhere": ct, "org": ct, "own": memberCT} {
		_, err := c.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(name)})
		fatalIf(t, err)
	}

	calls := map[string]string{} // request id → who/where
	create := func(cfg aws.Config, label, app string) {
		out, err := codedeploy.NewFromConfig(cfg).CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String(app)})
		fatalIf(t, err)
		calls[requestID(t, out.ResultMetadata)] = label
	}
	create(srv.Config(srv.Root), "management us-east-1", "east")
	create(inRegion(srv, srv.Root, "eu-west-1"), "management eu-west-1", "west")
	create(srv.Config(inMember), "member us-east-1", "ops")

	// Which trail must deliver each call, and under which key pattern.
	want := map[string]map[string]*regexp.Regexp{
		"management us-east-1": {"everywhere": logKeyRE(`multi/AWSLogs/`+srv.Account(), "us-east-1"), "org": logKeyRE(`org/AWSLogs/`+orgID+`/`+srv.Account(), "us-east-1")},
		"management eu-west-1": {"everywhere": logKeyRE(`multi/AWSLogs/`+srv.Account(), "eu-west-1")},
		"member us-east-1":     {"org": logKeyRE(`org/AWSLogs/`+orgID+`/`+member, "us-east-1"), "own": logKeyRE(`member/AWSLogs/`+member, "us-east-1")},
	}
	var got map[string][]string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got = deliveredKeysByRequest(t, srv)
		if len(got) >= len(calls) && complete(got, calls, want) {
			break
		}
	}
	for id, label := range calls {
		keys := got[id]
		if len(keys) != len(want[label]) {
			t.Errorf("%s call delivered in %d files %v, want %d (one per trail)", label, len(keys), keys, len(want[label]))
		}
		for trail, re := range want[label] {
			if !anyMatch(keys, re) {
				t.Errorf("%s call: no file of trail %s matching %s among %v", label, trail, re, keys)
			}
		}
	}
}

func logKeyRE(prefix, region string) *regexp.Regexp {
	acct := regexp.MustCompile(`\d{12}$`).FindString(prefix)
	return regexp.MustCompile(`^` + prefix + `/CloudTrail/` + region + `/\d{4}/\d{2}/\d{2}/` + acct + `_CloudTrail_` + region +
		`_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$`)
}

func complete(got map[string][]string, calls map[string]string, want map[string]map[string]*regexp.Regexp) bool {
	for id, label := range calls {
		if len(got[id]) < len(want[label]) {
			return false
		}
	}
	return true
}

func anyMatch(keys []string, re *regexp.Regexp) bool {
	for _, k := range keys {
		if re.MatchString(k) {
			return true
		}
	}
	return false
}

// eachDeliveredRecord calls fn with every record of every log file in
// trailBucket and the key of its file, in key order.
func eachDeliveredRecord(tb testing.TB, srv *apptest.Server, fn func(key string, rec map[string]any)) {
	tb.Helper()
	eachDeliveredFile(tb, srv, func(key string, body []byte) {
		var doc struct{ Records []map[string]any }
		fatalIf(tb, json.Unmarshal(gunzip(tb, body), &doc))
		for _, r := range doc.Records {
			fn(key, r)
		}
	})
}

// eachDeliveredFile calls fn with every log file in trailBucket, in key
// order, read through the bucket store (the files on disk are encrypted).
func eachDeliveredFile(tb testing.TB, srv *apptest.Server, fn func(key string, body []byte)) {
	tb.Helper()
	b, err := srv.App.Buckets.Bucket(trailBucket)
	fatalIf(tb, err)
	for after := ""; ; {
		page, err := b.List(ctx, "", after, 0)
		fatalIf(tb, err)
		if len(page) == 0 {
			return
		}
		for _, o := range page {
			after = o.Key
			if !strings.Contains(o.Key, "/CloudTrail/") {
				continue
			}
			obj, err := b.Get(ctx, o.Key)
			fatalIf(tb, err)
			fn(o.Key, obj.Body)
		}
	}
}

// deliveredKeysByRequest reads every log file of the bucket and returns
// the keys of the files each request id was delivered in.
func deliveredKeysByRequest(tb testing.TB, srv *apptest.Server) map[string][]string {
	tb.Helper()
	got := map[string][]string{}
	eachDeliveredRecord(tb, srv, func(key string, r map[string]any) {
		id, _ := r["requestID"].(string)
		got[id] = append(got[id], key)
	})
	return got
}

func gunzip(tb testing.TB, b []byte) []byte {
	tb.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	fatalIf(tb, err)
	out, err := io.ReadAll(zr)
	fatalIf(tb, err)
	return out
}
