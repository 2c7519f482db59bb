package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The end-to-end test of `deploytrail agent`: the real binary serves,
// three real binaries run as agents of three registered hosts (separate
// roots), bundles are zips on MinIO or in deploytrail's own S3, and the
// AWS CLI drives deployments.

// requireMinIO returns MinIO's binary, or skips.
func requireMinIO(t *testing.T) string {
	t.Helper()
	requireAWSCLI(t)
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "minio")
	if _, err := os.Stat(p); err != nil {
		t.Skip("skipped: no MinIO binary; scripts/minio.sh builds one")
	}
	return p
}

// ourHost is one registered instance running `deploytrail agent`.
type ourHost struct {
	name, dir, www, markers, userARN string
	key, secret, s3URL               string
	conf                             string
	agent                            *exec.Cmd
	log                              *lockedBuffer
}

// zipBundle is a revision: www/index.html says version, an AfterInstall
// hook leaves a marker with its environment, and ValidateService fails
// when failing is set.
func zipBundle(t *testing.T, version, www string, failing bool) []byte {
	t.Helper()
	validate := "#!/bin/sh\necho validated " + version + "\n"
	if failing {
		validate = "#!/bin/sh\necho health check failed\nexit 1\n"
	}
	files := []struct {
		name, body string
		mode       os.FileMode
	}{
		{"appspec.yml", "version: 0.0\nos: linux\nfiles:\n  - source: www\n    destination: " + www + "\n" +
			"hooks:\n  ApplicationStop:\n    - location: scripts/stop.sh\n  AfterInstall:\n    - location: scripts/after.sh\n      timeout: 60\n" +
			"  ValidateService:\n    - location: scripts/validate.sh\n      timeout: 60\n", 0o644},
		{"www/index.html", version + "\n", 0o644},
		{"scripts/stop.sh", "#!/bin/sh\necho \"stopping " + version + "\" >> \"$MARKERS/stops\"\n", 0o755},
		{"scripts/after.sh", "#!/bin/sh\necho \"$LIFECYCLE_EVENT $APPLICATION_NAME $DEPLOYMENT_GROUP_NAME $BUNDLE_KEY\" > \"$MARKERS/$DEPLOYMENT_ID\"\n", 0o755},
		{"scripts/validate.sh", validate, 0o755},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
		h.SetMode(f.mode)
		w, _ := zw.CreateHeader(h)
		w.Write([]byte(f.body))
	}
	zw.Close()
	return buf.Bytes()
}

