package apptest_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestTrails_Logging(t *testing.T) {
	_, ct := startTrails(t)
	createTrail(t, ct, "main", false)
	name := aws.String("main")
	st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: name})
	fatalIf(t, err)
	if aws.ToBool(st.IsLogging) || st.StartLoggingTime != nil || aws.ToString(st.TimeLoggingStarted) != "" {
		t.Fatalf("status after CreateTrail=%+v", st)
	}

	before := time.Now().Add(-time.Second)
	noErr(t)(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: name}))
	noErr(t)(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: name})) // idempotent
	st, err = ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: name})
	fatalIf(t, err)
	started := aws.ToTime(st.StartLoggingTime)
	if !aws.ToBool(st.IsLogging) || started.Before(before) || aws.ToString(st.TimeLoggingStarted) != started.UTC().Format("2006-01-02T15:04:05Z") {
		t.Fatalf("status after StartLogging=%+v", st)
	}

	noErr(t)(ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: name}))
	st, err = ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: name})
	fatalIf(t, err)
	if aws.ToBool(st.IsLogging) || st.StopLoggingTime == nil || aws.ToString(st.TimeLoggingStopped) == "" || !aws.ToTime(st.StartLoggingTime).Equal(started) {
		t.Fatalf("status after StopLogging=%+v", st)
	}
	_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("nope")})
	wantCode(t, err, "TrailNotFoundException")
}

func TestTrails_EventSelectors(t *testing.T) {
	_, ct := startTrails(t)
	created := createTrail(t, ct, "main", false)
	name := aws.String("main")
	got, err := ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: name})
	fatalIf(t, err)
	want := []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeAll, IncludeManagementEvents: aws.Bool(true),
		DataResources: []cttypes.DataResource{}, ExcludeManagementEventSources: []string{}}}
	if aws.ToString(got.TrailARN) != aws.ToString(created.TrailARN) || !cmp.Equal(got.EventSelectors, want, cmpSDK) || got.AdvancedEventSelectors != nil {
		t.Fatalf("default selectors=%+v", got)
	}

	custom := []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeWriteOnly, IncludeManagementEvents: aws.Bool(true),
		DataResources:                 []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{"arn:aws:s3:::bucket/"}}},
		ExcludeManagementEventSources: []string{"kms.amazonaws.com"}}}
	put, err := ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: name, EventSelectors: custom})
	fatalIf(t, err)
	if !cmp.Equal(put.EventSelectors, custom, cmpSDK) {
		t.Fatalf("PutEventSelectors=%+v", put.EventSelectors)
	}
	got, err = ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: name})
	fatalIf(t, err)
	if !cmp.Equal(got.EventSelectors, custom, cmpSDK) {
		t.Fatalf("GetEventSelectors=%+v", got.EventSelectors)
	}
	tr, err := ct.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: name})
	fatalIf(t, err)
	if !aws.ToBool(tr.Trail.HasCustomEventSelectors) {
		t.Fatal("HasCustomEventSelectors=false after PutEventSelectors")
	}

	advanced := []cttypes.AdvancedEventSelector{{Name: aws.String("writes"), FieldSelectors: []cttypes.AdvancedFieldSelector{
		{Field: aws.String("eventCategory"), Equals: []string{"Management"}}, {Field: aws.String("readOnly"), Equals: []string{"false"}}}}}
	put, err = ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: name, AdvancedEventSelectors: advanced})
	fatalIf(t, err)
	got, err = ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: name})
	fatalIf(t, err)
	if got.EventSelectors != nil || !cmp.Equal(got.AdvancedEventSelectors, advanced, cmpSDK) {
		t.Fatalf("GetEventSelectors after advanced=%+v", got)
	}

	field := func(f string, equals ...string) cttypes.AdvancedFieldSelector {
		return cttypes.AdvancedFieldSelector{Field: aws.String(f), Equals: equals}
	}
	for _, tt := range []struct {
		name string
		in   cloudtrail.PutEventSelectorsInput
		code string
	}{
		{"Both", cloudtrail.PutEventSelectorsInput{EventSelectors: custom, AdvancedEventSelectors: advanced}, "InvalidParameterCombinationException"},
		{"Neither", cloudtrail.PutEventSelectorsInput{}, "InvalidEventSelectorsException"},
		{"TooMany", cloudtrail.PutEventSelectorsInput{EventSelectors: make([]cttypes.EventSelector, 6)}, "InvalidEventSelectorsException"},
		{"ExcludedSource", cloudtrail.PutEventSelectorsInput{EventSelectors: []cttypes.EventSelector{{ExcludeManagementEventSources: []string{"s3.amazonaws.com"}}}}, "InvalidEventSelectorsException"},
		{"DataType", cloudtrail.PutEventSelectorsInput{EventSelectors: []cttypes.EventSelector{{DataResources: []cttypes.DataResource{{Type: aws.String("AWS::EC2::Instance"), Values: []string{"arn:aws:ec2"}}}}}}, "InvalidEventSelectorsException"},
		{"DataValue", cloudtrail.PutEventSelectorsInput{EventSelectors: []cttypes.EventSelector{{DataResources: []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{"arn:aws:lambda"}}}}}}, "InvalidEventSelectorsException"},
		{"NoCategory", cloudtrail.PutEventSelectorsInput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{field("readOnly", "true")}}}}, "InvalidEventSelectorsException"},
		{"UnknownField", cloudtrail.PutEventSelectorsInput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{field("eventCategory", "Management"), field("color", "red")}}}}, "InvalidEventSelectorsException"},
		{"ManagementByName", cloudtrail.PutEventSelectorsInput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{field("eventCategory", "Management"), field("eventName", "CreateTrail")}}}}, "InvalidEventSelectorsException"},
		{"DataWithoutType", cloudtrail.PutEventSelectorsInput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{field("eventCategory", "Data")}}}}, "InvalidEventSelectorsException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.TrailName = name
			_, err := ct.PutEventSelectors(ctx, &tt.in)
			wantCode(t, err, tt.code)
		})
	}
}

