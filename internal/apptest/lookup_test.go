package apptest_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

const adminPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// attrs turns key, value pairs into LookupAttributes.
func attrs(kv ...string) []cttypes.LookupAttribute {
	var out []cttypes.LookupAttribute
	for i := 0; i < len(kv); i += 2 {
		out = append(out, cttypes.LookupAttribute{AttributeKey: cttypes.LookupAttributeKey(kv[i]), AttributeValue: aws.String(kv[i+1])})
	}
	return out
}

// lookup returns every event matching in, all pages, newest first.
func lookup(tb testing.TB, c *cloudtrail.Client, in *cloudtrail.LookupEventsInput) []cttypes.Event {
	tb.Helper()
	var out []cttypes.Event
	p := cloudtrail.NewLookupEventsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		fatalIf(tb, err)
		out = append(out, page.Events...)
	}
	return out
}

// names returns the events' names, in order.
func names(evs []cttypes.Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, aws.ToString(e.EventName))
	}
	return out
}

// record decodes an event's CloudTrailEvent.
func record(tb testing.TB, e cttypes.Event) map[string]any {
	tb.Helper()
	var rec map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec); err != nil {
		tb.Fatalf("CloudTrailEvent is not JSON: %v\n%s", err, aws.ToString(e.CloudTrailEvent))
	}
	return rec
}

// inRegion returns the SDK configuration of c signing for region.
func inRegion(srv *apptest.Server, c apptest.Creds, region string) aws.Config {
	cfg := srv.Config(c)
	cfg.Region = region
	return cfg
}

