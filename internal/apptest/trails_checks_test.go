package apptest_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
)

// Each trail name rule answers with AWS's message, in AWS's order: length
// first, then the first and last characters, then the characters between,
// then adjacent punctuation, then IP addresses.
func TestTrails_NameMessages(t *testing.T) {
	_, ct := startTrails(t)
	for _, tt := range []struct{ name, message string }{
		{"a", "Trail name too short. Minimum allowed length: 3 characters. Specified name length: 1 characters."},
		{"aa", "Trail name too short. Minimum allowed length: 3 characters. Specified name length: 2 characters."},
		{strings.Repeat("a", 129), "Trail name too long. Maximum allowed length: 128 characters. Specified name length: 129 characters."},
		{"-trail", "Trail name must starts with a letter or number."},
		{"trail!", "Trail name must ends with a letter or number."},
		{"!trail!", "Trail name must starts with a letter or number."},
		{"my#trail", "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_)."},
		{"my trail", "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_)."},
		{"my-_trail", "Trail name or ARN cannot have adjacent periods (.), hyphens (-), or underscores (_)."},
		{"my--trail", "Trail name or ARN cannot have adjacent periods (.), hyphens (-), or underscores (_)."},
		{"192.168.5.4", "Trail names must not be formatted as an IP address."},
	} {
		_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String(tt.name), S3BucketName: aws.String("missing-bucket")})
		if msg := wantCode(t, err, "InvalidTrailNameException"); msg != tt.message {
			t.Errorf("CreateTrail(%q): message=%q, want %q", tt.name, msg, tt.message)
		}
	}
	_, err := ct.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("trail!")})
	if msg := wantCode(t, err, "InvalidTrailNameException"); msg != "Trail name must ends with a letter or number." {
		t.Errorf("GetTrail: message=%q, want AWS's", msg)
	}
}

// A multi-region trail without global service events is refused for the
// combination before the bucket is looked at, as AWS does; likewise a log
// group without a role.
func TestTrails_CombinationBeforeBucket(t *testing.T) {
	srv, ct := startTrails(t)
	for _, bucket := range []string{"missing-bucket", "Bad_Bucket", trailBucket} {
		_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String(bucket),
			IsMultiRegionTrail: aws.Bool(true), IncludeGlobalServiceEvents: aws.Bool(false)})
		if msg := wantCode(t, err, "InvalidParameterCombinationException"); msg != "Multi-Region trail must include global service events." {
			t.Errorf("bucket %s: message=%q, want AWS's", bucket, msg)
		}
		_, err = ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String(bucket),
			CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:" + srv.Account() + ":log-group:trail:*")})
		wantCode(t, err, "InvalidParameterCombinationException")
	}
	createTrail(t, ct, "main", false)
	_, err := ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("missing-bucket"),
		IsMultiRegionTrail: aws.Bool(true), IncludeGlobalServiceEvents: aws.Bool(false)})
	wantCode(t, err, "InvalidParameterCombinationException")
	if len(describe(t, ct)) != 1 {
		t.Fatal("a refused CreateTrail left a trail behind")
	}
}

// S3KeyPrefix values that could never be delivered to, that climb out of
// the bucket or that lead into the AWSLogs/ tree are refused at CreateTrail
// and UpdateTrail with InvalidS3PrefixException, and change nothing.
func TestTrails_PrefixRefused(t *testing.T) {
	_, ct := startTrails(t)
	createTrail(t, ct, "main", false)
	for _, prefix := range []string{"..", "../../x", "a/../b", ".", "a/./b", "/audit", "audit/", "a//b",
		"AWSLogs", "AWSLogs/111122223333", strings.Repeat("p", 201)} {
		_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("other"), S3BucketName: aws.String(trailBucket),
			S3KeyPrefix: aws.String(prefix)})
		wantCode(t, err, "InvalidS3PrefixException")
		_, err = ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("main"), S3KeyPrefix: aws.String(prefix)})
		wantCode(t, err, "InvalidS3PrefixException")
	}
	trails := describe(t, ct)
	if len(trails) != 1 || aws.ToString(trails[0].S3KeyPrefix) != "" {
		t.Fatalf("trails=%+v, want main alone and unchanged", trails)
	}
	for _, prefix := range []string{"audit", "a/b.c/..d", strings.Repeat("p", 200), "logs/AWSLogs"} {
		noErr(t)(ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("main"), S3KeyPrefix: aws.String(prefix)}))
	}
}

// describe returns the trails of ct's region.
func describe(tb testing.TB, ct *cloudtrail.Client) []cttypes.Trail {
	tb.Helper()
	out, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	fatalIf(tb, err)
	return out.TrailList
}
