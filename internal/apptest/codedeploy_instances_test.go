package apptest_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

const (
	testUserARN    = "arn:aws:iam::123456789012:user/AWS/CodeDeploy/host"
	testSessionARN = "arn:aws:sts::123456789012:assumed-role/CodeDeployHost/host-session"
)

func deregister(tb testing.TB, c *codedeploy.Client, name string) {
	tb.Helper()
	noErr(tb)(c.DeregisterOnPremisesInstance(ctx, &codedeploy.DeregisterOnPremisesInstanceInput{InstanceName: aws.String(name)}))
}

func TestOnPremisesInstanceRegistration(t *testing.T) {
	srv, c := startCodeDeploy(t)
	noErr(t)(c.RegisterOnPremisesInstance(ctx, &codedeploy.RegisterOnPremisesInstanceInput{InstanceName: aws.String("web1"), IamUserArn: aws.String(testUserARN)}))
	noErr(t)(c.RegisterOnPremisesInstance(ctx, &codedeploy.RegisterOnPremisesInstanceInput{InstanceName: aws.String("web2"), IamSessionArn: aws.String(testSessionARN)}))

	i := getInstance(t, c, "web1")
	arnPattern := regexp.MustCompile(`^arn:aws:codedeploy:us-east-1:` + srv.Account() + `:instance/web1_[A-Za-z0-9]{10}$`)
	if !arnPattern.MatchString(aws.ToString(i.InstanceArn)) || aws.ToString(i.IamUserArn) != testUserARN || i.IamSessionArn != nil {
		t.Fatalf("instance=%+v, want ARN like %s and the user ARN", i, arnPattern)
	}
	if i.RegisterTime == nil || i.DeregisterTime != nil || i.Tags == nil || len(i.Tags) != 0 {
		t.Fatalf("RegisterTime=%v DeregisterTime=%v Tags=%v, want registered now with tags []", i.RegisterTime, i.DeregisterTime, i.Tags)
	}
	if got := aws.ToString(getInstance(t, c, "web2").IamSessionArn); got != testSessionARN {
		t.Fatalf("IamSessionArn=%s, want %s", got, testSessionARN)
	}

	taken := []struct {
		name string
		in   codedeploy.RegisterOnPremisesInstanceInput
		code string
	}{
		{"Name", codedeploy.RegisterOnPremisesInstanceInput{InstanceName: aws.String("web1"), IamUserArn: aws.String("arn:aws:iam::123456789012:user/other")}, "InstanceNameAlreadyRegisteredException"},
		{"UserARN", codedeploy.RegisterOnPremisesInstanceInput{InstanceName: aws.String("web3"), IamUserArn: aws.String(testUserARN)}, "IamUserArnAlreadyRegisteredException"},
		{"SessionARN", codedeploy.RegisterOnPremisesInstanceInput{InstanceName: aws.String("web3"), IamSessionArn: aws.String(testSessionARN)}, "IamSessionArnAlreadyRegisteredException"},
	}
	for _, tt := range taken {
		t.Run("Taken"+tt.name, func(t *testing.T) {
			_, err := c.RegisterOnPremisesInstance(ctx, &tt.in)
			wantCode(t, err, tt.code)
		})
	}

	t.Run("DeregisterAndRegisterAgain", func(t *testing.T) {
		noErr(t)(c.AddTagsToOnPremisesInstances(ctx, &codedeploy.AddTagsToOnPremisesInstancesInput{InstanceNames: []string{"web1"},
			Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}))
		deregister(t, c, "web1")
		gone := getInstance(t, c, "web1")
		if gone.DeregisterTime == nil || len(gone.Tags) != 1 {
			t.Fatalf("DeregisterTime=%v Tags=%v, want set and the tags kept", gone.DeregisterTime, gone.Tags)
		}
		deregister(t, c, "web1") // idempotent, keeps the first time
		if again := getInstance(t, c, "web1"); !again.DeregisterTime.Equal(*gone.DeregisterTime) {
			t.Fatalf("DeregisterTime=%v after a second deregister, want %v", again.DeregisterTime, gone.DeregisterTime)
		}
		deregister(t, c, "never-registered")

		// The identity is free again, and so is the name: a fresh record.
		noErr(t)(c.RegisterOnPremisesInstance(ctx, &codedeploy.RegisterOnPremisesInstanceInput{InstanceName: aws.String("web9"), IamUserArn: aws.String(testUserARN)}))
		deregister(t, c, "web9")
		noErr(t)(c.RegisterOnPremisesInstance(ctx, &codedeploy.RegisterOnPremisesInstanceInput{InstanceName: aws.String("web1"), IamUserArn: aws.String(testUserARN)}))
		fresh := getInstance(t, c, "web1")
		if fresh.DeregisterTime != nil || len(fresh.Tags) != 0 || aws.ToString(fresh.InstanceArn) == aws.ToString(gone.InstanceArn) {
			t.Fatalf("re-registered=%+v, want a fresh record with a new ARN and no tags", fresh)
		}
	})
	t.Run("GetUnknown", func(t *testing.T) {
		_, err := c.GetOnPremisesInstance(ctx, &codedeploy.GetOnPremisesInstanceInput{InstanceName: aws.String("nope")})
		wantCode(t, err, "InstanceNotRegisteredException")
	})
}