func TestLookupEvents(t *testing.T) {
	srv := apptest.Start(t)
	alice := newUser(t, srv, "alice", adminPolicy)
	noErr(t)(srv.IAM(srv.Root).CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bob")}))
	cd := srv.CodeDeploy(alice)
	created, err := cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("shop")})
	fatalIf(t, err)
	noErr(t)(cd.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("shop")}))
	noErr(t)(cd.ListApplications(ctx, &codedeploy.ListApplicationsInput{}))
	ct := srv.CloudTrail(srv.Root)

	t.Run("EveryAttributeKey", func(t *testing.T) {
		all := lookup(t, ct, &cloudtrail.LookupEventsInput{})
		shop := all[slices.IndexFunc(all, func(e cttypes.Event) bool { return aws.ToString(e.EventName) == "CreateApplication" })]
		for _, tt := range []struct {
			key, value string
			want       []string
		}{
			{"EventId", aws.ToString(shop.EventId), []string{"CreateApplication"}},
			{"EventName", "CreateUser", []string{"CreateUser", "CreateUser"}},
			{"ReadOnly", "true", []string{"ListApplications", "GetApplication"}},
			{"ReadOnly", "false", []string{"CreateApplication", "CreateUser", "CreateAccessKey", "PutUserPolicy", "CreateUser"}},
			{"Username", "alice", []string{"ListApplications", "GetApplication", "CreateApplication"}},
			{"ResourceType", "AWS::CodeDeploy::Application", []string{"GetApplication", "CreateApplication"}},
			{"ResourceName", "bob", []string{"CreateUser"}},
			{"ResourceName", "alice", []string{"CreateAccessKey", "PutUserPolicy", "CreateUser"}},
			{"EventSource", "codedeploy.amazonaws.com", []string{"ListApplications", "GetApplication", "CreateApplication"}},
			{"AccessKeyId", srv.Root.AccessKeyID, []string{"CreateUser", "CreateAccessKey", "PutUserPolicy", "CreateUser"}},
		} {
			got := names(lookup(t, ct, &cloudtrail.LookupEventsInput{LookupAttributes: attrs(tt.key, tt.value)}))
			got = slices.DeleteFunc(got, func(n string) bool { return n == "LookupEvents" }) // this test's own
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s=%s: events %v, want %v", tt.key, tt.value, got, tt.want)
			}
		}
	})
	t.Run("EventFields", func(t *testing.T) {
		evs := lookup(t, ct, &cloudtrail.LookupEventsInput{LookupAttributes: attrs("EventName", "CreateApplication")})
		if len(evs) != 1 {
			t.Fatalf("events=%v", names(evs))
		}
		e := evs[0]
		if aws.ToString(e.ReadOnly) != "false" || aws.ToString(e.Username) != "alice" || aws.ToString(e.AccessKeyId) != alice.AccessKeyID ||
			aws.ToString(e.EventSource) != "codedeploy.amazonaws.com" || time.Since(aws.ToTime(e.EventTime)) > time.Minute ||
			len(e.Resources) != 1 || aws.ToString(e.Resources[0].ResourceType) != "AWS::CodeDeploy::Application" ||
			aws.ToString(e.Resources[0].ResourceName) != "shop" {
			t.Fatalf("event=%+v", e)
		}
		rec := record(t, e)
		if rec["requestID"] != requestID(t, created.ResultMetadata) || rec["eventID"] != aws.ToString(e.EventId) ||
			rec["eventName"] != "CreateApplication" || rec["recipientAccountId"] != srv.Account() {
			t.Fatalf("CloudTrailEvent=%v", rec)
		}
	})
	t.Run("SeveralAttributesAreANDed", func(t *testing.T) { // a deploytrail extension
		got := names(lookup(t, ct, &cloudtrail.LookupEventsInput{LookupAttributes: attrs("Username", "alice", "ReadOnly", "false")}))
		if !slices.Equal(got, []string{"CreateApplication"}) {
			t.Fatalf("Username=alice AND ReadOnly=false: %v", got)
		}
		got = names(lookup(t, ct, &cloudtrail.LookupEventsInput{LookupAttributes: attrs("ResourceType", "AWS::IAM::User", "ResourceName", "shop")}))
		if len(got) != 0 {
			t.Fatalf("ResourceType=AWS::IAM::User AND ResourceName=shop: %v", got)
		}
	})
	t.Run("LookupEventsIsRecordedAfterItRan", func(t *testing.T) {
		evs := lookup(t, ct, &cloudtrail.LookupEventsInput{LookupAttributes: attrs("EventSource", "cloudtrail.amazonaws.com")})
		if len(evs) == 0 || aws.ToString(evs[0].EventName) != "LookupEvents" || aws.ToString(evs[0].ReadOnly) != "true" {
			t.Fatalf("events=%v", names(evs))
		}
	})
	t.Run("InclusiveTimeRange", func(t *testing.T) {
		e := lookup(t, ct, &cloudtrail.LookupEventsInput{LookupAttributes: attrs("EventName", "GetApplication")})[0]
		at := aws.ToTime(e.EventTime)
		in := func(start, end time.Time) bool {
			evs := lookup(t, ct, &cloudtrail.LookupEventsInput{StartTime: &start, EndTime: &end})
			return slices.ContainsFunc(evs, func(x cttypes.Event) bool { return aws.ToString(x.EventId) == aws.ToString(e.EventId) })
		}
		if !in(at, at) {
			t.Errorf("StartTime=EndTime=eventTime misses the event")
		}
		if in(at.Add(time.Second), at.Add(time.Hour)) || in(at.Add(-time.Hour), at.Add(-time.Second)) {
			t.Errorf("a range that excludes the event returns it")
		}
	})
	t.Run("PagesNewestFirst", func(t *testing.T) {
		whole, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: attrs("ReadOnly", "false")})
		fatalIf(t, err)
		var paged []cttypes.Event
		pages := 0
		p := cloudtrail.NewLookupEventsPaginator(ct, &cloudtrail.LookupEventsInput{LookupAttributes: attrs("ReadOnly", "false"), MaxResults: aws.Int32(2)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			fatalIf(t, err)
			if len(page.Events) > 2 {
				t.Fatalf("page of %d events, MaxResults 2", len(page.Events))
			}
			paged = append(paged, page.Events...)
			pages++
		}
		ids := func(evs []cttypes.Event) (out []string) {
			for _, e := range evs {
				out = append(out, aws.ToString(e.EventId))
			}
			return out
		}
		if pages != 3 || !slices.Equal(ids(paged), ids(whole.Events)) || whole.NextToken != nil {
			t.Fatalf("%d pages of %v, want 3 pages of %v in one order", pages, names(paged), names(whole.Events))
		}
		for i := 1; i < len(paged); i++ {
			if aws.ToTime(paged[i].EventTime).After(aws.ToTime(paged[i-1].EventTime)) {
				t.Fatalf("event %d is newer than event %d", i, i-1)
			}
		}
	})
	t.Run("NextTokenBoundToItsLookup", func(t *testing.T) {
		first, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: attrs("ReadOnly", "false"), MaxResults: aws.Int32(1)})
		fatalIf(t, err)
		token := aws.ToString(first.NextToken)
		if token == "" {
			t.Fatal("no NextToken")
		}
		_, err = ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: attrs("ReadOnly", "false"), MaxResults: aws.Int32(5), NextToken: &token})
		fatalIf(t, err) // another page size is fine
		for name, in := range map[string]*cloudtrail.LookupEventsInput{
			"OtherAttribute": {LookupAttributes: attrs("ReadOnly", "true"), NextToken: &token},
			"NoAttribute":    {NextToken: &token},
			"OtherTimeRange": {LookupAttributes: attrs("ReadOnly", "false"), StartTime: aws.Time(time.Now().Add(-time.Hour)), NextToken: &token},
			"Tampered":       {LookupAttributes: attrs("ReadOnly", "false"), NextToken: aws.String("x" + token[1:])},
			"Garbage":        {LookupAttributes: attrs("ReadOnly", "false"), NextToken: aws.String("garbage")},
		} {
			_, err := ct.LookupEvents(ctx, in)
			if err == nil {
				t.Errorf("%s: err=nil, want InvalidNextTokenException", name)
				continue
			}
			if code, _ := apiError(t, err); code != "InvalidNextTokenException" {
				t.Errorf("%s: code=%s, want InvalidNextTokenException", name, code)
			}
		}
	})
	t.Run("NextTokenBoundToRegion", func(t *testing.T) {
		first, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(1)})
		fatalIf(t, err)
		_, err = srv.CloudTrail(alice).LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(1), NextToken: first.NextToken})
		fatalIf(t, err) // same account: alice may continue root's listing
		cfg := inRegion(srv, srv.Root, "eu-west-1")
		_, err = cloudtrail.NewFromConfig(cfg).LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(1), NextToken: first.NextToken})
		wantCode(t, err, "InvalidNextTokenException")
	})
}

