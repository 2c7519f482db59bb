package apptest_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/deploytrail/deploytrail/internal/apptest"
	cd "github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/store"
)

func TestDeploymentGroupDefaults(t *testing.T) {
	_, c := startCodeDeploy(t)
	newApp(t, c, "App", "")
	id := newGroup(t, c, "App", "DG")
	g := getGroup(t, c, "App", "DG")

	if aws.ToString(g.DeploymentGroupId) != id || len(id) != 36 {
		t.Fatalf("DeploymentGroupId=%s, want the created id %s (a UUID)", aws.ToString(g.DeploymentGroupId), id)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"ApplicationName", aws.ToString(g.ApplicationName), "App"},
		{"DeploymentGroupName", aws.ToString(g.DeploymentGroupName), "DG"},
		{"DeploymentConfigName", aws.ToString(g.DeploymentConfigName), "CodeDeployDefault.OneAtATime"},
		{"ServiceRoleArn", aws.ToString(g.ServiceRoleArn), testRole},
		{"ComputePlatform", g.ComputePlatform, types.ComputePlatformServer},
		{"DeploymentStyle", *g.DeploymentStyle, types.DeploymentStyle{DeploymentType: types.DeploymentTypeInPlace, DeploymentOption: types.DeploymentOptionWithoutTrafficControl}},
		{"OutdatedInstancesStrategy", g.OutdatedInstancesStrategy, types.OutdatedInstancesStrategyUpdate},
		{"AlarmConfiguration", fmt.Sprint(g.AlarmConfiguration.Enabled, g.AlarmConfiguration.IgnorePollAlarmFailure, g.AlarmConfiguration.Alarms != nil, len(g.AlarmConfiguration.Alarms)), "false false true 0"},
		{"AutoRollbackConfiguration.Enabled", g.AutoRollbackConfiguration.Enabled, false},
		{"TerminationHookEnabled", g.TerminationHookEnabled, false},
		// [] rather than absent, as AWS returns them.
		{"Ec2TagFilters", g.Ec2TagFilters != nil && len(g.Ec2TagFilters) == 0, true},
		{"OnPremisesInstanceTagFilters", g.OnPremisesInstanceTagFilters != nil && len(g.OnPremisesInstanceTagFilters) == 0, true},
		{"AutoScalingGroups", g.AutoScalingGroups != nil && len(g.AutoScalingGroups) == 0, true},
		{"TriggerConfigurations", g.TriggerConfigurations != nil && len(g.TriggerConfigurations) == 0, true},
		{"EcsServices", g.EcsServices == nil, true},
	}
	for _, tt := range checks {
		if tt.got != tt.want {
			t.Errorf("%s=%v, want %v", tt.name, tt.got, tt.want)
		}
	}
	_, err := c.CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String("App"),
		DeploymentGroupName: aws.String("DG"), ServiceRoleArn: aws.String(testRole)})
	wantCode(t, err, "DeploymentGroupAlreadyExistsException")
}

// fullGroup is a CreateDeploymentGroup request setting every member an
// on-premises group uses.
func fullGroup(app, name string) *codedeploy.CreateDeploymentGroupInput {
	return &codedeploy.CreateDeploymentGroupInput{
		ApplicationName: aws.String(app), DeploymentGroupName: aws.String(name), ServiceRoleArn: aws.String(testRole),
		DeploymentConfigName: aws.String("CodeDeployDefault.AllAtOnce"),
		OnPremisesTagSet: &types.OnPremisesTagSet{OnPremisesTagSetList: [][]types.TagFilter{
			{{Key: aws.String("env"), Value: aws.String("prod"), Type: types.TagFilterTypeKeyAndValue}},
			{{Key: aws.String("web"), Type: types.TagFilterTypeKeyOnly}, {Value: aws.String("api"), Type: types.TagFilterTypeValueOnly}},
		}},
		TriggerConfigurations: []types.TriggerConfig{{TriggerName: aws.String("t1"),
			TriggerTargetArn: aws.String("arn:aws:sns:us-east-1:123456789012:deploys"),
			TriggerEvents:    []types.TriggerEventType{types.TriggerEventTypeDeploymentFailure, types.TriggerEventTypeInstanceStart}}},
		AlarmConfiguration: &types.AlarmConfiguration{Enabled: true, IgnorePollAlarmFailure: true,
			Alarms: []types.Alarm{{Name: aws.String("cpu-high")}}},
		AutoRollbackConfiguration: &types.AutoRollbackConfiguration{Enabled: true,
			Events: []types.AutoRollbackEvent{types.AutoRollbackEventDeploymentFailure}},
		DeploymentStyle:           &types.DeploymentStyle{DeploymentType: types.DeploymentTypeInPlace, DeploymentOption: types.DeploymentOptionWithTrafficControl},
		LoadBalancerInfo:          &types.LoadBalancerInfo{ElbInfoList: []types.ELBInfo{{Name: aws.String("lb")}}},
		OutdatedInstancesStrategy: types.OutdatedInstancesStrategyIgnore,
		Tags:                      []types.Tag{{Key: aws.String("team"), Value: aws.String("ops")}},
	}
}