func TestRegisterOnPremisesInstanceValidation(t *testing.T) {
	_, c := startCodeDeploy(t)
	tests := []struct {
		name, instance, user, session, code string
	}{
		{"EmptyName", "", testUserARN, "", "InstanceNameRequiredException"},
		{"BadName", "web 1", testUserARN, "", "InvalidInstanceNameException"},
		{"LongName", strings.Repeat("w", 101), testUserARN, "", "InvalidInstanceNameException"},
		{"EC2LikeName", "i-0123456789abcdef0", testUserARN, "", "InvalidInstanceNameException"},
		{"NoARN", "web", "", "", "IamArnRequiredException"},
		{"BothARNs", "web", testUserARN, testSessionARN, "MultipleIamArnsProvidedException"},
		{"RoleAsUser", "web", "arn:aws:iam::123456789012:role/r", "", "InvalidIamUserArnException"},
		{"ShortAccount", "web", "arn:aws:iam::1234:user/u", "", "InvalidIamUserArnException"},
		{"UserAsSession", "web", "", testUserARN, "InvalidIamSessionArnException"},
		{"SessionWithoutName", "web", "", "arn:aws:sts::123456789012:assumed-role/r", "InvalidIamSessionArnException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &codedeploy.RegisterOnPremisesInstanceInput{InstanceName: aws.String(tt.instance)}
			if tt.user != "" {
				in.IamUserArn = aws.String(tt.user)
			}
			if tt.session != "" {
				in.IamSessionArn = aws.String(tt.session)
			}
			_, err := c.RegisterOnPremisesInstance(ctx, in)
			wantCode(t, err, tt.code)
		})
	}
}

