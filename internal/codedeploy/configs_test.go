package codedeploy

import "testing"

func TestCheckConfigRules(t *testing.T) {
	hosts := func(typ string, v int) *MinimumHealthyHosts { return &MinimumHealthyHosts{Type: typ, Value: v} }
	canary := &trafficRoutingConfig{Type: "TimeBasedCanary", TimeBasedCanary: &timeBasedCanary{CanaryPercentage: 10, CanaryInterval: 5}}
	seconds := func(v int64) *int64 { return &v }
	tests := []struct {
		name     string
		platform string
		in       CreateDeploymentConfigInput
		code     string
	}{
		{"HostCount", PlatformServer, CreateDeploymentConfigInput{MinimumHealthyHosts: hosts("HOST_COUNT", 0)}, ""},
		{"FleetPercent99", PlatformServer, CreateDeploymentConfigInput{MinimumHealthyHosts: hosts("FLEET_PERCENT", 99)}, ""},
		{"FleetPercent100", PlatformServer, CreateDeploymentConfigInput{MinimumHealthyHosts: hosts("FLEET_PERCENT", 100)}, CodeInvalidMinimumHealthyHostValue},
		{"FleetPercentNegative", PlatformServer, CreateDeploymentConfigInput{MinimumHealthyHosts: hosts("FLEET_PERCENT", -1)}, CodeInvalidMinimumHealthyHostValue},
		{"HostCountNegative", PlatformServer, CreateDeploymentConfigInput{MinimumHealthyHosts: hosts("HOST_COUNT", -1)}, CodeInvalidMinimumHealthyHostValue},
		{"MostConcurrency", PlatformServer, CreateDeploymentConfigInput{MinimumHealthyHosts: hosts("MOST_CONCURRENCY", 1)}, CodeInvalidMinimumHealthyHostValue},
		{"NoHosts", PlatformServer, CreateDeploymentConfigInput{}, CodeInvalidMinimumHealthyHostValue},
		{"ServerRouting", PlatformServer, CreateDeploymentConfigInput{MinimumHealthyHosts: hosts("HOST_COUNT", 1), TrafficRoutingConfig: canary}, CodeInvalidTrafficRoutingConfig},
		{"Zonal", PlatformServer, CreateDeploymentConfigInput{MinimumHealthyHosts: hosts("HOST_COUNT", 1), ZonalConfig: &zonalConfig{
			MonitorDurationInSeconds: seconds(60), MinimumHealthyHostsPerZone: hosts("FLEET_PERCENT", 50)}}, ""},
		{"ZonalNegative", PlatformServer, CreateDeploymentConfigInput{MinimumHealthyHosts: hosts("HOST_COUNT", 1), ZonalConfig: &zonalConfig{
			FirstZoneMonitorDurationInSeconds: seconds(-1)}}, CodeInvalidZonalConfig},
		{"ZonalBadHosts", PlatformServer, CreateDeploymentConfigInput{MinimumHealthyHosts: hosts("HOST_COUNT", 1), ZonalConfig: &zonalConfig{
			MinimumHealthyHostsPerZone: hosts("FLEET_PERCENT", 100)}}, CodeInvalidZonalConfig},
		{"LambdaCanary", PlatformLambda, CreateDeploymentConfigInput{TrafficRoutingConfig: canary}, ""},
		{"ECSAllAtOnce", PlatformECS, CreateDeploymentConfigInput{TrafficRoutingConfig: &trafficRoutingConfig{Type: "AllAtOnce"}}, ""},
		{"ECSLinear", PlatformECS, CreateDeploymentConfigInput{TrafficRoutingConfig: &trafficRoutingConfig{Type: "TimeBasedLinear",
			TimeBasedLinear: &timeBasedLinear{LinearPercentage: 25, LinearInterval: 1}}}, ""},
		{"LambdaNoRouting", PlatformLambda, CreateDeploymentConfigInput{}, CodeInvalidTrafficRoutingConfig},
		{"LambdaHosts", PlatformLambda, CreateDeploymentConfigInput{TrafficRoutingConfig: canary, MinimumHealthyHosts: hosts("HOST_COUNT", 1)}, CodeInvalidTrafficRoutingConfig},
		{"LambdaZonal", PlatformLambda, CreateDeploymentConfigInput{TrafficRoutingConfig: canary, ZonalConfig: &zonalConfig{}}, CodeInvalidZonalConfig},
		{"CanaryWithoutSettings", PlatformLambda, CreateDeploymentConfigInput{TrafficRoutingConfig: &trafficRoutingConfig{Type: "TimeBasedCanary"}}, CodeInvalidTrafficRoutingConfig},
		{"CanaryWithLinear", PlatformLambda, CreateDeploymentConfigInput{TrafficRoutingConfig: &trafficRoutingConfig{Type: "TimeBasedCanary",
			TimeBasedCanary: canary.TimeBasedCanary, TimeBasedLinear: &timeBasedLinear{LinearPercentage: 10, LinearInterval: 1}}}, CodeInvalidTrafficRoutingConfig},
		{"CanaryZeroPercent", PlatformLambda, CreateDeploymentConfigInput{TrafficRoutingConfig: &trafficRoutingConfig{Type: "TimeBasedCanary",
			TimeBasedCanary: &timeBasedCanary{CanaryInterval: 5}}}, CodeInvalidTrafficRoutingConfig},
		{"AllAtOnceWithSettings", PlatformECS, CreateDeploymentConfigInput{TrafficRoutingConfig: &trafficRoutingConfig{Type: "AllAtOnce",
			TimeBasedCanary: canary.TimeBasedCanary}}, CodeInvalidTrafficRoutingConfig},
		{"UnknownRouting", PlatformECS, CreateDeploymentConfigInput{TrafficRoutingConfig: &trafficRoutingConfig{Type: "Blue"}}, CodeInvalidTrafficRoutingConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(checkConfigRules(&tt.in, tt.platform)); got != tt.code {
				t.Fatalf("code=%q, want %q", got, tt.code)
			}
		})
	}
}

func TestCheckCustomConfigName(t *testing.T) {
	tests := []struct{ name, config, code string }{
		{"OK", "My.Config-1", ""},
		{"Empty", "", CodeConfigNameRequired},
		{"Predefined", "CodeDeployDefault.Mine", CodeInvalidConfigName},
		{"BadCharacter", "my config", CodeInvalidConfigName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(checkCustomConfigName(tt.config)); got != tt.code {
				t.Fatalf("code=%q, want %q", got, tt.code)
			}
		})
	}
}
