package codedeploy

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// predefinedPrefix starts every predefined config name; custom configs may
// not use it.
const predefinedPrefix = "CodeDeployDefault."

// DefaultConfigName is the config of groups and deployments that name none.
const DefaultConfigName = "CodeDeployDefault.OneAtATime"

// predefinedCreated is the createTime of the predefined configs.
var predefinedCreated = time.Date(2014, 11, 12, 0, 0, 0, 0, time.UTC)

// predefined lists the configs every account and region has (spec §5.1),
// in the order of their stable ids.
var predefined = func() []DeploymentConfigInfo {
	type def struct{ name, platform, routing string }
	defs := []def{
		{"OneAtATime", PlatformServer, ""}, {"HalfAtATime", PlatformServer, ""}, {"AllAtOnce", PlatformServer, ""},
		{"LambdaCanary10Percent5Minutes", PlatformLambda, canary(10, 5)}, {"LambdaCanary10Percent10Minutes", PlatformLambda, canary(10, 10)},
		{"LambdaCanary10Percent15Minutes", PlatformLambda, canary(10, 15)}, {"LambdaCanary10Percent30Minutes", PlatformLambda, canary(10, 30)},
		{"LambdaLinear10PercentEvery1Minute", PlatformLambda, linear(10, 1)}, {"LambdaLinear10PercentEvery2Minutes", PlatformLambda, linear(10, 2)},
		{"LambdaLinear10PercentEvery3Minutes", PlatformLambda, linear(10, 3)}, {"LambdaLinear10PercentEvery10Minutes", PlatformLambda, linear(10, 10)},
		{"LambdaAllAtOnce", PlatformLambda, `{"type":"AllAtOnce"}`},
		{"ECSLinear10PercentEvery1Minutes", PlatformECS, linear(10, 1)}, {"ECSLinear10PercentEvery3Minutes", PlatformECS, linear(10, 3)},
		{"ECSCanary10Percent5Minutes", PlatformECS, canary(10, 5)}, {"ECSCanary10Percent15Minutes", PlatformECS, canary(10, 15)},
		{"ECSAllAtOnce", PlatformECS, `{"type":"AllAtOnce"}`},
	}
	hosts := map[string]*MinimumHealthyHosts{
		"OneAtATime":  {Type: "MOST_CONCURRENCY", Value: 1},
		"HalfAtATime": {Type: "FLEET_PERCENT", Value: 50},
		"AllAtOnce":   {Type: "HOST_COUNT", Value: 0},
	}
	out := make([]DeploymentConfigInfo, len(defs))
	for i, d := range defs {
		out[i] = DeploymentConfigInfo{DeploymentConfigID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i+1),
			DeploymentConfigName: predefinedPrefix + d.name, MinimumHealthyHosts: hosts[d.name],
			CreateTime: predefinedCreated, ComputePlatform: d.platform}
		if d.routing != "" {
			out[i].TrafficRoutingConfig = json.RawMessage(d.routing)
		}
	}
	return out
}()

func canary(percent, minutes int) string {
	return fmt.Sprintf(`{"type":"TimeBasedCanary","timeBasedCanary":{"canaryPercentage":%d,"canaryInterval":%d}}`, percent, minutes)
}

func linear(percent, minutes int) string {
	return fmt.Sprintf(`{"type":"TimeBasedLinear","timeBasedLinear":{"linearPercentage":%d,"linearInterval":%d}}`, percent, minutes)
}

// predefinedConfig returns a predefined config by name, or nil.
func predefinedConfig(name string) *DeploymentConfigInfo {
	if !strings.HasPrefix(name, predefinedPrefix) {
		return nil
	}
	for i := range predefined {
		if predefined[i].DeploymentConfigName == name {
			c := predefined[i]
			return &c
		}
	}
	return nil
}