func TestDeploymentGroupSettings(t *testing.T) {
	srv, c := startCodeDeploy(t)
	newApp(t, c, "App", "")
	noErr(t)(c.CreateDeploymentGroup(ctx, fullGroup("App", "DG")))
	g := getGroup(t, c, "App", "DG")

	set := g.OnPremisesTagSet.OnPremisesTagSetList
	if len(set) != 2 || len(set[1]) != 2 || aws.ToString(set[0][0].Value) != "prod" || set[1][1].Type != types.TagFilterTypeValueOnly {
		t.Fatalf("OnPremisesTagSet=%+v, want the two tag groups given", set)
	}
	if tr := g.TriggerConfigurations; len(tr) != 1 || aws.ToString(tr[0].TriggerName) != "t1" || len(tr[0].TriggerEvents) != 2 {
		t.Fatalf("TriggerConfigurations=%+v, want t1 with two events", tr)
	}
	if a := g.AlarmConfiguration; !a.Enabled || !a.IgnorePollAlarmFailure || len(a.Alarms) != 1 {
		t.Fatalf("AlarmConfiguration=%+v, want enabled with cpu-high", a)
	}
	if r := g.AutoRollbackConfiguration; !r.Enabled || len(r.Events) != 1 {
		t.Fatalf("AutoRollbackConfiguration=%+v, want enabled on DEPLOYMENT_FAILURE", r)
	}
	if g.DeploymentStyle.DeploymentOption != types.DeploymentOptionWithTrafficControl || len(g.LoadBalancerInfo.ElbInfoList) != 1 {
		t.Fatalf("DeploymentStyle=%+v LoadBalancerInfo=%+v, want traffic control behind lb", g.DeploymentStyle, g.LoadBalancerInfo)
	}
	if g.OutdatedInstancesStrategy != types.OutdatedInstancesStrategyIgnore || aws.ToString(g.DeploymentConfigName) != "CodeDeployDefault.AllAtOnce" {
		t.Fatalf("OutdatedInstancesStrategy=%s DeploymentConfigName=%s", g.OutdatedInstancesStrategy, aws.ToString(g.DeploymentConfigName))
	}
	arn := "arn:aws:codedeploy:us-east-1:" + srv.Account() + ":deploymentgroup:App/DG"
	tags, err := c.ListTagsForResource(ctx, &codedeploy.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	fatalIf(t, err)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" {
		t.Fatalf("Tags=%+v, want team=ops", tags.Tags)
	}
}

