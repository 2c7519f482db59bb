package codedeploy

import (
	"testing"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// The fuzz targets run request bodies the way the server does — decoded
// against the model's input shape, bound into the operation's input — and
// then through the operation's checks that need no store. Nothing may
// panic, binding must never fail on a body the codec accepted (the server
// would answer InternalFailure), and every refusal must be an API error.

var fuzzPlatforms = []string{PlatformServer, PlatformLambda, PlatformECS}

func FuzzCreateDeploymentGroupInput(f *testing.F) {
	for _, body := range []string{
		``, `{}`, `null`, `{"applicationName": 1}`,
		`{"applicationName": "web", "deploymentGroupName": "prod", "serviceRoleArn": "arn:aws:iam::123456789012:role/CodeDeploy"}`,
		`{"applicationName": "web", "deploymentGroupName": "prod", "serviceRoleArn": "arn:aws:iam::123456789012:role/CodeDeploy",
		  "deploymentConfigName": "CodeDeployDefault.AllAtOnce",
		  "onPremisesTagSet": {"onPremisesTagSetList": [[{"Key": "env", "Value": "prod", "Type": "KEY_AND_VALUE"}],
		    [{"Key": "web", "Type": "KEY_ONLY"}, {"Value": "api", "Type": "VALUE_ONLY"}]]},
		  "triggerConfigurations": [{"triggerName": "t1", "triggerTargetArn": "arn:aws:sns:us-east-1:123456789012:deploys",
		    "triggerEvents": ["DeploymentFailure", "InstanceStart"]}],
		  "alarmConfiguration": {"enabled": true, "ignorePollAlarmFailure": true, "alarms": [{"name": "cpu-high"}]},
		  "autoRollbackConfiguration": {"enabled": true, "events": ["DEPLOYMENT_FAILURE"]},
		  "deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
		  "loadBalancerInfo": {"elbInfoList": [{"name": "lb"}]}, "outdatedInstancesStrategy": "IGNORE",
		  "tags": [{"Key": "team", "Value": "ops"}]}`,
		`{"applicationName": "web", "deploymentGroupName": "prod", "serviceRoleArn": "arn:aws:iam::123456789012:role/r",
		  "ec2TagFilters": [{"Key": "Name", "Type": "KEY_ONLY"}], "ec2TagSet": {"ec2TagSetList": [[{"Key": "a", "Value": "b"}]]},
		  "autoScalingGroups": ["asg"], "terminationHookEnabled": true}`,
		`{"applicationName": "svc", "deploymentGroupName": "ecs", "serviceRoleArn": "arn:aws:iam::123456789012:role/r",
		  "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
		  "blueGreenDeploymentConfiguration": {"terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
		    "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
		    "greenFleetProvisioningOption": {"action": "DISCOVER_EXISTING"}},
		  "loadBalancerInfo": {"targetGroupPairInfoList": [{"targetGroups": [{"name": "blue"}, {"name": "green"}],
		    "prodTrafficRoute": {"listenerArns": ["arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x"]}}]},
		  "ecsServices": [{"serviceName": "s", "clusterName": "c"}]}`,
		`{"applicationName": "web", "deploymentGroupName": "g", "serviceRoleArn": "role",
		  "alarmConfiguration": {"enabled": true, "alarms": []}, "tags": [{"Key": "aws:x"}, {"Key": "a*b", "Value": "\u0000"}],
		  "onPremisesInstanceTagFilters": [{"Type": "SOMETIMES"}], "triggerConfigurations": [{}, {}]}`,
	} {
		f.Add([]byte(body))
	}
	shape := inputShape(f, "CreateDeploymentGroup")
	f.Fuzz(func(t *testing.T, body []byte) {
		p, ok := decode(t, shape, body)
		if !ok {
			return
		}
		for _, platform := range fuzzPlatforms {
			// Bound afresh for each platform: the defaults fill the
			// settings the input points to.
			var in CreateDeploymentGroupInput
			bind(t, p, &in)
			info := DeploymentGroupInfo{ApplicationName: in.ApplicationName, DeploymentGroupName: in.DeploymentGroupName, ComputePlatform: platform}
			in.apply(&info)
			wantAPIError(t, checkApplicationName(in.ApplicationName))
			wantAPIError(t, checkGroupName(in.DeploymentGroupName))
			wantAPIError(t, checkGroupSettings(&info))
			wantAPIError(t, checkTagsToAdd(in.Tags))
		}
	})
}

func FuzzCreateDeploymentInput(f *testing.F) {
	for _, body := range []string{
		``, `{}`, `[]`, `{"revision": "s3"}`,
		`{"applicationName": "web", "deploymentGroupName": "prod",
		  "revision": {"revisionType": "S3", "s3Location": {"bucket": "bundles", "key": "web/v1.zip", "bundleType": "zip", "eTag": "abc", "version": "v1"}},
		  "description": "release 1", "fileExistsBehavior": "OVERWRITE", "ignoreApplicationStopFailures": true}`,
		`{"applicationName": "web", "deploymentGroupName": "prod", "deploymentConfigName": "CodeDeployDefault.OneAtATime",
		  "revision": {"revisionType": "GitHub", "gitHubLocation": {"repository": "owner/repo", "commitId": "0123456789abcdef"}},
		  "updateOutdatedInstancesOnly": true,
		  "autoRollbackConfiguration": {"enabled": true, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]},
		  "overrideAlarmConfiguration": {"enabled": true, "alarms": [{"name": "errors"}, {"name": "latency"}]}}`,
		`{"applicationName": "fn", "deploymentGroupName": "live",
		  "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": "version: 0.0\nResources: []\n"}}}`,
		`{"applicationName": "fn", "deploymentGroupName": "live",
		  "revision": {"revisionType": "String", "string": {"content": "{\"version\": 0.0}", "sha256": "x"}}}`,
		`{"applicationName": "web", "deploymentGroupName": "bg",
		  "revision": {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k", "bundleType": "YAML"}},
		  "targetInstances": {"tagFilters": [{"Key": "Name", "Value": "green", "Type": "KEY_AND_VALUE"}],
		    "autoScalingGroups": ["asg"], "ec2TagSet": {"ec2TagSetList": [[{"Key": "k", "Type": "KEY_ONLY"}]]}}}`,
		`{"applicationName": "web", "deploymentGroupName": "prod", "fileExistsBehavior": "SOMETIMES",
		  "revision": {"revisionType": "Nope"}, "overrideAlarmConfiguration": {"alarms": [{"name": ""}, {}]},
		  "autoRollbackConfiguration": {"enabled": true, "events": []}, "description": "` + "\xff\xfe" + `"}`,
	} {
		f.Add([]byte(body))
	}
	shape := inputShape(f, "CreateDeployment")
	lastGood := &RevisionLocation{RevisionType: "S3", S3Location: &S3Location{Bucket: "b", Key: "v0.zip", BundleType: "zip"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, ok := decode(t, shape, body)
		if !ok {
			return
		}
		for _, platform := range fuzzPlatforms {
			for _, g := range []*DeploymentGroup{{}, {Info: DeploymentGroupInfo{TargetRevision: lastGood,
				DeploymentStyle: &DeploymentStyle{DeploymentType: styleBlueGreen}}}} {
				var in CreateDeploymentInput
				bind(t, p, &in)
				style := effectiveStyle(g, platform)
				_, err := checkDeploymentRequest(&in, g, platform, style)
				wantAPIError(t, err)
				wantAPIError(t, checkDeploymentOverrides(&in, style))
				newDeploymentInfo(&in, g, platform, style)
			}
		}
	})
}

func inputShape(tb testing.TB, op string) *awsproto.Shape {
	tb.Helper()
	o := awsproto.MustLoadModel("codedeploy").Operations[op]
	if o == nil || o.InputShape() == nil {
		tb.Fatalf("the codedeploy model has no input for %s", op)
	}
	return o.InputShape()
}

// decode decodes body as the server does; a body the codec refuses must
// be refused with SerializationException.
func decode(t *testing.T, shape *awsproto.Shape, body []byte) (awsproto.Params, bool) {
	t.Helper()
	p, err := awsproto.DecodeJSON(shape, body)
	if err != nil {
		if awserr.Code(err) != awserr.CodeSerialization {
			t.Fatalf("DecodeJSON: %v, want SerializationException", err)
		}
		return nil, false
	}
	return p, true
}

func bind(t *testing.T, p awsproto.Params, in any) {
	t.Helper()
	if err := awsproto.Bind(p, in); err != nil {
		t.Fatalf("Bind(%v): %v", p, err)
	}
}

func wantAPIError(t *testing.T, err error) {
	t.Helper()
	if err != nil && awserr.As(err) == nil {
		t.Fatalf("err=%v (%T), want an API error", err, err)
	}
}

// FuzzEventTimeouts runs AppSpec content, which customers write, through
// the engine's reading of hook timeouts: nothing may panic, and every
// timeout must stay within (0, maxHookTimeout].
func FuzzEventTimeouts(f *testing.F) {
	for _, spec := range []string{
		``, `version: 0.0`, `hooks: 1`, `hooks: {ApplicationStart: [{location: a.sh}]}`,
		"version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: scripts/a.sh\n      timeout: 300\n      runas: root\n    - location: b.sh\n  ValidateService:\n    - location: v.sh\n      timeout: 99999999999\n",
		`{"version": 0.0, "hooks": {"AfterInstall": [{"location": "x", "timeout": -5}]}}`,
		"hooks:\n  Install: &a [{location: x, timeout: 10}]\n  AfterInstall: *a\n",
	} {
		f.Add(spec)
	}
	f.Fuzz(func(t *testing.T, content string) {
		for event, d := range eventTimeouts(&RevisionLocation{AppSpecContent: &RawString{Content: content}}) {
			if d <= 0 || d > maxHookTimeout {
				t.Fatalf("%s: timeout %v outside (0, %v]", event, d, maxHookTimeout)
			}
		}
	})
}
