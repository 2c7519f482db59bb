package apptest_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/apptest"
)

const trailBucket = "trail-logs"

// startTrails starts a server whose bucket trailBucket exists, and returns
// a CloudTrail client of its root in us-east-1.
func startTrails(t *testing.T) (*apptest.Server, *cloudtrail.Client) {
	t.Helper()
	srv := apptest.Start(t)
	createBucket(t, srv, trailBucket)
	return srv, srv.CloudTrail(srv.Root)
}

// createBucket makes a bucket as `deploytrail buckets create` does: the
// management account's, with CloudTrail's default bucket policy.
func createBucket(tb testing.TB, srv *apptest.Server, name string) {
	tb.Helper()
	fatalIf(tb, app.CreateBucket(ctx, srv.App.Buckets, srv.App.BucketPolicies, name, ""))
}

// trailsIn returns a CloudTrail client of c in region.
func trailsIn(srv *apptest.Server, c apptest.Creds, region string) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(inRegion(srv, c, region))
}

func createTrail(tb testing.TB, c *cloudtrail.Client, name string, multi bool) *cloudtrail.CreateTrailOutput {
	tb.Helper()
	out, err := c.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String(name), S3BucketName: aws.String(trailBucket),
		IsMultiRegionTrail: aws.Bool(multi)})
	fatalIf(tb, err)
	return out
}

func trailNames(list []cttypes.Trail) string {
	var names []string
	for _, t := range list {
		names = append(names, aws.ToString(t.Name))
	}
	return strings.Join(names, ",")
}

func TestTrails(t *testing.T) {
	srv, ct := startTrails(t)
	arn := "arn:aws:cloudtrail:us-east-1:" + srv.Account() + ":trail/main"

	created, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String(trailBucket),
		S3KeyPrefix: aws.String("audit"), EnableLogFileValidation: aws.Bool(true),
		TagsList: []cttypes.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}})
	fatalIf(t, err)
	if aws.ToString(created.TrailARN) != arn || !aws.ToBool(created.IncludeGlobalServiceEvents) || aws.ToBool(created.IsMultiRegionTrail) ||
		!aws.ToBool(created.LogFileValidationEnabled) || aws.ToString(created.S3KeyPrefix) != "audit" || aws.ToBool(created.IsOrganizationTrail) {
		t.Fatalf("CreateTrail=%+v", created)
	}

	for _, name := range []string{"main", arn} {
		got, err := ct.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String(name)})
		fatalIf(t, err)
		tr := got.Trail
		if aws.ToString(tr.TrailARN) != arn || aws.ToString(tr.HomeRegion) != "us-east-1" || aws.ToString(tr.S3BucketName) != trailBucket ||
			aws.ToBool(tr.HasCustomEventSelectors) || aws.ToBool(tr.HasInsightSelectors) || tr.IsOrganizationTrail == nil {
			t.Fatalf("GetTrail(%s)=%+v", name, tr)
		}
	}

	desc, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	fatalIf(t, err)
	if trailNames(desc.TrailList) != "main" {
		t.Fatalf("DescribeTrails=%s", trailNames(desc.TrailList))
	}
	desc, err = ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{"nope", arn}})
	fatalIf(t, err)
	if trailNames(desc.TrailList) != "main" {
		t.Fatalf("DescribeTrails(nope, arn)=%s", trailNames(desc.TrailList))
	}

	upd, err := ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("main"), S3KeyPrefix: aws.String(""),
		KmsKeyId: aws.String("alias/trails")})
	fatalIf(t, err)
	wantKey := "arn:aws:kms:us-east-1:" + srv.Account() + ":alias/trails"
	if upd.S3KeyPrefix != nil || aws.ToString(upd.KmsKeyId) != wantKey || !aws.ToBool(upd.LogFileValidationEnabled) {
		t.Fatalf("UpdateTrail=%+v", upd)
	}

	list, err := ct.ListTrails(ctx, &cloudtrail.ListTrailsInput{})
	fatalIf(t, err)
	if len(list.Trails) != 1 || aws.ToString(list.Trails[0].TrailARN) != arn || aws.ToString(list.Trails[0].HomeRegion) != "us-east-1" {
		t.Fatalf("ListTrails=%+v", list.Trails)
	}

	noErr(t)(ct.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String("main")}))
	_, err = ct.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("main")})
	if msg := wantCode(t, err, "TrailNotFoundException"); msg != "Unknown trail: "+arn+" for the user: "+srv.Account() {
		t.Fatalf("message=%q", msg)
	}
	_, err = ct.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String("main")})
	wantCode(t, err, "TrailNotFoundException")
}

