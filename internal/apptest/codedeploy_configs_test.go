package apptest_test

import (
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/deploytrail/deploytrail/internal/apptest"
	cd "github.com/deploytrail/deploytrail/internal/codedeploy"
)

func getTestConfig(tb testing.TB, c *codedeploy.Client, name string) *types.DeploymentConfigInfo {
	tb.Helper()
	out, err := c.GetDeploymentConfig(ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: aws.String(name)})
	fatalIf(tb, err)
	return out.DeploymentConfigInfo
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestCodeDeployCreateConfig(t *testing.T) {
	_, c := startCodeDeploy(t)

	t.Run("Server", func(t *testing.T) {
		id := createServerConfig(t, c, "TwoHealthy", 2)
		got := getTestConfig(t, c, "TwoHealthy")
		if !uuidPattern.MatchString(id) || aws.ToString(got.DeploymentConfigId) != id || got.ComputePlatform != types.ComputePlatformServer ||
			got.MinimumHealthyHosts.Type != types.MinimumHealthyHostsTypeHostCount || got.MinimumHealthyHosts.Value != 2 || got.TrafficRoutingConfig != nil {
			t.Fatalf("config=%+v (id %s), want a Server config with HOST_COUNT 2", got, id)
		}
	})
	t.Run("Zonal", func(t *testing.T) {
		noErr(t)(c.CreateDeploymentConfig(ctx, &codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("ByZone"),
			MinimumHealthyHosts: &types.MinimumHealthyHosts{Type: types.MinimumHealthyHostsTypeFleetPercent, Value: 75},
			ZonalConfig: &types.ZonalConfig{MonitorDurationInSeconds: aws.Int64(600),
				MinimumHealthyHostsPerZone: &types.MinimumHealthyHostsPerZone{Type: types.MinimumHealthyHostsPerZoneTypeHostCount, Value: 1}}}))
		z := getTestConfig(t, c, "ByZone").ZonalConfig
		if z == nil || aws.ToInt64(z.MonitorDurationInSeconds) != 600 || z.MinimumHealthyHostsPerZone.Value != 1 {
			t.Fatalf("zonalConfig=%+v, want it as created", z)
		}
	})
	t.Run("Lambda", func(t *testing.T) {
		noErr(t)(c.CreateDeploymentConfig(ctx, &codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("Canary"),
			ComputePlatform: types.ComputePlatformLambda, TrafficRoutingConfig: &types.TrafficRoutingConfig{Type: types.TrafficRoutingTypeTimeBasedCanary,
				TimeBasedCanary: &types.TimeBasedCanary{CanaryPercentage: 20, CanaryInterval: 15}}}))
		got := getTestConfig(t, c, "Canary")
		r := got.TrafficRoutingConfig
		if got.ComputePlatform != types.ComputePlatformLambda || got.MinimumHealthyHosts != nil || r == nil ||
			r.Type != types.TrafficRoutingTypeTimeBasedCanary || r.TimeBasedCanary.CanaryPercentage != 20 || r.TimeBasedCanary.CanaryInterval != 15 {
			t.Fatalf("config=%+v routing=%+v, want a Lambda canary 20%%/15min", got, r)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		hosts := func(typ types.MinimumHealthyHostsType, v int32) *types.MinimumHealthyHosts {
			return &types.MinimumHealthyHosts{Type: typ, Value: v}
		}
		canary := &types.TrafficRoutingConfig{Type: types.TrafficRoutingTypeTimeBasedCanary, TimeBasedCanary: &types.TimeBasedCanary{CanaryPercentage: 10, CanaryInterval: 5}}
		tests := []struct {
			name string
			in   codedeploy.CreateDeploymentConfigInput
			code string
		}{
			{"Exists", codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("TwoHealthy"), MinimumHealthyHosts: hosts("HOST_COUNT", 1)}, "DeploymentConfigAlreadyExistsException"},
			{"NameRequired", codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String(""), MinimumHealthyHosts: hosts("HOST_COUNT", 1)}, "DeploymentConfigNameRequiredException"},
			{"Reserved", codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("CodeDeployDefault.Mine"), MinimumHealthyHosts: hosts("HOST_COUNT", 1)}, "InvalidDeploymentConfigNameException"},
			{"NoHosts", codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("x")}, "InvalidMinimumHealthyHostValueException"},
			{"Percent100", codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("x"), MinimumHealthyHosts: hosts("FLEET_PERCENT", 100)}, "InvalidMinimumHealthyHostValueException"},
			{"NegativeCount", codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("x"), MinimumHealthyHosts: hosts("HOST_COUNT", -1)}, "InvalidMinimumHealthyHostValueException"},
			{"BadPlatform", codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("x"), ComputePlatform: "Mainframe"}, "InvalidComputePlatformException"},
			{"LambdaNoRouting", codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("x"), ComputePlatform: "Lambda"}, "InvalidTrafficRoutingConfigurationException"},
			{"ServerRouting", codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("x"), MinimumHealthyHosts: hosts("HOST_COUNT", 1), TrafficRoutingConfig: canary}, "InvalidTrafficRoutingConfigurationException"},
			{"ECSZonal", codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("x"), ComputePlatform: "ECS", TrafficRoutingConfig: canary,
				ZonalConfig: &types.ZonalConfig{}}, "InvalidZonalDeploymentConfigurationException"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := c.CreateDeploymentConfig(ctx, &tt.in)
				wantCode(t, err, tt.code)
			})
		}
	})
}