func TestCreateDeploymentGroupValidation(t *testing.T) {
	_, c := startCodeDeploy(t)
	newApp(t, c, "App", "")
	filter := func(k, v string, typ types.TagFilterType) types.TagFilter {
		return types.TagFilter{Key: aws.String(k), Value: aws.String(v), Type: typ}
	}
	ec2 := func(k, v string, typ types.EC2TagFilterType) types.EC2TagFilter {
		return types.EC2TagFilter{Key: aws.String(k), Value: aws.String(v), Type: typ}
	}
	trigger := func(name, arn string, events ...types.TriggerEventType) types.TriggerConfig {
		return types.TriggerConfig{TriggerName: aws.String(name), TriggerTargetArn: aws.String(arn), TriggerEvents: events}
	}
	const topic = "arn:aws:sns:us-east-1:123456789012:topic"
	tests := []struct {
		name string
		edit func(in *codedeploy.CreateDeploymentGroupInput)
		code string
	}{
		{"NoApplication", func(in *codedeploy.CreateDeploymentGroupInput) { in.ApplicationName = aws.String("Nope") }, "ApplicationDoesNotExistException"},
		{"EmptyApplicationName", func(in *codedeploy.CreateDeploymentGroupInput) { in.ApplicationName = aws.String("") }, "ApplicationNameRequiredException"},
		{"EmptyName", func(in *codedeploy.CreateDeploymentGroupInput) { in.DeploymentGroupName = aws.String("") }, "DeploymentGroupNameRequiredException"},
		{"BadName", func(in *codedeploy.CreateDeploymentGroupInput) { in.DeploymentGroupName = aws.String("a b") }, "InvalidDeploymentGroupNameException"},
		{"LongName", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.DeploymentGroupName = aws.String(strings.Repeat("a", 101))
		}, "InvalidDeploymentGroupNameException"},
		{"NoRole", func(in *codedeploy.CreateDeploymentGroupInput) { in.ServiceRoleArn = aws.String("") }, "RoleRequiredException"},
		{"UserNotRole", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.ServiceRoleArn = aws.String("arn:aws:iam::123456789012:user/bob")
		}, "InvalidRoleException"},
		{"UnknownConfig", func(in *codedeploy.CreateDeploymentGroupInput) { in.DeploymentConfigName = aws.String("Custom") }, "DeploymentConfigDoesNotExistException"},
		{"LambdaConfig", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.DeploymentConfigName = aws.String("CodeDeployDefault.LambdaAllAtOnce")
		}, "InvalidDeploymentConfigNameException"},
		{"EC2Combination", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.Ec2TagFilters = []types.EC2TagFilter{ec2("a", "b", types.EC2TagFilterTypeKeyAndValue)}
			in.Ec2TagSet = &types.EC2TagSet{Ec2TagSetList: [][]types.EC2TagFilter{{ec2("a", "", types.EC2TagFilterTypeKeyOnly)}}}
		}, "InvalidEC2TagCombinationException"},
		{"OnPremCombination", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.OnPremisesInstanceTagFilters = []types.TagFilter{filter("a", "b", types.TagFilterTypeKeyAndValue)}
			in.OnPremisesTagSet = &types.OnPremisesTagSet{OnPremisesTagSetList: [][]types.TagFilter{{filter("a", "", types.TagFilterTypeKeyOnly)}}}
		}, "InvalidOnPremisesTagCombinationException"},
		{"FourTagGroups", func(in *codedeploy.CreateDeploymentGroupInput) {
			f := []types.TagFilter{filter("a", "", types.TagFilterTypeKeyOnly)}
			in.OnPremisesTagSet = &types.OnPremisesTagSet{OnPremisesTagSetList: [][]types.TagFilter{f, f, f, f}}
		}, "TagSetListLimitExceededException"},
		{"KeyOnlyWithValue", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.OnPremisesInstanceTagFilters = []types.TagFilter{filter("a", "b", types.TagFilterTypeKeyOnly)}
		}, "InvalidTagException"},
		{"EC2ValueOnlyWithoutValue", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.Ec2TagFilters = []types.EC2TagFilter{ec2("", "", types.EC2TagFilterTypeValueOnly)}
		}, "InvalidEC2TagException"},
		{"UnknownFilterType", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.OnPremisesInstanceTagFilters = []types.TagFilter{filter("a", "b", "SOMETIMES")}
		}, "InvalidTagException"},
		{"AutoScalingGroups", func(in *codedeploy.CreateDeploymentGroupInput) { in.AutoScalingGroups = []string{"asg"} }, "InvalidAutoScalingGroupException"},
		{"TriggerNotSNS", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.TriggerConfigurations = []types.TriggerConfig{trigger("t", "arn:aws:sqs:us-east-1:123456789012:q", types.TriggerEventTypeDeploymentStart)}
		}, "InvalidTriggerConfigException"},
		{"TriggerUnknownEvent", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.TriggerConfigurations = []types.TriggerConfig{trigger("t", topic, "DeploymentExploded")}
		}, "InvalidTriggerConfigException"},
		{"TriggerNoEvents", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.TriggerConfigurations = []types.TriggerConfig{trigger("t", topic)}
		}, "InvalidTriggerConfigException"},
		{"TriggerNamesRepeat", func(in *codedeploy.CreateDeploymentGroupInput) {
			t := trigger("t", topic, types.TriggerEventTypeDeploymentStart)
			in.TriggerConfigurations = []types.TriggerConfig{t, t}
		}, "InvalidTriggerConfigException"},
		{"ElevenTriggers", func(in *codedeploy.CreateDeploymentGroupInput) {
			for i := range 11 {
				in.TriggerConfigurations = append(in.TriggerConfigurations, trigger(fmt.Sprint("t", i), topic, types.TriggerEventTypeDeploymentStart))
			}
		}, "TriggerTargetsLimitExceededException"},
		{"AlarmsEnabledEmpty", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.AlarmConfiguration = &types.AlarmConfiguration{Enabled: true}
		}, "InvalidAlarmConfigException"},
		{"AlarmRepeated", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.AlarmConfiguration = &types.AlarmConfiguration{Alarms: []types.Alarm{{Name: aws.String("a")}, {Name: aws.String("a")}}}
		}, "InvalidAlarmConfigException"},
		{"ElevenAlarms", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.AlarmConfiguration = &types.AlarmConfiguration{}
			for i := range 11 {
				in.AlarmConfiguration.Alarms = append(in.AlarmConfiguration.Alarms, types.Alarm{Name: aws.String(fmt.Sprint("a", i))})
			}
		}, "AlarmsLimitExceededException"},
		{"RollbackNoEvents", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.AutoRollbackConfiguration = &types.AutoRollbackConfiguration{Enabled: true}
		}, "InvalidAutoRollbackConfigException"},
		{"RollbackUnknownEvent", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.AutoRollbackConfiguration = &types.AutoRollbackConfiguration{Events: []types.AutoRollbackEvent{"SOMETIMES"}}
		}, "InvalidAutoRollbackConfigException"},
		{"StyleUnknown", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.DeploymentStyle = &types.DeploymentStyle{DeploymentType: "SIDEWAYS"}
		}, "InvalidDeploymentStyleException"},
		{"TrafficControlWithoutLB", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.DeploymentStyle = &types.DeploymentStyle{DeploymentOption: types.DeploymentOptionWithTrafficControl}
		}, "InvalidLoadBalancerInfoException"},
		{"TrafficControlEmptyLB", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.DeploymentStyle = &types.DeploymentStyle{DeploymentOption: types.DeploymentOptionWithTrafficControl}
			in.LoadBalancerInfo = &types.LoadBalancerInfo{}
		}, "InvalidLoadBalancerInfoException"},
		{"BlueGreenOnPrem", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.DeploymentStyle = &types.DeploymentStyle{DeploymentType: types.DeploymentTypeBlueGreen, DeploymentOption: types.DeploymentOptionWithTrafficControl}
			in.LoadBalancerInfo = &types.LoadBalancerInfo{ElbInfoList: []types.ELBInfo{{Name: aws.String("lb")}}}
			in.OnPremisesInstanceTagFilters = []types.TagFilter{filter("a", "b", types.TagFilterTypeKeyAndValue)}
		}, "InvalidBlueGreenDeploymentConfigurationException"},
		{"BlueGreenBadAction", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.BlueGreenDeploymentConfiguration = &types.BlueGreenDeploymentConfiguration{
				TerminateBlueInstancesOnDeploymentSuccess: &types.BlueInstanceTerminationOption{Action: "EXPLODE"}}
		}, "InvalidBlueGreenDeploymentConfigurationException"},
		{"OutdatedStrategyUnknown", func(in *codedeploy.CreateDeploymentGroupInput) { in.OutdatedInstancesStrategy = "SOMETIMES" }, "InvalidInputException"},
		{"ECSServiceOnServer", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.EcsServices = []types.ECSService{{ClusterName: aws.String("c"), ServiceName: aws.String("s")}}
		}, "InvalidECSServiceException"},
		{"ReservedTag", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.Tags = []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}
		}, "InvalidTagsToAddException"},
		{"EmptyTagKey", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.Tags = []types.Tag{{Key: aws.String(""), Value: aws.String("v")}}
		}, "InvalidTagsToAddException"},
		// Group tags are what ListTagsForResource returns: TagResource's
		// character set holds for them too.
		{"TagCharacterSet", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("a*b")}}
		}, "InvalidTagsToAddException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String("App"),
				DeploymentGroupName: aws.String("DG"), ServiceRoleArn: aws.String(testRole)}
			tt.edit(in)
			_, err := c.CreateDeploymentGroup(ctx, in)
			wantCode(t, err, tt.code)
		})
	}
	groups, err := c.ListDeploymentGroups(ctx, &codedeploy.ListDeploymentGroupsInput{ApplicationName: aws.String("App")})
	fatalIf(t, err)
	if len(groups.DeploymentGroups) != 0 {
		t.Fatalf("DeploymentGroups=%v after refused creates, want none", groups.DeploymentGroups)
	}
}

