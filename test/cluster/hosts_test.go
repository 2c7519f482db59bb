package cluster_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// host is a registered on-premises instance running `deploytrail agent`
// against the agents' proxy. Its bundles are on a MinIO of its own whose
// root user is the host's IAM key, since the agent signs its bundle GETs
// with that key (a MinIO user per host would need MinIO's admin API).
type host struct {
	name, dir, www string
	log            *lockedBuffer
}

// bundleKey is the revision every deployment of the test deploys.
const bundleBucket, bundleKey = "bundles", "app.zip"

// setUpHost registers name (an IAM user of its own, tagged for the
// group "prod"), puts its bundle on its MinIO and starts its agent.
func setUpHost(t *testing.T, cfg aws.Config, account, root, name, agentEndpoint string) *host {
	t.Helper()
	h := &host{name: name, dir: filepath.Join(root, name), log: &lockedBuffer{}}
	h.www = filepath.Join(h.dir, "www")
	ctx := t.Context()
	im, cd := iam.NewFromConfig(cfg), codedeploy.NewFromConfig(cfg)
	if _, err := im.CreateUser(ctx, &iam.CreateUserInput{UserName: &name}); err != nil {
		t.Fatalf("CreateUser %s: %v", name, err)
	}
	key, err := im.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: &name})
	if err != nil {
		t.Fatalf("CreateAccessKey %s: %v", name, err)
	}
	id, secret := aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
	arn := "arn:aws:iam::" + account + ":user/" + name
	if _, err := cd.RegisterOnPremisesInstance(ctx, &codedeploy.RegisterOnPremisesInstanceInput{InstanceName: &name, IamUserArn: &arn}); err != nil {
		t.Fatalf("RegisterOnPremisesInstance %s: %v", name, err)
	}
	if _, err := cd.AddTagsToOnPremisesInstances(ctx, &codedeploy.AddTagsToOnPremisesInstancesInput{InstanceNames: []string{name},
		Tags: []types.Tag{{Key: aws.String("group"), Value: aws.String("prod")}}}); err != nil {
		t.Fatalf("AddTagsToOnPremisesInstances %s: %v", name, err)
	}
	bundles := startMinio(t, id, secret)
	bundles.createBucket(t, bundleBucket)
	if _, err := bundles.client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bundleBucket), Key: aws.String(bundleKey),
		Body: bytes.NewReader(bundle(h.www))}); err != nil {
		t.Fatalf("put the bundle: %v", err)
	}
	conf := filepath.Join(h.dir, "conf")
	mustWrite(t, filepath.Join(conf, "codedeploy.onpremises.yml"),
		fmt.Sprintf("---\nregion: us-east-1\niam_user_arn: %s\naws_access_key_id: %s\naws_secret_access_key: %s\n", arn, id, secret))
	mustWrite(t, filepath.Join(conf, "codedeployagent.yml"), fmt.Sprintf("---\n:root_dir: '%s'\n:log_dir: '%s'\n"+
		":deploy_control_endpoint: '%s'\n:s3_endpoint_override: '%s'\n:wait_between_runs: 1\n:max_revisions: 2\n:on_premises_config_file: '%s'\n",
		filepath.Join(h.dir, "deployment-root"), filepath.Join(h.dir, "log"), agentEndpoint, bundles.endpoint(),
		filepath.Join(conf, "codedeploy.onpremises.yml")))
	agent := exec.Command(binary, "agent", "--config", filepath.Join(conf, "codedeployagent.yml"))
	agent.Env = cleanEnv()
	agent.Stdout, agent.Stderr = h.log, h.log
	if err := agent.Start(); err != nil {
		t.Fatalf("start the agent of %s: %v", name, err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	return h
}

// bundle is the revision: www/index.html, and hooks that take a few
// seconds (BeforeInstall sleeps), so that a deployment is running when a
// node is killed.
func bundle(www string) []byte {
	files := map[string]string{
		"appspec.yml": "version: 0.0\nos: linux\nfiles:\n  - source: www\n    destination: " + www + "\n" +
			"hooks:\n  BeforeInstall:\n    - location: scripts/slow.sh\n      timeout: 60\n" +
			"  ValidateService:\n    - location: scripts/validate.sh\n      timeout: 60\n",
		"www/index.html":      "deployed\n",
		"scripts/slow.sh":     "#!/bin/sh\nsleep 2\n",
		"scripts/validate.sh": "#!/bin/sh\ntest -f " + filepath.Join(www, "index.html") + "\n",
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o755)
		w, _ := zw.CreateHeader(h)
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

// deployed reports whether the host has the revision's files.
func (h *host) deployed() bool {
	b, err := os.ReadFile(filepath.Join(h.www, "index.html"))
	return err == nil && strings.TrimSpace(string(b)) == "deployed"
}

func mustWrite(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}