func TestCodeDeployPredefinedConfigs(t *testing.T) {
	_, c := startCodeDeploy(t)
	got := getTestConfig(t, c, "CodeDeployDefault.OneAtATime")
	if aws.ToString(got.DeploymentConfigId) != "00000000-0000-0000-0000-000000000001" || got.MinimumHealthyHosts.Type != "MOST_CONCURRENCY" ||
		got.MinimumHealthyHosts.Value != 1 || got.ComputePlatform != types.ComputePlatformServer {
		t.Fatalf("OneAtATime=%+v, want id …001 with MOST_CONCURRENCY 1", got)
	}
	ecs := getTestConfig(t, c, "CodeDeployDefault.ECSAllAtOnce")
	if ecs.ComputePlatform != types.ComputePlatformEcs || ecs.TrafficRoutingConfig.Type != types.TrafficRoutingTypeAllAtOnce {
		t.Fatalf("ECSAllAtOnce=%+v, want an ECS AllAtOnce config", ecs)
	}
	for name, code := range map[string]string{"Missing": "DeploymentConfigDoesNotExistException", "CodeDeployDefault.Missing": "DeploymentConfigDoesNotExistException",
		"": "DeploymentConfigNameRequiredException", "bad name": "InvalidDeploymentConfigNameException"} {
		_, err := c.GetDeploymentConfig(ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: aws.String(name)})
		wantCode(t, err, code)
	}
}

func TestCodeDeployListConfigs(t *testing.T) {
	_, c := startCodeDeploy(t)
	want := []string{}
	for i := range 90 {
		name := fmt.Sprintf("Custom%02d", 89-i)
		createServerConfig(t, c, name, 1)
		want = append(want, name)
	}
	for _, n := range []string{"OneAtATime", "HalfAtATime", "AllAtOnce", "LambdaCanary10Percent5Minutes", "LambdaCanary10Percent10Minutes",
		"LambdaCanary10Percent15Minutes", "LambdaCanary10Percent30Minutes", "LambdaLinear10PercentEvery1Minute", "LambdaLinear10PercentEvery2Minutes",
		"LambdaLinear10PercentEvery3Minutes", "LambdaLinear10PercentEvery10Minutes", "LambdaAllAtOnce", "ECSLinear10PercentEvery1Minutes",
		"ECSLinear10PercentEvery3Minutes", "ECSCanary10Percent5Minutes", "ECSCanary10Percent15Minutes", "ECSAllAtOnce"} {
		want = append(want, "CodeDeployDefault."+n)
	}
	slices.Sort(want)

	got, pages := allPages(t, codedeploy.NewListDeploymentConfigsPaginator(c, &codedeploy.ListDeploymentConfigsInput{}),
		func(out *codedeploy.ListDeploymentConfigsOutput) []string { return out.DeploymentConfigsList })
	if pages != 2 || !slices.Equal(got, want) {
		t.Fatalf("pages=%d configs=%v, want 2 pages of %v", pages, got, want)
	}
	_, err := c.ListDeploymentConfigs(ctx, &codedeploy.ListDeploymentConfigsInput{NextToken: aws.String("Q3VzdG9tNTA.AAAAAAAAAAAAAAAAAAAAAA")})
	wantCode(t, err, "InvalidNextTokenException")
}