func TestListDeploymentGroups(t *testing.T) {
	_, c := startCodeDeploy(t)
	newApp(t, c, "App", "")
	newApp(t, c, "Other", "")
	newGroup(t, c, "Other", "elsewhere")
	var want []string
	for i := range 101 {
		name := fmt.Sprintf("dg-%03d", i)
		newGroup(t, c, "App", name)
		want = append(want, name)
	}

	p := codedeploy.NewListDeploymentGroupsPaginator(c, &codedeploy.ListDeploymentGroupsInput{ApplicationName: aws.String("App")})
	got, pages := allPages(t, p, func(page *codedeploy.ListDeploymentGroupsOutput) []string {
		if aws.ToString(page.ApplicationName) != "App" {
			t.Fatalf("ApplicationName=%s, want App", aws.ToString(page.ApplicationName))
		}
		return page.DeploymentGroups
	})
	if pages != 2 || !slices.Equal(got, want) {
		t.Fatalf("pages=%d groups=%v, want 2 pages of %v", pages, got, want)
	}

	first, err := c.ListDeploymentGroups(ctx, &codedeploy.ListDeploymentGroupsInput{ApplicationName: aws.String("App")})
	fatalIf(t, err)
	token := aws.ToString(first.NextToken)
	for name, in := range map[string]*codedeploy.ListDeploymentGroupsInput{
		"Tampered":         {ApplicationName: aws.String("App"), NextToken: aws.String("x" + token)},
		"OtherApplication": {ApplicationName: aws.String("Other"), NextToken: aws.String(token)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.ListDeploymentGroups(ctx, in)
			wantCode(t, err, "InvalidNextTokenException")
		})
	}
	_, err = c.ListDeploymentGroups(ctx, &codedeploy.ListDeploymentGroupsInput{ApplicationName: aws.String("Nope")})
	wantCode(t, err, "ApplicationDoesNotExistException")
}