func TestTrails_ShadowTrails(t *testing.T) {
	srv, east := startTrails(t)
	west := trailsIn(srv, srv.Root, "us-west-2")
	multi := createTrail(t, east, "everywhere", true)
	createTrail(t, east, "local", false)
	arn := aws.ToString(multi.TrailARN)

	desc, err := west.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	fatalIf(t, err)
	if trailNames(desc.TrailList) != "everywhere" || aws.ToString(desc.TrailList[0].HomeRegion) != "us-east-1" ||
		aws.ToString(desc.TrailList[0].TrailARN) != arn {
		t.Fatalf("DescribeTrails in us-west-2=%+v", desc.TrailList)
	}
	desc, err = west.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(false)})
	fatalIf(t, err)
	if len(desc.TrailList) != 0 {
		t.Fatalf("DescribeTrails without shadows=%s", trailNames(desc.TrailList))
	}
	noErr(t)(west.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String(arn)}))
	noErr(t)(west.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(arn)}))
	noErr(t)(west.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(arn)}))

	_, err = west.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("everywhere")})
	want := "Unknown trail: arn:aws:cloudtrail:us-west-2:" + srv.Account() + ":trail/everywhere for the user: " + srv.Account()
	if msg := wantCode(t, err, "TrailNotFoundException"); msg != want {
		t.Fatalf("message=%q, want %q", msg, want)
	}
	_, err = west.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("arn:aws:cloudtrail:us-east-1:" + srv.Account() + ":trail/local")})
	wantCode(t, err, "TrailNotFoundException")

	list, err := west.ListTrails(ctx, &cloudtrail.ListTrailsInput{})
	fatalIf(t, err)
	if len(list.Trails) != 2 {
		t.Fatalf("ListTrails=%+v", list.Trails)
	}

	t.Run("MutationsOnlyInTheHomeRegion", func(t *testing.T) {
		name := aws.String(arn)
		for op, err := range map[string]error{
			"UpdateTrail":  second(west.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: name, S3KeyPrefix: aws.String("x")})),
			"DeleteTrail":  second(west.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: name})),
			"StartLogging": second(west.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: name})),
			"StopLogging":  second(west.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: name})),
			"PutEventSelectors": second(west.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: name,
				EventSelectors: []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeAll}}})),
			"PutInsightSelectors": second(west.PutInsightSelectors(ctx, &cloudtrail.PutInsightSelectorsInput{TrailName: name,
				InsightSelectors: []cttypes.InsightSelector{{InsightType: cttypes.InsightTypeApiCallRateInsight}}})),
			"AddTags": second(west.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: name, TagsList: []cttypes.Tag{{Key: aws.String("k")}}})),
		} {
			if code, _ := apiError(t, err); code != "InvalidHomeRegionException" {
				t.Errorf("%s: code=%s, want InvalidHomeRegionException", op, code)
			}
		}
	})
	t.Run("NameReservedInEveryRegion", func(t *testing.T) {
		_, err := west.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("everywhere"), S3BucketName: aws.String(trailBucket)})
		wantCode(t, err, "TrailAlreadyExistsException")
		noErr(t)(west.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("local"), S3BucketName: aws.String(trailBucket)}))
	})
	t.Run("BackToSingleRegion", func(t *testing.T) {
		upd, err := east.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("everywhere"), IsMultiRegionTrail: aws.Bool(false)})
		fatalIf(t, err)
		if aws.ToBool(upd.IsMultiRegionTrail) || aws.ToBool(upd.IncludeGlobalServiceEvents) {
			t.Fatalf("UpdateTrail=%+v", upd)
		}
		desc, err := west.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
		fatalIf(t, err)
		if trailNames(desc.TrailList) != "local" {
			t.Fatalf("DescribeTrails in us-west-2=%s", trailNames(desc.TrailList))
		}
	})
}