func TestLookupEvents_InvalidInput(t *testing.T) {
	srv := apptest.Start(t)
	ct := srv.CloudTrail(srv.Root)
	now := time.Now()
	for _, tt := range []struct {
		name string
		in   *cloudtrail.LookupEventsInput
		code string
	}{
		{"UnknownKey", &cloudtrail.LookupEventsInput{LookupAttributes: attrs("Region", "us-east-1")}, "InvalidLookupAttributesException"},
		{"KeyIsCaseSensitive", &cloudtrail.LookupEventsInput{LookupAttributes: attrs("eventName", "CreateUser")}, "InvalidLookupAttributesException"},
		{"EmptyValue", &cloudtrail.LookupEventsInput{LookupAttributes: attrs("EventName", "")}, "InvalidLookupAttributesException"},
		{"ValueTooLong", &cloudtrail.LookupEventsInput{LookupAttributes: attrs("EventName", strings.Repeat("a", 2001))}, "InvalidLookupAttributesException"},
		{"UnderscoresCountDouble", &cloudtrail.LookupEventsInput{LookupAttributes: attrs("EventName", strings.Repeat("_", 1001))}, "InvalidLookupAttributesException"},
		{"MaxResultsZero", &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(0)}, "InvalidMaxResultsException"},
		{"MaxResults51", &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(51)}, "InvalidMaxResultsException"},
		{"StartAfterEnd", &cloudtrail.LookupEventsInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Second))}, "InvalidTimeRangeException"},
		{"EventCategory", &cloudtrail.LookupEventsInput{EventCategory: "management"}, "InvalidEventCategoryException"},
		{"InsightAttributeKey", &cloudtrail.LookupEventsInput{EventCategory: cttypes.EventCategoryInsight, LookupAttributes: attrs("Username", "root")}, "InvalidLookupAttributesException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ct.LookupEvents(ctx, tt.in)
			wantCode(t, err, tt.code)
		})
	}
	t.Run("ValidEdges", func(t *testing.T) {
		for _, in := range []*cloudtrail.LookupEventsInput{
			{LookupAttributes: attrs("EventName", strings.Repeat("_", 1000))},
			{LookupAttributes: attrs("EventName", strings.Repeat("a", 2000))},
			{MaxResults: aws.Int32(1)}, {MaxResults: aws.Int32(50)},
			{StartTime: aws.Time(now), EndTime: aws.Time(now)},
			{StartTime: aws.Time(now.Add(-10 * 365 * 24 * time.Hour))}, // older than the history: clamped
		} {
			noErr(t)(ct.LookupEvents(ctx, in))
		}
	})
	t.Run("InsightsHasNoEvents", func(t *testing.T) {
		out, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{EventCategory: cttypes.EventCategoryInsight, LookupAttributes: attrs("EventName", "CreateUser")})
		fatalIf(t, err)
		if len(out.Events) != 0 || out.NextToken != nil {
			t.Fatalf("insight lookup=%d events", len(out.Events))
		}
	})
	t.Run("NeedsPermission", func(t *testing.T) {
		nobody := newUser(t, srv, "nobody", "")
		_, err := srv.CloudTrail(nobody).LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
		msg := wantCode(t, err, "AccessDeniedException")
		if !strings.Contains(msg, "cloudtrail:LookupEvents") {
			t.Fatalf("message=%q", msg)
		}
		reader := newUser(t, srv, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:LookupEvents","Resource":"*"}]}`)
		noErr(t)(srv.CloudTrail(reader).LookupEvents(ctx, &cloudtrail.LookupEventsInput{}))
	})
}