func TestBatchGetDeploymentGroups(t *testing.T) {
	_, c := startCodeDeploy(t)
	newApp(t, c, "App", "")
	newGroup(t, c, "App", "a")
	newGroup(t, c, "App", "b")

	out, err := c.BatchGetDeploymentGroups(ctx, &codedeploy.BatchGetDeploymentGroupsInput{ApplicationName: aws.String("App"),
		DeploymentGroupNames: []string{"b", "missing", "a"}})
	fatalIf(t, err)
	var names []string
	for _, g := range out.DeploymentGroupsInfo {
		names = append(names, aws.ToString(g.DeploymentGroupName))
	}
	if !slices.Equal(names, []string{"b", "a"}) || !strings.Contains(aws.ToString(out.ErrorMessage), "missing") {
		t.Fatalf("groups=%v errorMessage=%q, want [b a] and missing reported", names, aws.ToString(out.ErrorMessage))
	}

	tooMany := make([]string, 101)
	for i := range tooMany {
		tooMany[i] = fmt.Sprint("g", i)
	}
	tests := []struct {
		name, app string
		names     []string
		code      string
	}{
		{"Empty", "App", []string{}, "DeploymentGroupNameRequiredException"},
		{"TooMany", "App", tooMany, "BatchLimitExceededException"},
		{"BadName", "App", []string{"a", "b c"}, "InvalidDeploymentGroupNameException"},
		{"NoApplication", "Nope", []string{"a"}, "ApplicationDoesNotExistException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.BatchGetDeploymentGroups(ctx, &codedeploy.BatchGetDeploymentGroupsInput{ApplicationName: aws.String(tt.app), DeploymentGroupNames: tt.names})
			wantCode(t, err, tt.code)
		})
	}
}