func tagsOf(tb testing.TB, c *codedeploy.Client, name string) string {
	tb.Helper()
	var pairs []string
	for _, t := range getInstance(tb, c, name).Tags {
		pairs = append(pairs, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	slices.Sort(pairs)
	return strings.Join(pairs, ",")
}

func TestOnPremisesInstanceTags(t *testing.T) {
	_, c := startCodeDeploy(t)
	register(t, c, "a")
	register(t, c, "b")
	register(t, c, "gone")
	deregister(t, c, "gone")
	add := func(names []string, tags ...types.Tag) error {
		_, err := c.AddTagsToOnPremisesInstances(ctx, &codedeploy.AddTagsToOnPremisesInstancesInput{InstanceNames: names, Tags: tags})
		return err
	}
	remove := func(names []string, tags ...types.Tag) error {
		_, err := c.RemoveTagsFromOnPremisesInstances(ctx, &codedeploy.RemoveTagsFromOnPremisesInstancesInput{InstanceNames: names, Tags: tags})
		return err
	}

	fatalIf(t, add([]string{"a", "b"}, tag("env", "dev"), tag("role", "web")))
	fatalIf(t, add([]string{"a"}, tag("env", "prod")))
	if got := tagsOf(t, c, "a") + " " + tagsOf(t, c, "b"); got != "env=prod,role=web env=dev,role=web" {
		t.Fatalf("tags=%s, want env overwritten on a only", got)
	}
	fatalIf(t, remove([]string{"a", "b"}, tag("env", "dev"), tag("role", "web")))
	if got := tagsOf(t, c, "a") + " " + tagsOf(t, c, "b"); got != "env=prod " {
		t.Fatalf("tags=%q after remove, want only a's env=prod (key and value must match)", got)
	}

	var nine []types.Tag
	for i := range 9 {
		nine = append(nine, tag(fmt.Sprint("k", i), "v"))
	}
	fatalIf(t, add([]string{"b"}, nine...))
	t.Run("AllOrNothing", func(t *testing.T) {
		wantCode(t, add([]string{"a", "b"}, tag("x", "1"), tag("y", "2")), "TagLimitExceededException")
		wantCode(t, add([]string{"a", "nope"}, tag("x", "1")), "InstanceNotRegisteredException")
		wantCode(t, add([]string{"a", "gone"}, tag("x", "1")), "InstanceNotRegisteredException")
		wantCode(t, remove([]string{"a", "gone"}, tag("env", "prod")), "InstanceNotRegisteredException")
		if got := tagsOf(t, c, "a"); got != "env=prod" {
			t.Fatalf("tags of a=%s after failed calls, want env=prod", got)
		}
	})

	tooMany := make([]string, 101)
	for i := range tooMany {
		tooMany[i] = "a"
	}
	tests := []struct {
		name  string
		names []string
		tags  []types.Tag
		code  string
	}{
		{"NoNames", []string{}, []types.Tag{tag("k", "v")}, "InstanceNameRequiredException"},
		{"BadName", []string{"a b"}, []types.Tag{tag("k", "v")}, "InvalidInstanceNameException"},
		{"TooManyNames", tooMany, []types.Tag{tag("k", "v")}, "InstanceLimitExceededException"},
		{"NoTags", []string{"a"}, []types.Tag{}, "TagRequiredException"},
		{"EmptyKey", []string{"a"}, []types.Tag{tag("", "v")}, "InvalidTagException"},
		{"LongKey", []string{"a"}, []types.Tag{tag(strings.Repeat("k", 129), "v")}, "InvalidTagException"},
		{"LongValue", []string{"a"}, []types.Tag{tag("k", strings.Repeat("v", 257))}, "InvalidTagException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, add(tt.names, tt.tags...), tt.code)
			wantCode(t, remove(tt.names, tt.tags...), tt.code)
		})
	}
}

func TestListOnPremisesInstances(t *testing.T) {
	_, c := startCodeDeploy(t)
	var all []string
	for i := range 105 {
		name := fmt.Sprintf("host-%03d", i)
		register(t, c, name)
		all = append(all, name)
	}
	deregister(t, c, "host-000")
	tagInstances(t, c, testTags("env", "prod"), "host-001", "host-002")
	tagInstances(t, c, testTags("role", "db"), "host-003")

	// The SDK has no paginator for ListOnPremisesInstances: follow
	// nextToken by hand.
	list := func(t *testing.T, in *codedeploy.ListOnPremisesInstancesInput) []string {
		t.Helper()
		names, _ := pageByToken(t, func(next *string) ([]string, *string, error) {
			in.NextToken = next
			page, err := c.ListOnPremisesInstances(ctx, in)
			if err != nil {
				return nil, nil, err
			}
			return page.InstanceNames, page.NextToken, nil
		})
		return names
	}
	tests := []struct {
		name string
		in   codedeploy.ListOnPremisesInstancesInput
		want []string
	}{
		{"All", codedeploy.ListOnPremisesInstancesInput{}, all},
		{"Registered", codedeploy.ListOnPremisesInstancesInput{RegistrationStatus: types.RegistrationStatusRegistered}, all[1:]},
		{"Deregistered", codedeploy.ListOnPremisesInstancesInput{RegistrationStatus: types.RegistrationStatusDeregistered}, all[:1]},
		{"AnyFilter", codedeploy.ListOnPremisesInstancesInput{TagFilters: []types.TagFilter{
			{Key: aws.String("env"), Value: aws.String("prod"), Type: types.TagFilterTypeKeyAndValue},
			{Value: aws.String("db"), Type: types.TagFilterTypeValueOnly}}}, []string{"host-001", "host-002", "host-003"}},
		{"NoMatch", codedeploy.ListOnPremisesInstancesInput{TagFilters: []types.TagFilter{
			{Key: aws.String("env"), Value: aws.String("dev"), Type: types.TagFilterTypeKeyAndValue}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := list(t, &tt.in); !slices.Equal(got, tt.want) {
				t.Fatalf("instanceNames=%v, want %v", got, tt.want)
			}
		})
	}

	first, err := c.ListOnPremisesInstances(ctx, &codedeploy.ListOnPremisesInstancesInput{})
	fatalIf(t, err)
	if len(first.InstanceNames) != 100 || first.NextToken == nil {
		t.Fatalf("first page has %d names and token %v, want 100 and a token", len(first.InstanceNames), first.NextToken)
	}
	errs := []struct {
		name string
		in   codedeploy.ListOnPremisesInstancesInput
		code string
	}{
		{"TamperedToken", codedeploy.ListOnPremisesInstancesInput{NextToken: aws.String("x" + aws.ToString(first.NextToken))}, "InvalidNextTokenException"},
		{"BadStatus", codedeploy.ListOnPremisesInstancesInput{RegistrationStatus: "Lost"}, "InvalidRegistrationStatusException"},
		{"BadFilter", codedeploy.ListOnPremisesInstancesInput{TagFilters: []types.TagFilter{{Type: types.TagFilterTypeKeyOnly}}}, "InvalidTagFilterException"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.ListOnPremisesInstances(ctx, &tt.in)
			wantCode(t, err, tt.code)
		})
	}
}

func TestBatchGetOnPremisesInstances(t *testing.T) {
	_, c := startCodeDeploy(t)
	register(t, c, "a")
	register(t, c, "b")
	deregister(t, c, "b")

	out, err := c.BatchGetOnPremisesInstances(ctx, &codedeploy.BatchGetOnPremisesInstancesInput{InstanceNames: []string{"b", "unknown", "a"}})
	fatalIf(t, err)
	var names []string
	for _, i := range out.InstanceInfos {
		names = append(names, aws.ToString(i.InstanceName))
	}
	if !slices.Equal(names, []string{"b", "a"}) {
		t.Fatalf("instanceInfos=%v, want [b a] (unknown left out, deregistered included)", names)
	}

	tooMany := make([]string, 101)
	for i := range tooMany {
		tooMany[i] = fmt.Sprint("h", i)
	}
	tests := []struct {
		name  string
		names []string
		code  string
	}{
		{"Empty", []string{}, "InstanceNameRequiredException"},
		{"TooMany", tooMany, "BatchLimitExceededException"},
		{"BadName", []string{"a", "b/c"}, "InvalidInstanceNameException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.BatchGetOnPremisesInstances(ctx, &codedeploy.BatchGetOnPremisesInstancesInput{InstanceNames: tt.names})
			wantCode(t, err, tt.code)
		})
	}
}

