package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The real agent's test: AWS's own CodeDeploy agent (Ruby, from
// ../shared/third_party, unmodified) deploys through the real binary. It
// needs Debian's Ruby with the agent's packages (scripts/ruby.sh installs
// them; make test runs it), MinIO (scripts/minio.sh builds it) and the
// AWS CLI, and is skipped when one is missing.

// thirdParty is shared/third_party beside the repository, found by
// walking up from this package: a checkout may sit at any depth (a
// worktree is one level deeper than the main checkout), and a fixed
// relative path silently skipped the test where it did not match.
// DEPLOYTRAIL_THIRD_PARTY names it outright.
var thirdParty = findThirdParty()

func findThirdParty() string {
	if dir := os.Getenv("DEPLOYTRAIL_THIRD_PARTY"); dir != "" {
		return dir
	}
	dir, err := filepath.Abs(".")
	for err == nil {
		candidate := filepath.Join(dir, "shared", "third_party")
		if _, statErr := os.Stat(filepath.Join(candidate, "aws-codedeploy-agent")); statErr == nil {
			return candidate
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return filepath.Join("..", "..", "..", "shared", "third_party") // where the project's layout puts it
}

func requireRealAgent(t *testing.T) (agentDir, minio string) {
	t.Helper()
	requireAWSCLI(t)
	agentDir, _ = filepath.Abs(filepath.Join(thirdParty, "aws-codedeploy-agent"))
	if _, err := os.Stat(filepath.Join(agentDir, "lib", "codedeploy-agent.rb")); err != nil {
		t.Skipf("skipped: AWS's agent is not at %s", agentDir)
	}
	if exec.Command("ruby", "-e", `require "aws-sdk-core"; require "aws-sdk-s3"; require "zip"; require "logging"`).Run() != nil {
		t.Skip("skipped: Ruby or the agent's packages are missing; run scripts/ruby.sh")
	}
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	minio = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "minio")
	if p, err := exec.LookPath("minio"); err == nil {
		minio = p
	}
	if _, err := os.Stat(minio); err != nil {
		t.Skip("skipped: no MinIO binary; scripts/minio.sh builds one")
	}
	return agentDir, minio
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startMinIO runs a MinIO whose root user is the agent's key: the agent
// signs its bundle GETs with the key it uses for the command service.
func startMinIO(t *testing.T, minio, dir, key, secret string) string {
	t.Helper()
	port, console := freePort(t), freePort(t)
	cmd := exec.Command(minio, "server", "--quiet", "--address", fmt.Sprintf("127.0.0.1:%d", port),
		"--console-address", fmt.Sprintf("127.0.0.1:%d", console), filepath.Join(dir, "minio"))
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+key, "MINIO_ROOT_PASSWORD="+secret)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start MinIO: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for range 300 {
		if resp, err := http.Get(url + "/minio/health/live"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("MinIO did not start")
	return ""
}

// bundle is a tgz revision: one file installed into installDir, an
// AfterInstall hook that leaves a marker per deployment, and a
// ValidateService hook that fails when failing is set.
func bundle(t *testing.T, installDir, markerDir string, failing bool) []byte {
	t.Helper()
	validate := "#!/bin/sh\necho validated\n"
	if failing {
		validate = "#!/bin/sh\necho health check failed\nexit 1\n"
	}
	return tgzOf(t, []bundleFile{
		{"appspec.yml", "version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: " + installDir +
			"\nhooks:\n  AfterInstall:\n    - location: scripts/after.sh\n      timeout: 60\n  ValidateService:\n    - location: scripts/validate.sh\n      timeout: 60\n", 0o644},
		{"index.html", "hello from deploytrail\n", 0o644},
		{"scripts/after.sh", afterScript(markerDir), 0o755},
		{"scripts/validate.sh", validate, 0o755},
	})
}

// heldBundle is a tgz revision whose BeforeInstall holds until release
// exists (holdScript), with bundle's AfterInstall marker and an
// index.html that says "held".
func heldBundle(t *testing.T, installDir, markerDir, release string) []byte {
	t.Helper()
	return tgzOf(t, []bundleFile{
		{"appspec.yml", "version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: " + installDir +
			"\nhooks:\n  BeforeInstall:\n    - location: scripts/hold.sh\n      timeout: 90\n  AfterInstall:\n    - location: scripts/after.sh\n", 0o644},
		{"index.html", "held\n", 0o644},
		{"scripts/hold.sh", holdScript(release, markerDir), 0o755},
		{"scripts/after.sh", afterScript(markerDir), 0o755},
	})
}

func afterScript(markerDir string) string {
	return "#!/bin/sh\necho \"$LIFECYCLE_EVENT $APPLICATION_NAME\" > " + markerDir + "/$DEPLOYMENT_ID\n"
}

type bundleFile struct {
	name, body string
	mode       int64
}

func tgzOf(t *testing.T, files []bundleFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.body)), Typeflag: tar.TypeReg, ModTime: time.Now()})
		tw.Write([]byte(f.body))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// TestRealAgent registers this machine as an on-premises instance, runs
// AWS's agent against the binary (legacy stack, HTTP with the agent's
// beta test profile) with bundles in deploytrail's own S3, read with an
// IAM policy's s3:GetObject (over HTTPS: on a MinIO, an external store),
// and checks that a deployment
// succeeds with the file installed and the hooks run, that a failing
// ValidateService fails the deployment with the script's output in the
// target's diagnostics, and (over HTTP) that stop-deployment while a hook
// runs stops the deployment and rolls it back (agentstop_test.go).
//
// Over HTTP the agent runs with its beta test profile (it refuses plain
// HTTP otherwise); over HTTPS the server has a certificate from a test CA
// that the agent (and the AWS CLI) are told to trust, with no test profile.
func TestRealAgent(t *testing.T) {
	agentDir, minio := requireRealAgent(t)
	t.Run("HTTP", func(t *testing.T) { realAgentDeploys(t, agentDir, ownBundleStore, false) })
	t.Run("HTTPS", func(t *testing.T) { realAgentDeploys(t, agentDir, minioBundleStore(minio), true) })
}

func realAgentDeploys(t *testing.T, agentDir string, store bundleStore, useTLS bool) {
	dir := t.TempDir()
	var p *process
	var caFile string
	if useTLS {
		var certFile, keyFile string
		caFile, certFile, keyFile = testCA(t, dir)
		p = startBinary(t, filepath.Join(dir, "data"), "--tls-cert", certFile, "--tls-key", keyFile)
		p.env = append(p.env, "AWS_CA_BUNDLE="+caFile)
	} else {
		p = startBinary(t, filepath.Join(dir, "data"))
	}
	acct := p.aws(t, "sts", "get-caller-identity", "--query", "Account", "--output", "text")

	p.aws(t, "iam", "create-user", "--user-name", "agent-host")
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	if err := json.Unmarshal([]byte(p.aws(t, "iam", "create-access-key", "--user-name", "agent-host")), &key); err != nil {
		t.Fatal(err)
	}
	userARN := "arn:aws:iam::" + acct + ":user/agent-host"
	p.aws(t, "deploy", "register-on-premises-instance", "--instance-name", "agent-host", "--iam-user-arn", userARN)
	p.aws(t, "deploy", "add-tags-to-on-premises-instances", "--instance-names", "agent-host", "--tags", "Key=env,Value=prod")
	p.aws(t, "deploy", "create-application", "--application-name", "web")
	p.aws(t, "iam", "create-role", "--role-name", "deployer", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	p.aws(t, "deploy", "create-deployment-group", "--application-name", "web", "--deployment-group-name", "prod",
		"--service-role-arn", "arn:aws:iam::"+acct+":role/deployer", "--on-premises-instance-tag-filters", "Key=env,Value=prod,Type=KEY_AND_VALUE")

	installDir, markerDir := filepath.Join(dir, "install"), filepath.Join(dir, "markers")
	os.MkdirAll(installDir, 0o755)
	os.MkdirAll(markerDir, 0o755)
	s3URL, put := store(t, p, bundleHost{dir: dir, user: "agent-host", key: key.AccessKey.AccessKeyId, secret: key.AccessKey.SecretAccessKey})
	release := filepath.Join(dir, "release")
	for name, b := range map[string][]byte{"good.tgz": bundle(t, installDir, markerDir, false),
		"bad.tgz": bundle(t, installDir, markerDir, true), "held.tgz": heldBundle(t, installDir, markerDir, release)} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, b, 0o644)
		put(path, name)
	}

	agentConf := startAgent(t, agentDir, dir, p.endpoint, s3URL, userARN, key.AccessKey.AccessKeyId, key.AccessKey.SecretAccessKey, caFile)

	deploy := func(key string) string {
		return p.aws(t, "deploy", "create-deployment", "--application-name", "web", "--deployment-group-name", "prod",
			"--s3-location", "bucket=bundles,key="+key+",bundleType=tgz", "--query", "deploymentId", "--output", "text")
	}
	good := deploy("good.tgz")
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", "deploy", "wait", "deployment-successful", "--deployment-id", good)
	cmd.Env = append(os.Environ(), p.env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wait deployment-successful: %v\n%s\n%s\nagent log:\n%s", err, out,
			p.aws(t, "deploy", "get-deployment-target", "--deployment-id", good, "--target-id", "agent-host"), agentLog(agentConf))
	}
	var times struct{ CreateTime, CompleteTime float64 } // the CLI v1 prints epoch seconds
	json.Unmarshal([]byte(p.aws(t, "deploy", "get-deployment", "--deployment-id", good, "--query", "deploymentInfo.{CreateTime: createTime, CompleteTime: completeTime}")), &times)
	took := time.Duration((times.CompleteTime - times.CreateTime) * float64(time.Second)).Round(time.Millisecond)
	t.Logf("real agent deployment: Succeeded %v after create (createTime→completeTime); the waiter returned after %v (it polls every 15 s)",
		took, time.Since(start).Round(time.Millisecond))
	if b, err := os.ReadFile(filepath.Join(installDir, "index.html")); err != nil || string(b) != "hello from deploytrail\n" {
		t.Fatalf("installed file: %q %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(markerDir, good)); err != nil || string(b) != "AfterInstall web\n" {
		t.Fatalf("AfterInstall marker: %q %v", b, err)
	}

	bad := deploy("bad.tgz")
	var status string
	for range 120 {
		if status = p.aws(t, "deploy", "get-deployment", "--deployment-id", bad, "--query", "deploymentInfo.status", "--output", "text"); status == "Failed" || status == "Succeeded" {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if status != "Failed" {
		t.Fatalf("failing deployment: %s\nagent log:\n%s", status, agentLog(agentConf))
	}
	var target struct {
		DeploymentTarget struct {
			InstanceTarget struct {
				LifecycleEvents []struct {
					LifecycleEventName, Status string
					Diagnostics                *struct{ ErrorCode, ScriptName, Message, LogTail string }
				}
			}
		}
	}
	out := p.aws(t, "deploy", "get-deployment-target", "--deployment-id", bad, "--target-id", "agent-host")
	if err := json.Unmarshal([]byte(out), &target); err != nil {
		t.Fatal(err)
	}
	var validate *struct{ ErrorCode, ScriptName, Message, LogTail string }
	for _, e := range target.DeploymentTarget.InstanceTarget.LifecycleEvents {
		if e.LifecycleEventName == "ValidateService" && e.Status == "Failed" {
			validate = e.Diagnostics
		}
	}
	if validate == nil || validate.ErrorCode != "ScriptFailed" || validate.ScriptName != "scripts/validate.sh" || !strings.Contains(validate.LogTail, "health check failed") {
		t.Fatalf("ValidateService diagnostics: %s", out)
	}

	// The stop runs once: the transport changes nothing in it, and it
	// costs some 20 s.
	if !useTLS {
		realAgentStops(t, p, acct, deploy("held.tgz"), release, installDir, markerDir, func() string { return agentLog(agentConf) })
		// The HTTP run keeps its bundles in deploytrail's own S3, where
		// `aws deploy push` can put them.
		realAgentDeploysPushed(t, p, dir, installDir, func() string { return agentLog(agentConf) })
	}
}

// realAgentDeploysPushed deploys a revision that `aws deploy push` zipped,
// uploaded to deploytrail's own S3 and registered, named by the ETag the
// push registered, on AWS's agent.
func realAgentDeploysPushed(t *testing.T, p *process, dir, installDir string, logs func() string) {
	t.Helper()
	src := filepath.Join(dir, "pushed-src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	appspec := "version: 0.0\nos: linux\nfiles:\n  - source: pushed.html\n    destination: " + installDir + "\n"
	for name, body := range map[string]string{"pushed.html": "pushed with aws deploy push\n", "appspec.yml": appspec} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p.aws(t, "deploy", "push", "--application-name", "web", "--s3-location", "s3://bundles/pushed.zip", "--source", src)
	eTag := strings.Trim(p.aws(t, "deploy", "list-application-revisions", "--application-name", "web", "--s3-bucket", "bundles",
		"--s3-key-prefix", "pushed.zip", "--query", "revisions[0].s3Location.eTag", "--output", "text"), `"`)
	if eTag == "" || eTag == "None" {
		t.Fatalf("aws deploy push registered no revision with an eTag")
	}
	id := p.aws(t, "deploy", "create-deployment", "--application-name", "web", "--deployment-group-name", "prod",
		"--s3-location", "bucket=bundles,key=pushed.zip,bundleType=zip,eTag="+eTag, "--query", "deploymentId", "--output", "text")
	if s := waitEnded(t, p, id, logs); s != "Succeeded" {
		t.Fatalf("the pushed revision's deployment: %s\n%s", s, logs())
	}
	if b, err := os.ReadFile(filepath.Join(installDir, "pushed.html")); err != nil || string(b) != "pushed with aws deploy push\n" {
		t.Fatalf("installed pushed.html: %q %v", b, err)
	}
}

// realAgentStops stops deployment held while its BeforeInstall holds on
// AWS's agent, and checks the rollback to the last successful revision
// (good.tgz) on disk.
func realAgentStops(t *testing.T, p *process, acct, held, release, installDir, markerDir string, logs func() string) {
	t.Helper()
	start := time.Now()
	rollback := stopHeld(t, p, held, []string{"agent-host"}, release, logs)
	if s := waitEnded(t, p, rollback, logs); s != "Succeeded" {
		t.Fatalf("the stop's rollback: %s\n%s", s, logs())
	}
	t.Logf("real agent: deploy, stop, rollback Succeeded in %v", time.Since(start).Round(time.Millisecond))
	// The held hook ran to its end (AWS's agent is not told to drop a
	// running command), nothing after it ran, and the rollback reinstalled
	// good.tgz.
	if b, _ := os.ReadFile(filepath.Join(markerDir, "released")); string(b) != "released "+held+"\n" {
		t.Errorf("the held hook wrote %q", b)
	}
	if _, err := os.Stat(filepath.Join(markerDir, held)); err == nil {
		t.Error("AfterInstall ran for the stopped deployment")
	}
	b, _ := os.ReadFile(filepath.Join(markerDir, rollback))
	index, _ := os.ReadFile(filepath.Join(installDir, "index.html"))
	if string(b) != "AfterInstall web\n" || string(index) != "hello from deploytrail\n" {
		t.Errorf("after the stop's rollback: AfterInstall marker %q, index.html %q", b, index)
	}
	checkStopTrail(t, p, acct, held, rollback)
}

// startAgent writes the agent's configuration and starts it as a daemon;
// it is stopped when the test ends. It returns the config's directory.
// With caFile (HTTPS), the agent trusts that CA and runs without a test
// profile.
func startAgent(t *testing.T, agentDir, dir, endpoint, s3URL, userARN, key, secret, caFile string) string {
	t.Helper()
	conf := filepath.Join(dir, "agent")
	for _, d := range []string{"log", "pid", "root"} {
		os.MkdirAll(filepath.Join(conf, d), 0o700)
	}
	onprem := filepath.Join(conf, "codedeploy.onpremises.yml")
	os.WriteFile(onprem, []byte(fmt.Sprintf("---\naws_access_key_id: %s\naws_secret_access_key: %s\niam_user_arn: %s\nregion: us-east-1\n", key, secret, userARN)), 0o600)
	yml := filepath.Join(conf, "codedeployagent.yml")
	os.WriteFile(yml, []byte(fmt.Sprintf(`---
:log_aws_wire: false
:log_dir: '%[1]s/log'
:pid_dir: '%[1]s/pid'
:program_name: codedeploy-agent
:root_dir: '%[1]s/root'
:verbose: true
:wait_between_runs: 1
:proxy_uri:
:max_revisions: 5
:deploy_control_endpoint: '%[2]s'
:s3_endpoint_override: '%[3]s'
:on_premises_config_file: '%[4]s'
`, conf, endpoint, s3URL, onprem)+testProfile(caFile)), 0o600)
	shim, _ := filepath.Abs(filepath.Join(thirdParty, "shim"))
	run := func(action string) *exec.Cmd {
		cmd := exec.Command("ruby", "-I", shim, "-I", agentDir+"/vendor/gems/process_manager-0.0.13/lib",
			"-I", agentDir+"/vendor/gems/simple_pid-0.2.1/lib", "-I", agentDir+"/vendor/gems/codedeploy-commands-1.0.0/lib",
			agentDir+"/lib/codedeploy-agent.rb", "--config_file", yml, action)
		if caFile != "" {
			cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+caFile, "AWS_SSL_CA_BUNDLE="+caFile, "AWS_CA_BUNDLE="+caFile)
		}
		return cmd
	}
	// The daemon keeps its parent's stdout and stderr: a file, not a pipe
	// that Wait would wait on.
	outFile, err := os.Create(filepath.Join(conf, "log", "start.out"))
	if err != nil {
		t.Fatal(err)
	}
	start := run("start")
	start.Stdout, start.Stderr = outFile, outFile
	if err := start.Run(); err != nil {
		outFile.Close()
		t.Fatalf("start the agent: %v\n%s", err, agentLog(conf))
	}
	t.Cleanup(func() {
		stop := run("stop")
		stop.Stdout, stop.Stderr = outFile, outFile
		if err := stop.Run(); err != nil {
			t.Logf("stop the agent: %v", err)
		}
		outFile.Close()
	})
	return conf
}

// testProfile is the config line that lets the agent speak plain HTTP.
func testProfile(caFile string) string {
	if caFile != "" {
		return ""
	}
	return ":codedeploy_test_profile: beta\n"
}

// testCA writes a CA certificate and a server certificate for 127.0.0.1
// signed by it, with the server's key (0600), and returns their paths.
func testCA(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "deploytrail test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	return caFile, certFile, keyFile
}

func agentLog(conf string) string {
	b, _ := os.ReadFile(filepath.Join(conf, "log", "codedeploy-agent.log"))
	d, _ := os.ReadFile(filepath.Join(conf, "root", "deployment-logs", "codedeploy-agent-deployments.log"))
	return string(b) + "\n--- deployments log ---\n" + string(d)
}