func TestUpdateDeploymentGroup(t *testing.T) {
	_, c := startCodeDeploy(t)
	newApp(t, c, "App", "")
	noErr(t)(c.CreateDeploymentGroup(ctx, fullGroup("App", "DG")))
	id := aws.ToString(getGroup(t, c, "App", "DG").DeploymentGroupId)
	newGroup(t, c, "App", "Taken")

	t.Run("AbsentKeepsPresentReplaces", func(t *testing.T) {
		out, err := c.UpdateDeploymentGroup(ctx, &codedeploy.UpdateDeploymentGroupInput{ApplicationName: aws.String("App"),
			CurrentDeploymentGroupName: aws.String("DG"), NewDeploymentGroupName: aws.String("DG2"),
			OnPremisesTagSet:             &types.OnPremisesTagSet{},
			OnPremisesInstanceTagFilters: []types.TagFilter{{Key: aws.String("k"), Type: types.TagFilterTypeKeyOnly}},
			TriggerConfigurations:        []types.TriggerConfig{}})
		fatalIf(t, err)
		if out.HooksNotCleanedUp == nil || len(out.HooksNotCleanedUp) != 0 {
			t.Fatalf("HooksNotCleanedUp=%v, want []", out.HooksNotCleanedUp)
		}
		g := getGroup(t, c, "App", "DG2")
		if aws.ToString(g.DeploymentGroupId) != id {
			t.Fatalf("DeploymentGroupId=%s after rename, want %s", aws.ToString(g.DeploymentGroupId), id)
		}
		if len(g.TriggerConfigurations) != 0 || len(g.OnPremisesInstanceTagFilters) != 1 || (g.OnPremisesTagSet != nil && len(g.OnPremisesTagSet.OnPremisesTagSetList) != 0) {
			t.Fatalf("triggers=%v filters=%v set=%v, want cleared, replaced, cleared", g.TriggerConfigurations, g.OnPremisesInstanceTagFilters, g.OnPremisesTagSet)
		}
		if !g.AlarmConfiguration.Enabled || g.OutdatedInstancesStrategy != types.OutdatedInstancesStrategyIgnore || aws.ToString(g.DeploymentConfigName) != "CodeDeployDefault.AllAtOnce" {
			t.Fatalf("untouched settings changed: %+v", g)
		}
		_, err = c.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("App"), DeploymentGroupName: aws.String("DG")})
		wantCode(t, err, "DeploymentGroupDoesNotExistException")
	})
	tests := []struct {
		name string
		in   codedeploy.UpdateDeploymentGroupInput
		code string
	}{
		{"RenameTaken", codedeploy.UpdateDeploymentGroupInput{NewDeploymentGroupName: aws.String("Taken")}, "DeploymentGroupAlreadyExistsException"},
		{"RenameInvalid", codedeploy.UpdateDeploymentGroupInput{NewDeploymentGroupName: aws.String("a/b")}, "InvalidDeploymentGroupNameException"},
		{"NoSuchGroup", codedeploy.UpdateDeploymentGroupInput{CurrentDeploymentGroupName: aws.String("Nope")}, "DeploymentGroupDoesNotExistException"},
		{"BadRole", codedeploy.UpdateDeploymentGroupInput{ServiceRoleArn: aws.String("role")}, "InvalidRoleException"},
		{"SetBesideFilters", codedeploy.UpdateDeploymentGroupInput{OnPremisesTagSet: &types.OnPremisesTagSet{OnPremisesTagSetList: [][]types.TagFilter{
			{{Key: aws.String("k"), Type: types.TagFilterTypeKeyOnly}}}}}, "InvalidOnPremisesTagCombinationException"},
		{"UnknownConfig", codedeploy.UpdateDeploymentGroupInput{DeploymentConfigName: aws.String("Nope")}, "DeploymentConfigDoesNotExistException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.ApplicationName = aws.String("App")
			if in.CurrentDeploymentGroupName == nil {
				in.CurrentDeploymentGroupName = aws.String("DG2")
			}
			_, err := c.UpdateDeploymentGroup(ctx, &in)
			wantCode(t, err, tt.code)
		})
	}
}