// second is the error of a call whose output is not needed.
func second[T any](_ T, err error) error { return err }

func TestTrails_Limit(t *testing.T) {
	srv, east := startTrails(t)
	west := trailsIn(srv, srv.Root, "us-west-2")
	createTrail(t, west, "shadowed", true)
	for _, name := range []string{"trail-1", "trail-2", "trail-3", "trail-4"} {
		createTrail(t, east, name, false)
	}
	_, err := east.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("trail-5"), S3BucketName: aws.String(trailBucket)})
	wantCode(t, err, "MaximumNumberOfTrailsExceededException")
	// us-west-2 has one trail, but a multi-region one would make six in us-east-1.
	_, err = west.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("trail-5"), S3BucketName: aws.String(trailBucket), IsMultiRegionTrail: aws.Bool(true)})
	wantCode(t, err, "MaximumNumberOfTrailsExceededException")
	noErr(t)(west.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("trail-5"), S3BucketName: aws.String(trailBucket)}))
}

func TestTrails_Errors(t *testing.T) {
	srv, ct := startTrails(t)
	createTrail(t, ct, "taken", false)
	acct := srv.Account()
	create := func(mod func(*cloudtrail.CreateTrailInput)) error {
		in := &cloudtrail.CreateTrailInput{Name: aws.String("new-trail"), S3BucketName: aws.String(trailBucket)}
		mod(in)
		_, err := ct.CreateTrail(ctx, in)
		return err
	}
	for _, tt := range []struct {
		name string
		mod  func(*cloudtrail.CreateTrailInput)
		code string
	}{
		{"NameTooShort", func(in *cloudtrail.CreateTrailInput) { in.Name = aws.String("ab") }, "InvalidTrailNameException"},
		{"NameAdjacentPunctuation", func(in *cloudtrail.CreateTrailInput) { in.Name = aws.String("my-_trail") }, "InvalidTrailNameException"},
		{"NameStartsWithDash", func(in *cloudtrail.CreateTrailInput) { in.Name = aws.String("-trail") }, "InvalidTrailNameException"},
		{"NameIsIP", func(in *cloudtrail.CreateTrailInput) { in.Name = aws.String("192.168.5.4") }, "InvalidTrailNameException"},
		{"NameBadChar", func(in *cloudtrail.CreateTrailInput) { in.Name = aws.String("my trail") }, "InvalidTrailNameException"},
		{"Exists", func(in *cloudtrail.CreateTrailInput) { in.Name = aws.String("taken") }, "TrailAlreadyExistsException"},
		{"BucketName", func(in *cloudtrail.CreateTrailInput) { in.S3BucketName = aws.String("Bad_Bucket") }, "InvalidS3BucketNameException"},
		{"NoBucket", func(in *cloudtrail.CreateTrailInput) { in.S3BucketName = aws.String("missing-bucket") }, "S3BucketDoesNotExistException"},
		{"Prefix", func(in *cloudtrail.CreateTrailInput) { in.S3KeyPrefix = aws.String(strings.Repeat("p", 201)) }, "InvalidS3PrefixException"},
		{"TopicName", func(in *cloudtrail.CreateTrailInput) { in.SnsTopicName = aws.String("bad topic") }, "InvalidSnsTopicNameException"},
		{"TopicMissing", func(in *cloudtrail.CreateTrailInput) { in.SnsTopicName = aws.String("trail-topic") }, "InsufficientSnsTopicPolicyException"},
		{"KmsKey", func(in *cloudtrail.CreateTrailInput) { in.KmsKeyId = aws.String("not a key") }, "InvalidKmsKeyIdException"},
		{"MultiRegionWithoutGlobal", func(in *cloudtrail.CreateTrailInput) {
			in.IsMultiRegionTrail, in.IncludeGlobalServiceEvents = aws.Bool(true), aws.Bool(false)
		}, "InvalidParameterCombinationException"},
		{"LogGroupWithoutRole", func(in *cloudtrail.CreateTrailInput) {
			in.CloudWatchLogsLogGroupArn = aws.String("arn:aws:logs:us-east-1:" + acct + ":log-group:trail:*")
		}, "InvalidParameterCombinationException"},
		{"LogGroupArn", func(in *cloudtrail.CreateTrailInput) {
			in.CloudWatchLogsLogGroupArn, in.CloudWatchLogsRoleArn = aws.String("log-group"), aws.String("arn:aws:iam::"+acct+":role/ct")
		}, "InvalidCloudWatchLogsLogGroupArnException"},
		{"LogsRoleArn", func(in *cloudtrail.CreateTrailInput) {
			in.CloudWatchLogsLogGroupArn = aws.String("arn:aws:logs:us-east-1:" + acct + ":log-group:trail:*")
			in.CloudWatchLogsRoleArn = aws.String("role")
		}, "InvalidCloudWatchLogsRoleArnException"},
		{"TagKey", func(in *cloudtrail.CreateTrailInput) { in.TagsList = []cttypes.Tag{{Key: aws.String("aws:x")}} }, "InvalidTagParameterException"},
		{"TooManyTags", func(in *cloudtrail.CreateTrailInput) { in.TagsList = manyTags(51) }, "TagsLimitExceededException"},
		{"NotInOrganization", func(in *cloudtrail.CreateTrailInput) { in.IsOrganizationTrail = aws.Bool(true) }, "OrganizationsNotInUseException"},
	} {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, create(tt.mod), tt.code) })
	}
	t.Run("MalformedARN", func(t *testing.T) {
		_, err := ct.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("arn:aws:cloudtrail:us-east-1:12:trail/x")})
		wantCode(t, err, "CloudTrailARNInvalidException")
		_, err = ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{"arn:aws:s3:::bucket"}})
		wantCode(t, err, "CloudTrailARNInvalidException")
	})
	t.Run("UpdateChecksTheSameRules", func(t *testing.T) {
		_, err := ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("taken"), S3BucketName: aws.String("missing-bucket")})
		wantCode(t, err, "S3BucketDoesNotExistException")
		_, err = ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("taken"), IsMultiRegionTrail: aws.Bool(true), IncludeGlobalServiceEvents: aws.Bool(false)})
		wantCode(t, err, "InvalidParameterCombinationException")
		_, err = ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("nope"), S3KeyPrefix: aws.String("x")})
		wantCode(t, err, "TrailNotFoundException")
	})
}

func TestTrails_BucketMustExist(t *testing.T) {
	srv := apptest.Start(t)
	ct := srv.CloudTrail(srv.Root)
	in := &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("late-bucket")}
	_, err := ct.CreateTrail(ctx, in)
	wantCode(t, err, "S3BucketDoesNotExistException")
	createBucket(t, srv, "late-bucket")
	noErr(t)(ct.CreateTrail(ctx, in))
}

func manyTags(n int) []cttypes.Tag {
	tags := make([]cttypes.Tag, n)
	for i := range tags {
		tags[i] = cttypes.Tag{Key: aws.String("k" + strings.Repeat("x", i)), Value: aws.String("v")}
	}
	return tags
}