// cmpSDK compares SDK structures, ignoring their unexported
// noSmithyDocumentSerde fields.
var cmpSDK = cmpopts.IgnoreUnexported(cttypes.EventSelector{}, cttypes.DataResource{}, cttypes.AdvancedEventSelector{},
	cttypes.AdvancedFieldSelector{}, cttypes.ResourceTag{}, cttypes.Tag{})

func TestTrails_InsightSelectors(t *testing.T) {
	_, ct := startTrails(t)
	createTrail(t, ct, "main", false)
	name := aws.String("main")
	_, err := ct.GetInsightSelectors(ctx, &cloudtrail.GetInsightSelectorsInput{TrailName: name})
	wantCode(t, err, "InsightNotEnabledException")

	both := []cttypes.InsightSelector{{InsightType: cttypes.InsightTypeApiCallRateInsight}, {InsightType: cttypes.InsightTypeApiErrorRateInsight}}
	noErr(t)(ct.PutInsightSelectors(ctx, &cloudtrail.PutInsightSelectorsInput{TrailName: name, InsightSelectors: both}))
	got, err := ct.GetInsightSelectors(ctx, &cloudtrail.GetInsightSelectorsInput{TrailName: name})
	fatalIf(t, err)
	if len(got.InsightSelectors) != 2 || got.InsightSelectors[1].InsightType != cttypes.InsightTypeApiErrorRateInsight {
		t.Fatalf("GetInsightSelectors=%+v", got.InsightSelectors)
	}
	tr, err := ct.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: name})
	fatalIf(t, err)
	if !aws.ToBool(tr.Trail.HasInsightSelectors) {
		t.Fatal("HasInsightSelectors=false")
	}

	_, err = ct.PutInsightSelectors(ctx, &cloudtrail.PutInsightSelectorsInput{TrailName: name, InsightSelectors: []cttypes.InsightSelector{{InsightType: "Other"}}})
	wantCode(t, err, "InvalidInsightSelectorsException")
	readOnly := []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeReadOnly, IncludeManagementEvents: aws.Bool(true)}}
	noErr(t)(ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: name, EventSelectors: readOnly}))
	_, err = ct.PutInsightSelectors(ctx, &cloudtrail.PutInsightSelectorsInput{TrailName: name, InsightSelectors: both[:1]})
	wantCode(t, err, "InvalidInsightSelectorsException") // call rate needs write management events
	noErr(t)(ct.PutInsightSelectors(ctx, &cloudtrail.PutInsightSelectorsInput{TrailName: name, InsightSelectors: both[1:]}))

	noErr(t)(ct.PutInsightSelectors(ctx, &cloudtrail.PutInsightSelectorsInput{TrailName: name, InsightSelectors: []cttypes.InsightSelector{}}))
	_, err = ct.GetInsightSelectors(ctx, &cloudtrail.GetInsightSelectorsInput{TrailName: name})
	wantCode(t, err, "InsightNotEnabledException")
}