func TestDeleteDeploymentGroup(t *testing.T) {
	// The deployments below are written straight into the store, so the
	// engine must not drive them while the test reads them back.
	srv, c := startCodeDeploy(t, apptest.WithoutEngine())
	newApp(t, c, "App", "")
	// A group has one active deployment at most (the store enforces it):
	// each active status gets a group of its own.
	groups := map[string]string{"d-CREATED01": "DG", "d-QUEUED001": "DG-Queued", "d-RUNNING01": "DG-Running", "d-DONE00001": "DG"}
	groupIDs := map[string]string{}
	for _, name := range groups {
		if groupIDs[name] == "" {
			groupIDs[name] = newGroup(t, c, "App", name)
		}
	}
	db, sc := codeDeployStore(srv)
	app, err := db.Application(ctx, sc, "App")
	fatalIf(t, err)
	statuses := map[string]string{"d-CREATED01": "Created", "d-QUEUED001": "Queued", "d-RUNNING01": "InProgress", "d-DONE00001": "Succeeded"}
	for id, status := range statuses {
		fatalIf(t, db.InsertDeployment(ctx, &cd.Deployment{Scope: sc, AppID: app.Info.ApplicationID, GroupID: groupIDs[groups[id]],
			Info: cd.DeploymentInfo{DeploymentID: id, ApplicationName: "App", DeploymentGroupName: groups[id], Status: status, CreateTime: time.Now(),
				DeploymentOverview: &cd.DeploymentOverview{Pending: 1}}}))
	}
	fatalIf(t, db.PutTargets(ctx, "d-CREATED01", []*cd.InstanceTarget{{DeploymentID: "d-CREATED01", TargetID: "web1", Status: "Pending",
		LifecycleEvents: []cd.LifecycleEvent{{LifecycleEventName: "Install", Status: "Pending"}}}}))

	for _, name := range []string{"DG-Queued", "DG-Running"} {
		noErr(t)(c.DeleteDeploymentGroup(ctx, &codedeploy.DeleteDeploymentGroupInput{ApplicationName: aws.String("App"), DeploymentGroupName: aws.String(name)}))
	}
	out, err := c.DeleteDeploymentGroup(ctx, &codedeploy.DeleteDeploymentGroupInput{ApplicationName: aws.String("App"), DeploymentGroupName: aws.String("DG")})
	fatalIf(t, err)
	if out.HooksNotCleanedUp == nil || len(out.HooksNotCleanedUp) != 0 {
		t.Fatalf("HooksNotCleanedUp=%v, want []", out.HooksNotCleanedUp)
	}
	_, err = c.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("App"), DeploymentGroupName: aws.String("DG")})
	wantCode(t, err, "DeploymentGroupDoesNotExistException")

	for id, before := range statuses {
		d, err := db.Deployment(ctx, id)
		fatalIf(t, err)
		want, code := before, ""
		if before == "Created" || before == "Queued" {
			want, code = "Failed", "DEPLOYMENT_GROUP_MISSING"
		}
		gotCode := ""
		if d.Info.ErrorInformation != nil {
			gotCode = d.Info.ErrorInformation.Code
		}
		if d.Info.Status != want || gotCode != code || (code != "") == d.Info.CompleteTime.IsZero() {
			t.Errorf("%s: Status=%s code=%q completeTime=%v, want %s %q", id, d.Info.Status, gotCode, d.Info.CompleteTime, want, code)
		}
	}

	targets, err := db.Targets(ctx, "d-CREATED01")
	fatalIf(t, err)
	// The overview is recounted from the targets: the Pending one is now Skipped.
	if d, _ := db.Deployment(ctx, "d-CREATED01"); targets[0].Status != "Skipped" || d.Info.DeploymentOverview == nil ||
		*d.Info.DeploymentOverview != (cd.DeploymentOverview{Skipped: 1}) {
		t.Fatalf("target status=%s overview=%+v, want the unstarted target Skipped", targets[0].Status, d.Info.DeploymentOverview)
	}

	t.Run("Idempotent", func(t *testing.T) {
		noErr(t)(c.DeleteDeploymentGroup(ctx, &codedeploy.DeleteDeploymentGroupInput{ApplicationName: aws.String("App"), DeploymentGroupName: aws.String("DG")}))
	})
	t.Run("NoApplication", func(t *testing.T) {
		_, err := c.DeleteDeploymentGroup(ctx, &codedeploy.DeleteDeploymentGroupInput{ApplicationName: aws.String("Nope"), DeploymentGroupName: aws.String("DG")})
		wantCode(t, err, "ApplicationDoesNotExistException")
	})
	t.Run("BadName", func(t *testing.T) {
		_, err := c.DeleteDeploymentGroup(ctx, &codedeploy.DeleteDeploymentGroupInput{ApplicationName: aws.String("App"), DeploymentGroupName: aws.String("")})
		wantCode(t, err, "DeploymentGroupNameRequiredException")
	})
}