func TestCodeDeployConfigLimit(t *testing.T) {
	srv := apptest.Start(t)
	db, scope := codeDeployStore(srv)
	for i := range 200 {
		fatalIf(t, db.InsertDeploymentConfig(ctx, &cd.DeploymentConfig{Scope: scope, Info: cd.DeploymentConfigInfo{
			DeploymentConfigID: fmt.Sprintf("id-%d", i), DeploymentConfigName: fmt.Sprintf("c%d", i), ComputePlatform: cd.PlatformServer}}))
	}
	_, err := srv.CodeDeploy(srv.Root).CreateDeploymentConfig(ctx, &codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("one-more"),
		MinimumHealthyHosts: &types.MinimumHealthyHosts{Type: types.MinimumHealthyHostsTypeHostCount, Value: 1}})
	wantCode(t, err, "DeploymentConfigLimitExceededException")
}

func TestCodeDeployDeleteConfig(t *testing.T) {
	// The deployments below are written straight into the store, so the
	// engine must not drive them while the test reads them back.
	srv, c := startCodeDeploy(t, apptest.WithoutEngine())
	db, scope := codeDeployStore(srv)
	appID := newApp(t, c, "web", "")
	for _, name := range []string{"ByGroup", "ByDeployment", "ByOldDeployment", "Free"} {
		createServerConfig(t, c, name, 1)
	}
	group := &cd.DeploymentGroup{Scope: scope, AppID: appID, Info: cd.DeploymentGroupInfo{ApplicationName: "web", DeploymentGroupID: "g1",
		DeploymentGroupName: "dg", DeploymentConfigName: "ByGroup"}}
	fatalIf(t, db.InsertDeploymentGroup(ctx, group))
	for id, d := range map[string]struct{ config, status string }{"d-AAAAAAAA1": {"ByDeployment", "InProgress"}, "d-AAAAAAAA2": {"ByOldDeployment", "Succeeded"}} {
		fatalIf(t, db.InsertDeployment(ctx, &cd.Deployment{Scope: scope, AppID: appID, GroupID: "g1", Info: cd.DeploymentInfo{DeploymentID: id,
			ApplicationName: "web", DeploymentGroupName: "dg", DeploymentConfigName: d.config, Status: d.status, CreateTime: time.Now()}}))
	}
	del := func(name string) error {
		_, err := c.DeleteDeploymentConfig(ctx, &codedeploy.DeleteDeploymentConfigInput{DeploymentConfigName: aws.String(name)})
		return err
	}

	tests := []struct{ name, config, code string }{
		{"UsedByGroup", "ByGroup", "DeploymentConfigInUseException"},
		{"UsedByDeployment", "ByDeployment", "DeploymentConfigInUseException"},
		{"Predefined", "CodeDeployDefault.AllAtOnce", "InvalidOperationException"},
		{"NameRequired", "", "DeploymentConfigNameRequiredException"},
		{"BadName", "a b", "InvalidDeploymentConfigNameException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, del(tt.config), tt.code) })
	}
	t.Run("OK", func(t *testing.T) {
		for _, name := range []string{"Free", "ByOldDeployment", "Unknown"} {
			fatalIf(t, del(name))
		}
		_, err := c.GetDeploymentConfig(ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: aws.String("Free")})
		wantCode(t, err, "DeploymentConfigDoesNotExistException")
	})
	t.Run("AfterGroupMoves", func(t *testing.T) {
		group.Info.DeploymentConfigName = cd.DefaultConfigName
		fatalIf(t, db.UpdateDeploymentGroup(ctx, group))
		fatalIf(t, del("ByGroup"))
	})
}