func TestTrails_Tags(t *testing.T) {
	srv, ct := startTrails(t)
	arn := createTrail(t, ct, "main", false).TrailARN
	noErr(t)(ct.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: arn, TagsList: []cttypes.Tag{
		{Key: aws.String("team"), Value: aws.String("ops")}, {Key: aws.String("flag")}}}))
	noErr(t)(ct.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: arn, TagsList: []cttypes.Tag{{Key: aws.String("team"), Value: aws.String("dev")}}}))
	noErr(t)(ct.RemoveTags(ctx, &cloudtrail.RemoveTagsInput{ResourceId: arn, TagsList: []cttypes.Tag{{Key: aws.String("flag"), Value: aws.String("ignored")}}}))
	list, err := ct.ListTags(ctx, &cloudtrail.ListTagsInput{ResourceIdList: []string{aws.ToString(arn)}})
	fatalIf(t, err)
	want := []cttypes.ResourceTag{{ResourceId: arn, TagsList: []cttypes.Tag{{Key: aws.String("team"), Value: aws.String("dev")}}}}
	if !cmp.Equal(list.ResourceTagList, want, cmpSDK) {
		t.Fatalf("ListTags=%+v", list.ResourceTagList)
	}

	_, err = ct.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: arn, TagsList: manyTags(50)})
	wantCode(t, err, "TagsLimitExceededException")
	_, err = ct.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: arn, TagsList: []cttypes.Tag{{Key: aws.String("")}}})
	wantCode(t, err, "InvalidTagParameterException")
	_, err = ct.AddTags(ctx, &cloudtrail.AddTagsInput{ResourceId: aws.String("main"), TagsList: []cttypes.Tag{{Key: aws.String("k")}}})
	wantCode(t, err, "CloudTrailARNInvalidException")
	_, err = ct.ListTags(ctx, &cloudtrail.ListTagsInput{ResourceIdList: []string{"arn:aws:cloudtrail:us-east-1:" + srv.Account() + ":trail/nope"}})
	wantCode(t, err, "TrailNotFoundException")
	_, err = ct.ListTags(ctx, &cloudtrail.ListTagsInput{ResourceIdList: []string{"arn:aws:cloudtrail:us-east-1:" + srv.Account() + ":eventdatastore/x"}})
	wantCode(t, err, "ResourceTypeNotSupportedException")
}

func TestTrails_Organization(t *testing.T) {
	srv, ct := startTrails(t)
	orgs := srv.Organizations(srv.Root)
	noErr(t)(orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}))
	created, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("ops@example.com"), AccountName: aws.String("ops")})
	fatalIf(t, err)
	member := aws.ToString(created.CreateAccountStatus.AccountId)

	org, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("org-trail"), S3BucketName: aws.String(trailBucket),
		IsOrganizationTrail: aws.Bool(true), IsMultiRegionTrail: aws.Bool(true)})
	fatalIf(t, err)
	if !aws.ToBool(org.IsOrganizationTrail) {
		t.Fatalf("CreateTrail=%+v", org)
	}

	admin := newUser(t, srv, "admin", adminPolicy)
	out, err := srv.STS(admin).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("ops")})
	fatalIf(t, err)
	inMember := srv.CloudTrail(fromSTS(out))

	desc, err := inMember.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	fatalIf(t, err)
	if trailNames(desc.TrailList) != "org-trail" || aws.ToString(desc.TrailList[0].TrailARN) != aws.ToString(org.TrailARN) {
		t.Fatalf("member's DescribeTrails=%+v", desc.TrailList)
	}
	noErr(t)(inMember.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: org.TrailARN}))
	_, err = inMember.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: org.TrailARN})
	wantCode(t, err, "NotOrganizationMasterAccountException")
	_, err = inMember.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: org.TrailARN})
	wantCode(t, err, "NotOrganizationMasterAccountException")

	_, err = inMember.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("mine"), S3BucketName: aws.String(trailBucket), IsOrganizationTrail: aws.Bool(true)})
	wantCode(t, err, "NotOrganizationMasterAccountException")
	// The bucket is the management account's: the member may deliver to
	// it once its policy names the member's path.
	_, err = inMember.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("mine"), S3BucketName: aws.String(trailBucket)})
	wantCode(t, err, "InsufficientS3BucketPolicyException")
	putBucketPolicy(t, srv, trailBucket, multiAccountPolicy(trailBucket, srv.Account(), member))
	noErr(t)(inMember.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("mine"), S3BucketName: aws.String(trailBucket)}))
	list, err := ct.ListTrails(ctx, &cloudtrail.ListTrailsInput{})
	fatalIf(t, err)
	if len(list.Trails) != 1 {
		t.Fatalf("management account's ListTrails=%+v (the member's own trail must not show)", list.Trails)
	}
}