func TestDeploymentGroupDeletedConfig(t *testing.T) {
	srv, c := startCodeDeploy(t)
	newApp(t, c, "App", "")
	db, sc := codeDeployStore(srv)
	fatalIf(t, db.InsertDeploymentConfig(ctx, &cd.DeploymentConfig{Scope: sc, Info: cd.DeploymentConfigInfo{
		DeploymentConfigID: "00000000-0000-4000-8000-000000000042", DeploymentConfigName: "Two",
		MinimumHealthyHosts: &cd.MinimumHealthyHosts{Type: "HOST_COUNT", Value: 2}, CreateTime: time.Now(), ComputePlatform: "Server"}}))
	in := &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String("App"), DeploymentGroupName: aws.String("DG"),
		ServiceRoleArn: aws.String(testRole), DeploymentConfigName: aws.String("Two")}
	noErr(t)(c.CreateDeploymentGroup(ctx, in))
	if got := aws.ToString(getGroup(t, c, "App", "DG").DeploymentConfigName); got != "Two" {
		t.Fatalf("DeploymentConfigName=%s, want Two", got)
	}

	fatalIf(t, db.DeleteDeploymentConfig(ctx, sc, "Two"))
	_, err := c.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("App"), DeploymentGroupName: aws.String("DG")})
	wantCode(t, err, "DeploymentConfigDoesNotExistException")
	_, err = c.BatchGetDeploymentGroups(ctx, &codedeploy.BatchGetDeploymentGroupsInput{ApplicationName: aws.String("App"), DeploymentGroupNames: []string{"DG"}})
	wantCode(t, err, "DeploymentConfigDoesNotExistException")
}

func TestDeploymentGroupAuthorization(t *testing.T) {
	srv, c := startCodeDeploy(t)
	newApp(t, c, "App", "")
	newGroup(t, c, "App", "DG")
	newGroup(t, c, "App", "Other")
	arn := "arn:aws:codedeploy:us-east-1:" + srv.Account() + ":deploymentgroup:App/DG"
	scoped := srv.CodeDeploy(newUser(t, srv, "scoped", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["codedeploy:GetDeploymentGroup","codedeploy:UpdateDeploymentGroup"],"Resource":"`+arn+`"}]}`))
	nobody := srv.CodeDeploy(newUser(t, srv, "nobody", ""))
	get := func(name string) *codedeploy.GetDeploymentGroupInput {
		return &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("App"), DeploymentGroupName: aws.String(name)}
	}

	_, err := scoped.GetDeploymentGroup(ctx, get("DG"))
	fatalIf(t, err)
	_, err = scoped.GetDeploymentGroup(ctx, get("Other"))
	wantCode(t, err, "AccessDeniedException")
	_, err = scoped.UpdateDeploymentGroup(ctx, &codedeploy.UpdateDeploymentGroupInput{ApplicationName: aws.String("App"),
		CurrentDeploymentGroupName: aws.String("Other"), OutdatedInstancesStrategy: types.OutdatedInstancesStrategyIgnore})
	wantCode(t, err, "AccessDeniedException")
	_, err = scoped.ListDeploymentGroups(ctx, &codedeploy.ListDeploymentGroupsInput{ApplicationName: aws.String("App")})
	wantCode(t, err, "AccessDeniedException")
	_, err = nobody.GetDeploymentGroup(ctx, get("DG"))
	wantCode(t, err, "AccessDeniedException")
	_, err = nobody.CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String("App"),
		DeploymentGroupName: aws.String("New"), ServiceRoleArn: aws.String(testRole)})
	wantCode(t, err, "AccessDeniedException")
}

func TestDeploymentGroupLimit(t *testing.T) {
	srv, c := startCodeDeploy(t)
	newApp(t, c, "App", "")
	db := store.CodeDeploy{DB: srv.App.DB}
	app, err := db.Application(ctx, cd.Scope{Account: srv.Account(), Region: apptest.Region}, "App")
	fatalIf(t, err)
	// 999 straight into the store, the 1000th through the API.
	fatalIf(t, db.Tx(ctx, func(ctx context.Context) error {
		for i := range 999 {
			g := &cd.DeploymentGroup{Scope: app.Scope, AppID: app.Info.ApplicationID, Info: cd.DeploymentGroupInfo{
				DeploymentGroupID: fmt.Sprint("id-", i), DeploymentGroupName: fmt.Sprint("dg-", i), DeploymentConfigName: "CodeDeployDefault.OneAtATime"}}
			if err := db.InsertDeploymentGroup(ctx, g); err != nil {
				return err
			}
		}
		return nil
	}))
	newGroup(t, c, "App", "last")
	_, err = c.CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String("App"),
		DeploymentGroupName: aws.String("one-too-many"), ServiceRoleArn: aws.String(testRole)})
	wantCode(t, err, "DeploymentGroupLimitExceededException")
}
