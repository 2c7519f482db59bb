package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// A bundle store holds the agents' revisions. The agent tests run it two
// ways: deploytrail's own S3 (one binary is the whole system) and an
// external MinIO (a separate S3-compatible store).

// bundleHost is the registered host whose agent downloads the bundles:
// both agents sign their GETs with the host's own key.
type bundleHost struct {
	dir, user, key, secret string
}

// bundleStore makes the bucket "bundles" that host's agent can read and
// returns the endpoint for the agent's :s3_endpoint_override: and a
// function that uploads a local file under a key.
type bundleStore func(t *testing.T, p *process, h bundleHost) (endpoint string, put func(path, key string))

// ownBundleStore keeps the bundles in deploytrail itself: root makes the
// bucket and uploads with the AWS CLI, and the host's IAM user is given
// s3:GetObject on the bucket's objects, as a user would grant it.
func ownBundleStore(t *testing.T, p *process, h bundleHost) (string, func(path, key string)) {
	t.Helper()
	p.aws(t, "s3", "mb", "s3://bundles")
	p.aws(t, "s3", "cp", "-", "s3://bundles/probe")
	// Without the grant the host's key is refused: the policy below is
	// what lets the agent in, not the bucket's being in its account.
	host := awsAs(p, h.key, h.secret, "s3api", "get-object", "--bucket", "bundles", "--key", "probe", os.DevNull)
	if out, err := host.CombinedOutput(); err == nil || !strings.Contains(string(out), "AccessDenied") {
		t.Fatalf("the host's key read a bundle without a policy: %v\n%s", err, out)
	}
	p.aws(t, "iam", "put-user-policy", "--user-name", h.user, "--policy-name", "read-bundles", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bundles/*"}]}`)
	return p.endpoint, func(path, key string) {
		t.Helper()
		p.aws(t, "s3", "cp", path, "s3://bundles/"+key)
	}
}

// minioBundleStore runs a MinIO whose root user is the host's key and
// uploads with that key.
func minioBundleStore(minio string) bundleStore {
	return func(t *testing.T, _ *process, h bundleHost) (string, func(path, key string)) {
		t.Helper()
		url := startMinIO(t, minio, h.dir, h.key, h.secret)
		s3 := func(args ...string) {
			t.Helper()
			cmd := exec.Command("aws", append([]string{"--endpoint-url", url, "--region", "us-east-1"}, args...)...)
			cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+h.key, "AWS_SECRET_ACCESS_KEY="+h.secret,
				"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("aws %v: %v\n%s", args, err, out)
			}
		}
		s3("s3", "mb", "s3://bundles")
		return url, func(path, key string) { s3("s3", "cp", path, "s3://bundles/"+key) }
	}
}

// awsAs is the AWS CLI against p signed with another key (the host's).
func awsAs(p *process, key, secret string, args ...string) *exec.Cmd {
	cmd := exec.Command("aws", args...)
	env := slices.DeleteFunc(append(os.Environ(), p.env...), func(kv string) bool { return strings.HasPrefix(kv, "AWS_PROFILE=") })
	cmd.Env = append(env, "AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+secret,
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_DEFAULT_REGION=us-east-1")
	return cmd
}