// TestLookupEvents_AccountsAreIsolated looks events up from a member
// account of the organization: it sees its own and its copy of the
// AssumeRole into it, none of the management account's.
func TestLookupEvents_AccountsAreIsolated(t *testing.T) {
	srv := apptest.Start(t)
	member, inMember := memberSession(t, srv, "ops")
	noErr(t)(srv.IAM(inMember).CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("member-only")}))

	// The member sees its own CreateUser and its copy of the AssumeRole
	// that opened a session into it (spec §10.4), nothing else.
	mine := lookup(t, srv.CloudTrail(inMember), &cloudtrail.LookupEventsInput{})
	if !slices.Equal(names(mine), []string{"CreateUser", "AssumeRole"}) {
		t.Fatalf("member sees %v, want its CreateUser and the AssumeRole into it", names(mine))
	}
	for i, user := range []string{"ops", ""} { // the session's name; the AssumeRole's caller is another account
		if rec := record(t, mine[i]); rec["recipientAccountId"] != member || aws.ToString(mine[i].Username) != user {
			t.Fatalf("member's event=%v (Username %s, want %s)", rec, aws.ToString(mine[i].Username), user)
		}
	}
	theirs := lookup(t, srv.CloudTrail(srv.Root), &cloudtrail.LookupEventsInput{})
	for _, e := range theirs {
		if rec := record(t, e); rec["recipientAccountId"] != srv.Account() {
			t.Fatalf("management account sees %v", rec)
		}
	}
	if !slices.Contains(names(theirs), "AssumeRole") {
		t.Fatalf("management sees %v, want its own copy of AssumeRole", names(theirs))
	}
}

// TestLookupEvents_RegionScoped looks events up per region: CodeDeploy
// events where the call was signed, IAM events in us-east-1 wherever.
func TestLookupEvents_RegionScoped(t *testing.T) {
	srv := apptest.Start(t)
	west := inRegion(srv, srv.Root, "us-west-2")
	noErr(t)(codedeploy.NewFromConfig(west).CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("west-app")}))
	noErr(t)(awsiam.NewFromConfig(west).CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("westie")}))

	inWest := lookup(t, cloudtrail.NewFromConfig(west), &cloudtrail.LookupEventsInput{})
	if !slices.Equal(names(inWest), []string{"CreateApplication"}) || record(t, inWest[0])["awsRegion"] != "us-west-2" {
		t.Fatalf("us-west-2 has %v, want only CreateApplication", names(inWest))
	}
	inEast := names(lookup(t, srv.CloudTrail(srv.Root), &cloudtrail.LookupEventsInput{}))
	if !slices.Contains(inEast, "CreateUser") || slices.Contains(inEast, "CreateApplication") {
		t.Fatalf("us-east-1 has %v, want CreateUser and no CreateApplication", inEast)
	}
}