// zipOf zips files (name → body), each mode 0755.
func zipOf(files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		h := &zip.FileHeader{Name: name}
		h.SetMode(0o755)
		w, _ := zw.CreateHeader(h)
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

// heldZip is a revision whose BeforeInstall holds until release exists
// (holdScript); www/index.html says "held" and AfterInstall leaves the
// same marker as zipBundle's, so a test sees whether they ran.
func heldZip(www, release string) []byte {
	return zipOf(map[string]string{
		"appspec.yml": "version: 0.0\nos: linux\nfiles:\n  - source: www\n    destination: " + www + "\n" +
			"hooks:\n  BeforeInstall:\n    - location: scripts/hold.sh\n      timeout: 90\n  AfterInstall:\n    - location: scripts/after.sh\n",
		"www/index.html":   "held\n",
		"scripts/hold.sh":  holdScript(release, "\"$MARKERS\""),
		"scripts/after.sh": "#!/bin/sh\necho \"$LIFECYCLE_EVENT $APPLICATION_NAME $DEPLOYMENT_GROUP_NAME $BUNDLE_KEY\" > \"$MARKERS/$DEPLOYMENT_ID\"\n",
	})
}

// setUpHost registers a host, puts its bundles in store (which lets the
// host's key read them: the agent signs its bundle GETs with it), and
// writes its agent's configuration in AWS's agent's format.
func setUpHost(t *testing.T, p *process, store bundleStore, acct, dir, name string, bundles func(www string) map[string][]byte) *ourHost {
	h := &ourHost{name: name, dir: filepath.Join(dir, name), log: &lockedBuffer{}}
	h.www, h.markers = filepath.Join(h.dir, "www"), filepath.Join(h.dir, "markers")
	os.MkdirAll(h.markers, 0o755)
	p.aws(t, "iam", "create-user", "--user-name", name)
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	json.Unmarshal([]byte(p.aws(t, "iam", "create-access-key", "--user-name", name)), &key)
	h.key, h.secret = key.AccessKey.AccessKeyId, key.AccessKey.SecretAccessKey
	h.userARN = "arn:aws:iam::" + acct + ":user/" + name
	p.aws(t, "deploy", "register-on-premises-instance", "--instance-name", name, "--iam-user-arn", h.userARN)
	p.aws(t, "deploy", "add-tags-to-on-premises-instances", "--instance-names", name, "--tags", "Key=env,Value=prod", "Key=Name,Value="+name)
	var put func(path, key string)
	h.s3URL, put = store(t, p, bundleHost{dir: h.dir, user: name, key: h.key, secret: h.secret})
	for key, b := range bundles(h.www) {
		path := filepath.Join(h.dir, key)
		os.WriteFile(path, b, 0o644)
		put(path, key)
	}
	conf := filepath.Join(h.dir, "conf")
	os.MkdirAll(conf, 0o755)
	h.conf = filepath.Join(conf, "codedeployagent.yml")
	os.WriteFile(filepath.Join(conf, "codedeploy.onpremises.yml"), []byte(fmt.Sprintf(
		"---\nregion: us-east-1\niam_user_arn: %s\naws_access_key_id: %s\naws_secret_access_key: %s\n", h.userARN, h.key, h.secret)), 0o600)
	os.WriteFile(h.conf, []byte(fmt.Sprintf("---\n:root_dir: '%s'\n:log_dir: '%s'\n:deploy_control_endpoint: '%s'\n:s3_endpoint_override: '%s'\n"+
		":wait_between_runs: 1\n:max_revisions: 2\n:on_premises_config_file: '%s'\n",
		filepath.Join(h.dir, "deployment-root"), filepath.Join(h.dir, "log"), p.endpoint, h.s3URL, filepath.Join(conf, "codedeploy.onpremises.yml"))), 0o600)
	return h
}

// start runs the host's agent; it is killed when the test ends.
func (h *ourHost) start(t *testing.T) {
	t.Helper()
	h.agent = exec.Command(binary, "agent", "--config", h.conf)
	h.agent.Env = append(os.Environ(), "MARKERS="+h.markers)
	h.agent.Stderr = h.log
	if err := h.agent.Start(); err != nil {
		t.Fatal(err)
	}
	cmd := h.agent
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
}

func (h *ourHost) index(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(h.www, "index.html"))
	if err != nil {
		return "(none)"
	}
	return strings.TrimSpace(string(b))
}

// waitStatus polls a deployment until it ends and returns its status.
func waitStatus(t *testing.T, p *process, id string, hosts []*ourHost) string {
	t.Helper()
	return waitEnded(t, p, id, func() string { return hostLogs(hosts) })
}

func hostLogs(hosts []*ourHost) string {
	var logs strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&logs, "--- %s:\n%s\n", h.name, h.log)
	}
	return logs.String()
}

// targets describes a deployment's targets and agents, for failures.
func targets(t *testing.T, p *process, id string, hosts []*ourHost) string {
	var b strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&b, "--- %s:\n%s\nagent log:\n%s\n", h.name,
			p.aws(t, "deploy", "get-deployment-target", "--deployment-id", id, "--target-id", h.name), h.log)
	}
	return b.String()
}

