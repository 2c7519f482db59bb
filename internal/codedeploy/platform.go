package codedeploy

import "cmp"

// Compute platforms.
const (
	PlatformServer = "Server"
	PlatformLambda = "Lambda"
	PlatformECS    = "ECS"
)

// Deployment styles.
const (
	styleInPlace        = "IN_PLACE"
	styleBlueGreen      = "BLUE_GREEN"
	styleWithTraffic    = "WITH_TRAFFIC_CONTROL"
	styleWithoutTraffic = "WITHOUT_TRAFFIC_CONTROL"
)

// checkComputePlatform defaults an empty platform to Server and refuses
// one outside the enum with InvalidComputePlatformException.
func checkComputePlatform(p string) (string, error) {
	switch p {
	case "":
		return PlatformServer, nil
	case PlatformServer, PlatformLambda, PlatformECS:
		return p, nil
	}
	return "", errorf(CodeInvalidComputePlatform, "The compute platform %s is not valid: use Server, Lambda or ECS.", p)
}

// platformOf is an application's compute platform; records made before it
// was stored are Server.
func platformOf(app *Application) string { return cmp.Or(app.Info.ComputePlatform, PlatformServer) }

// defaultConfig is the config of a deployment that names none and whose
// group names none.
func defaultConfig(platform string) string {
	switch platform {
	case PlatformLambda:
		return predefinedPrefix + "LambdaAllAtOnce"
	case PlatformECS:
		return predefinedPrefix + "ECSAllAtOnce"
	}
	return DefaultConfigName
}

// defaultStyle is the deployment style of a platform's groups that set
// none: in-place without traffic control for Server, blue/green with
// traffic control (the only style they have) for Lambda and ECS.
func defaultStyle(platform string) DeploymentStyle {
	if platform == PlatformLambda || platform == PlatformECS {
		return DeploymentStyle{DeploymentType: styleBlueGreen, DeploymentOption: styleWithTraffic}
	}
	return DeploymentStyle{DeploymentType: styleInPlace, DeploymentOption: styleWithoutTraffic}
}

func isBlueGreen(style *DeploymentStyle) bool {
	return style != nil && style.DeploymentType == styleBlueGreen
}
