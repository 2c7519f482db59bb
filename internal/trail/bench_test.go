package trail_test

import (
	"encoding/json"
	"testing"

	"github.com/deploytrail/deploytrail/internal/trail"
)

// BenchmarkBuild builds and marshals a CreateDeployment record with a
// typical request: revision, config, overrides and a file-exists policy.
func BenchmarkBuild(b *testing.B) {
	in := input(b, codedeploySvc, "CreateDeployment", `{"applicationName": "MyApp", "deploymentGroupName": "MyDG",
		"revision": {"revisionType": "S3", "s3Location": {"bucket": "my-bucket", "key": "releases/app-1.2.3.zip",
		"bundleType": "zip", "version": "3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", "eTag": "\"e2b3c1d4\""}},
		"deploymentConfigName": "CodeDeployDefault.OneAtATime", "description": "release 1.2.3 from CI pipeline run 4521",
		"ignoreApplicationStopFailures": false, "updateOutdatedInstancesOnly": false, "fileExistsBehavior": "OVERWRITE",
		"autoRollbackConfiguration": {"enabled": true, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]},
		"targetInstances": {"tagFilters": [{"Key": "env", "Value": "prod", "Type": "KEY_AND_VALUE"}]}}`)
	in.Output = tree(b, `{"deploymentId": "d-4L9QHV1RX"}`)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := json.Marshal(trail.Build(in))
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.SetBytes(int64(n))
}