func TestOnPremisesInstanceAuthorization(t *testing.T) {
	srv := apptest.Start(t)
	register(t, srv.CodeDeploy(srv.Root), "web1")
	nobody := srv.CodeDeploy(newUser(t, srv, "nobody", ""))
	reader := srv.CodeDeploy(newUser(t, srv, "reader", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["codedeploy:GetOnPremisesInstance","codedeploy:ListOnPremisesInstances"],"Resource":"*"}]}`))

	_, err := nobody.GetOnPremisesInstance(ctx, &codedeploy.GetOnPremisesInstanceInput{InstanceName: aws.String("web1")})
	wantCode(t, err, "AccessDeniedException")
	_, err = nobody.RegisterOnPremisesInstance(ctx, &codedeploy.RegisterOnPremisesInstanceInput{InstanceName: aws.String("web2"), IamUserArn: aws.String(testUserARN)})
	wantCode(t, err, "AccessDeniedException")
	_, err = nobody.ListOnPremisesInstances(ctx, &codedeploy.ListOnPremisesInstancesInput{})
	wantCode(t, err, "AccessDeniedException")

	noErr(t)(reader.GetOnPremisesInstance(ctx, &codedeploy.GetOnPremisesInstanceInput{InstanceName: aws.String("web1")}))
	noErr(t)(reader.ListOnPremisesInstances(ctx, &codedeploy.ListOnPremisesInstancesInput{}))
	_, err = reader.DeregisterOnPremisesInstance(ctx, &codedeploy.DeregisterOnPremisesInstanceInput{InstanceName: aws.String("web1")})
	wantCode(t, err, "AccessDeniedException")
	_, err = reader.AddTagsToOnPremisesInstances(ctx, &codedeploy.AddTagsToOnPremisesInstancesInput{InstanceNames: []string{"web1"}, Tags: []types.Tag{tag("k", "v")}})
	wantCode(t, err, "AccessDeniedException")
}