// TestOurAgent deploys zip bundles from MinIO to three hosts running
// `deploytrail agent` (the third on the secure stack), with each predefined config, then a failing
// ValidateService that fails the deployment and rolls back, then a stop
// while every host runs a BeforeInstall hook, with its rollback.
func TestOurAgent(t *testing.T) {
	minio := requireMinIO(t)
	dir := t.TempDir()
	p := startBinary(t, filepath.Join(dir, "data"))
	acct := p.aws(t, "sts", "get-caller-identity", "--query", "Account", "--output", "text")
	release := filepath.Join(dir, "release")
	bundles := func(www string) map[string][]byte {
		b := map[string][]byte{"bad.zip": zipBundle(t, "bad", www, true), "held.zip": heldZip(www, release)}
		for _, v := range []string{"v1", "v2", "v3"} {
			b[v+".zip"] = zipBundle(t, v, www, false)
		}
		return b
	}
	var hosts []*ourHost
	for i := 1; i <= 3; i++ {
		h := setUpHost(t, p, minioBundleStore(minio), acct, dir, fmt.Sprintf("host-%d", i), bundles)
		if i == 3 { // this one uses the secure stack, which also needs IAM permission
			p.aws(t, "iam", "put-user-policy", "--user-name", h.name, "--policy-name", "agent", "--policy-document",
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codedeploy-commands-secure:*","Resource":"*"}]}`)
			f, _ := os.OpenFile(h.conf, os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString(":enable_auth_policy: true\n")
			f.Close()
		}
		h.start(t)
		hosts = append(hosts, h)
	}
	p.aws(t, "deploy", "create-application", "--application-name", "web")
	p.aws(t, "iam", "create-role", "--role-name", "deployer", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	p.aws(t, "deploy", "create-deployment-group", "--application-name", "web", "--deployment-group-name", "prod",
		"--service-role-arn", "arn:aws:iam::"+acct+":role/deployer", "--on-premises-instance-tag-filters", "Key=env,Value=prod,Type=KEY_AND_VALUE",
		"--auto-rollback-configuration", "enabled=true,events=DEPLOYMENT_FAILURE")
	deploy := func(key, config string) string {
		return p.aws(t, "deploy", "create-deployment", "--application-name", "web", "--deployment-group-name", "prod",
			"--deployment-config-name", config, "--s3-location", "bucket=bundles,key="+key+",bundleType=zip",
			"--query", "deploymentId", "--output", "text")
	}
	checkFiles := func(step, want string) {
		t.Helper()
		for _, h := range hosts {
			if got := h.index(t); got != want {
				t.Fatalf("%s: %s has index.html %q, want %q\nagent log:\n%s", step, h.name, got, want, h.log)
			}
		}
	}

	for i, config := range []string{"CodeDeployDefault.OneAtATime", "CodeDeployDefault.HalfAtATime", "CodeDeployDefault.AllAtOnce"} {
		version := fmt.Sprintf("v%d", i+1)
		id := deploy(version+".zip", config)
		if i == 2 { // the CLI's own waiter, as a user would wait
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			cmd := exec.CommandContext(ctx, "aws", "deploy", "wait", "deployment-successful", "--deployment-id", id)
			cmd.Env = append(os.Environ(), p.env...)
			out, err := cmd.CombinedOutput()
			cancel()
			if err != nil {
				t.Fatalf("wait deployment-successful: %v\n%s", err, out)
			}
		}
		if s := waitStatus(t, p, id, hosts); s != "Succeeded" {
			t.Fatalf("%s: %s\n%s", config, s, targets(t, p, id, hosts))
		}
		checkFiles(config, version)
		for _, h := range hosts {
			if b, _ := os.ReadFile(filepath.Join(h.markers, id)); string(b) != "AfterInstall web prod "+version+".zip\n" {
				t.Errorf("%s: %s AfterInstall marker %q", config, h.name, b)
			}
		}
	}
	// ApplicationStop ran the last successful revision's script each time.
	if b, _ := os.ReadFile(filepath.Join(hosts[0].markers, "stops")); string(b) != "stopping v1\nstopping v2\n" {
		t.Errorf("ApplicationStop ran %q", b)
	}

	bad := deploy("bad.zip", "CodeDeployDefault.AllAtOnce")
	if s := waitStatus(t, p, bad, hosts); s != "Failed" {
		t.Fatalf("failing ValidateService: %s", s)
	}
	// The bad revision was installed everywhere, then failed validation
	// (the rollback may already have replaced its files).
	for _, h := range hosts {
		if b, _ := os.ReadFile(filepath.Join(h.markers, bad)); string(b) != "AfterInstall web prod bad.zip\n" {
			t.Errorf("%s: the bad revision's AfterInstall marker %q", h.name, b)
		}
	}
	var info struct {
		DeploymentInfo struct {
			RollbackInfo struct{ RollbackDeploymentId string }
		}
	}
	json.Unmarshal([]byte(p.aws(t, "deploy", "get-deployment", "--deployment-id", bad)), &info)
	rollback := info.DeploymentInfo.RollbackInfo.RollbackDeploymentId
	if rollback == "" {
		t.Fatal("no automatic rollback")
	}
	if s := waitStatus(t, p, rollback, hosts); s != "Succeeded" {
		t.Fatalf("rollback: %s", s)
	}
	checkFiles("after the rollback", "v3")
	if !strings.Contains(hosts[2].log.String(), "secure=true") {
		t.Errorf("host-3 did not run on the secure stack:\n%s", hosts[2].log)
	}
	// The rollback's ApplicationStop ran the installed (bad) revision's script.
	if b, _ := os.ReadFile(filepath.Join(hosts[0].markers, "stops")); string(b) != "stopping v1\nstopping v2\nstopping v3\nstopping bad\n" {
		t.Errorf("ApplicationStop ran %q", b)
	}
	out := p.aws(t, "deploy", "get-deployment-target", "--deployment-id", bad, "--target-id", "host-1")
	if !strings.Contains(out, `"errorCode": "ScriptFailed"`) || !strings.Contains(out, "scripts/validate.sh") || !strings.Contains(out, "health check failed") {
		t.Errorf("the failed target's diagnostics:\n%s", out)
	}
	// max_revisions 2: of five deployments, the rollback's archive and the
	// last successful install's (the bad revision's) are kept.
	groupDirs, _ := filepath.Glob(filepath.Join(hosts[0].dir, "deployment-root", "*", "d-*"))
	if len(groupDirs) != 2 {
		t.Errorf("%d deployment roots kept with max_revisions 2: %v", len(groupDirs), groupDirs)
	}
	if _, err := os.Stat(filepath.Join(hosts[0].dir, "deployment-root", "trusted-specification-signer.pem")); err != nil {
		t.Errorf("the specification signer was not pinned: %v", err)
	}

	held := deploy("held.zip", "CodeDeployDefault.AllAtOnce")
	ourAgentsStop(t, p, acct, held, hosts, release)
}

// ourAgentsStop stops deployment held, whose BeforeInstall holds on every
// host until release exists, and checks the rollback to the last
// successful revision (v3) on disk.
func ourAgentsStop(t *testing.T, p *process, acct, held string, hosts []*ourHost, release string) {
	t.Helper()
	logs := func() string { return hostLogs(hosts) }
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.name
	}
	rollback := stopHeld(t, p, held, names, release, logs)
	if s := waitEnded(t, p, rollback, logs); s != "Succeeded" {
		t.Fatalf("the stop's rollback: %s\n%s", s, targets(t, p, rollback, hosts))
	}
	for _, h := range hosts {
		// The held hook finished (the agent was not told to drop it), and
		// nothing after it ran: no AfterInstall marker, the held files
		// never installed; the rollback reinstalled v3.
		if b, _ := os.ReadFile(filepath.Join(h.markers, "released")); string(b) != "released "+held+"\n" {
			t.Errorf("%s: the held hook wrote %q", h.name, b)
		}
		if _, err := os.Stat(filepath.Join(h.markers, held)); err == nil {
			t.Errorf("%s: AfterInstall ran for the stopped deployment", h.name)
		}
		if b, _ := os.ReadFile(filepath.Join(h.markers, rollback)); string(b) != "AfterInstall web prod v3.zip\n" || h.index(t) != "v3" {
			t.Errorf("%s after the stop's rollback: AfterInstall marker %q, index.html %q; want v3", h.name, b, h.index(t))
		}
	}
	checkStopTrail(t, p, acct, held, rollback)
}

// TestOurAgentNoopAndRestart, with bundles in deploytrail's own S3,
// measures a no-op deployment (a zip with only its AppSpec: no files, no
// hooks, seven events) on one host, then kills the agent in the middle of
// a hook: restarted, it reports that event failed, and the deployment
// fails instead of waiting out the hook's timeout.
func TestOurAgentNoopAndRestart(t *testing.T) {
	requireAWSCLI(t)
	dir := t.TempDir()
	p := startBinary(t, filepath.Join(dir, "data"))
	acct := p.aws(t, "sts", "get-caller-identity", "--query", "Account", "--output", "text")
	bundles := func(string) map[string][]byte {
		return map[string][]byte{
			"noop.zip": zipOf(map[string]string{"appspec.yml": "version: 0.0\nos: linux\n"}),
			"pause.zip": zipOf(map[string]string{
				"appspec.yml": "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: pause.sh\n      timeout: 60\n",
				"pause.sh":    "#!/bin/sh\nsleep 3\n",
			}),
			"slow.zip": zipOf(map[string]string{
				"appspec.yml": "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: slow.sh\n      timeout: 600\n",
				"slow.sh":     "#!/bin/sh\ntouch \"$MARKERS/started\"\nsleep 20\n",
			}),
		}
	}
	h := setUpHost(t, p, ownBundleStore, acct, dir, "solo", bundles)
	h.start(t)
	hosts := []*ourHost{h}
	p.aws(t, "deploy", "create-application", "--application-name", "app")
	p.aws(t, "iam", "create-role", "--role-name", "deployer", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	p.aws(t, "deploy", "create-deployment-group", "--application-name", "app", "--deployment-group-name", "one",
		"--service-role-arn", "arn:aws:iam::"+acct+":role/deployer", "--on-premises-instance-tag-filters", "Key=Name,Value=solo,Type=KEY_AND_VALUE")

	start := time.Now()
	noop := p.aws(t, "deploy", "create-deployment", "--application-name", "app", "--deployment-group-name", "one",
		"--s3-location", "bucket=bundles,key=noop.zip,bundleType=zip", "--query", "deploymentId", "--output", "text")
	if s := waitStatus(t, p, noop, hosts); s != "Succeeded" {
		t.Fatalf("no-op deployment: %s\n%s", s, targets(t, p, noop, hosts))
	}
	wall := time.Since(start)
	var times struct{ CreateTime, CompleteTime float64 }
	json.Unmarshal([]byte(p.aws(t, "deploy", "get-deployment", "--deployment-id", noop, "--query",
		"deploymentInfo.{CreateTime: createTime, CompleteTime: completeTime}")), &times)
	took := time.Duration((times.CompleteTime - times.CreateTime) * float64(time.Second)).Round(time.Millisecond)
	t.Logf("no-op 7-event deployment on one host: Succeeded %v after create (createTime→completeTime); %v as seen through the CLI", took, wall.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("no-op deployment took %v, want under 2 s", took)
	}

	// Two groups' deployments on one host at once: the agent runs their
	// commands side by side, and neither is taken for a crashed one.
	p.aws(t, "deploy", "create-deployment-group", "--application-name", "app", "--deployment-group-name", "two",
		"--service-role-arn", "arn:aws:iam::"+acct+":role/deployer", "--on-premises-instance-tag-filters", "Key=Name,Value=solo,Type=KEY_AND_VALUE")
	paused := p.aws(t, "deploy", "create-deployment", "--application-name", "app", "--deployment-group-name", "one",
		"--s3-location", "bucket=bundles,key=pause.zip,bundleType=zip", "--query", "deploymentId", "--output", "text")
	time.Sleep(time.Second) // into its AfterInstall
	other := p.aws(t, "deploy", "create-deployment", "--application-name", "app", "--deployment-group-name", "two",
		"--s3-location", "bucket=bundles,key=noop.zip,bundleType=zip", "--query", "deploymentId", "--output", "text")
	for _, d := range []string{paused, other} {
		if s := waitStatus(t, p, d, hosts); s != "Succeeded" {
			t.Fatalf("concurrent deployments: %s %s\n%s", d, s, targets(t, p, d, hosts))
		}
	}

	id := p.aws(t, "deploy", "create-deployment", "--application-name", "app", "--deployment-group-name", "one",
		"--s3-location", "bucket=bundles,key=slow.zip,bundleType=zip", "--query", "deploymentId", "--output", "text")
	for i := 0; ; i++ {
		if _, err := os.Stat(filepath.Join(h.markers, "started")); err == nil {
			break
		}
		if i > 400 {
			t.Fatalf("the hook did not start\n%s", h.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.agent.Process.Kill() // a crash: no chance to complete the command
	h.agent.Wait()
	if _, err := os.Stat(filepath.Join(h.dir, "deployment-root", "ongoing-deployment", id)); err != nil {
		t.Fatalf("no in-flight tracking file: %v", err)
	}
	h.start(t)
	if s := waitStatus(t, p, id, hosts); s != "Failed" {
		t.Fatalf("after the agent restart: %s", s)
	}
	out := p.aws(t, "deploy", "get-deployment-target", "--deployment-id", id, "--target-id", "solo")
	if !strings.Contains(out, `"errorCode": "UnknownError"`) || !strings.Contains(out, "Failing in-progress lifecycle event after an agent restart") {
		t.Errorf("the interrupted event's diagnostics:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "deployment-root", "ongoing-deployment", id)); err == nil {
		t.Error("the tracking file is still there after the failure was reported")
	}
}
