package bucketpolicy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/bucketpolicy"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

const (
	bucket = "trail-logs"
	owner  = "111122223333"
	other  = "444455556666"
	org    = "o-exampleorgid"
)

func trailARN(account string) string {
	return "arn:aws:cloudtrail:us-east-1:" + account + ":trail/main"
}

func TestDefault(t *testing.T) {
	doc, err := bucketpolicy.Parse(bucket, bucketpolicy.Default(bucket, owner, org))
	if err != nil {
		t.Fatalf("the default policy does not parse: %v", err)
	}
	for _, tt := range []struct {
		name, key, trail string
		ok               bool
	}{
		{"OwnPath", "AWSLogs/" + owner + "/*", trailARN(owner), true},
		{"OwnPathBelowPrefix", "audit/x/AWSLogs/" + owner + "/CloudTrail/us-east-1/f.json.gz", trailARN(owner), true},
		{"OrganizationPath", "AWSLogs/" + org + "/*", trailARN(owner), true},
		{"OtherAccountsTrail", "AWSLogs/" + other + "/*", trailARN(other), false},
		{"OtherAccountIntoOwnersPath", "AWSLogs/" + owner + "/*", trailARN(other), false},
		{"OwnerOutsideAWSLogs", "elsewhere/file", trailARN(owner), false},
	} {
		err := bucketpolicy.Check(doc, bucket, tt.key, tt.trail)
		if (err == nil) != tt.ok || err != nil && !errors.Is(err, objstore.ErrAccessDenied) {
			t.Errorf("%s: Check=%v, want ok=%v", tt.name, err, tt.ok)
		}
	}
	if strings.Contains(bucketpolicy.Default(bucket, owner, ""), "o-") {
		t.Error("the default policy of an account without an organization names one")
	}
}

// A policy listing trail ARNs in aws:SourceArn (AWS's multi-account form)
// lets exactly those trails write, and an explicit Deny wins.
func TestCheck_SourceArnAndDeny(t *testing.T) {
	text := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":["s3:GetBucketAcl","s3:PutObject"],
	  "Resource":["arn:aws:s3:::trail-logs","arn:aws:s3:::trail-logs/*"],
	  "Condition":{"StringEquals":{"aws:SourceArn":["` + trailARN(owner) + `","` + trailARN(other) + `"]}}},
	 {"Effect":"Deny","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject",
	  "Resource":"arn:aws:s3:::trail-logs/AWSLogs/` + owner + `/*","Condition":{"StringEquals":{"aws:SourceAccount":"` + other + `"}}}]}`
	doc, err := bucketpolicy.Parse(bucket, text)
	if err != nil {
		t.Fatal(err)
	}
	if err := bucketpolicy.Check(doc, bucket, "AWSLogs/"+other+"/*", trailARN(other)); err != nil {
		t.Errorf("listed trail refused: %v", err)
	}
	if err := bucketpolicy.Check(doc, bucket, "AWSLogs/"+owner+"/*", trailARN(other)); err == nil {
		t.Error("the Deny did not win")
	}
	if err := bucketpolicy.Check(doc, bucket, "AWSLogs/"+owner+"/*", "arn:aws:cloudtrail:us-east-1:"+owner+":trail/unlisted"); err == nil {
		t.Error("an unlisted trail was allowed")
	}
}

func TestParse_Refuses(t *testing.T) {
	for name, text := range map[string]string{
		"NotJSON":        "{",
		"NoPrincipal":    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::trail-logs/*"}]}`,
		"OtherBucket":    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::trail-logs2/*"}]}`,
		"BucketPrefixed": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::trail-logs*"}]}`,
		"TooLarge":       `{"Version":"2012-10-17","Id":"` + strings.Repeat("x", bucketpolicy.MaxPolicyBytes) + `"}`,
	} {
		if _, err := bucketpolicy.Parse(bucket, text); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
