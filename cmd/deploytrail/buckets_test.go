package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runBinary runs the binary without a server and returns its output.
func runBinary(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("deploytrail %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestBucketsCommand(t *testing.T) {
	dir := t.TempDir()
	if out := runBinary(t, "buckets", "create", "--init", "--data", dir, "trail-logs"); out != "created bucket trail-logs for the management account\n" {
		t.Fatalf("create: %q", out)
	}
	st, err := os.Stat(filepath.Join(dir, "buckets", "trail-logs"))
	if err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
		t.Fatalf("bucket directory: %v, %v", st, err)
	}
	if out := runBinary(t, "buckets", "list", "--data", dir); out != "trail-logs\n" {
		t.Fatalf("list: %q", out)
	}
	missing := exec.Command(binary, "buckets", "list", "--data", dir, "trail-logs", "other-bucket")
	out, err := missing.Output()
	if code := exitCode(err); code != 1 || string(out) != "trail-logs\nother-bucket\tdoes not exist\n" {
		t.Fatalf("list trail-logs other-bucket: exit %d, output %q; want exit 1 and other-bucket reported missing", code, out)
	}
	if err := exec.Command(binary, "buckets", "create", "--data", dir, "Bad_Name").Run(); err == nil {
		t.Fatal("an invalid bucket name was created")
	}
}

func TestParseConfigS3(t *testing.T) {
	env := map[string]string{"DEPLOYTRAIL_S3_ENDPOINT": "http://127.0.0.1:9000", "DEPLOYTRAIL_S3_REGION": "eu-west-1",
		"DEPLOYTRAIL_S3_ACCESS_KEY_ID": "minio", "DEPLOYTRAIL_S3_SECRET_ACCESS_KEY": "secret"}
	cfg, err := parseConfig(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.S3Endpoint != "http://127.0.0.1:9000" || cfg.S3Region != "eu-west-1" || cfg.S3AccessKeyID != "minio" || cfg.S3SecretAccessKey != "secret" {
		t.Fatalf("S3 settings=%q %q %q", cfg.S3Endpoint, cfg.S3Region, cfg.S3AccessKeyID)
	}
}

// TestTrailCLI creates a trail with the AWS CLI in a bucket made by
// `deploytrail buckets create`.
func TestTrailCLI(t *testing.T) {
	requireAWSCLI(t)
	dir := t.TempDir()
	runBinary(t, "buckets", "create", "--init", "--data", dir, "trail-logs")
	p := startBinary(t, dir)
	out := p.aws(t, "cloudtrail", "create-trail", "--name", "main", "--s3-bucket-name", "trail-logs", "--is-multi-region-trail", "--output", "json")
	var created struct {
		TrailARN           string
		IsMultiRegionTrail bool
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || !created.IsMultiRegionTrail || !strings.HasSuffix(created.TrailARN, ":trail/main") {
		t.Fatalf("create-trail: %v\n%s", err, out)
	}
	p.aws(t, "cloudtrail", "start-logging", "--name", "main")
	if out := p.aws(t, "cloudtrail", "get-trail-status", "--name", "main", "--query", "IsLogging", "--output", "text"); out != "True" {
		t.Fatalf("get-trail-status IsLogging=%q", out)
	}
	if out := p.aws(t, "cloudtrail", "describe-trails", "--region", "eu-west-1", "--query", "trailList[0].HomeRegion", "--output", "text"); out != "us-east-1" {
		t.Fatalf("describe-trails in eu-west-1: HomeRegion=%q", out)
	}
}

// TestBucketPolicyCLI: a bucket made for another account refuses the
// management account's trail (the AWS CLI sees AWS's error) until
// `buckets policy put`, run beside the server, names its path; `policy
// get` shows the owner and the default policy, and bad policies are
// refused.
func TestBucketPolicyCLI(t *testing.T) {
	requireAWSCLI(t)
	dir := t.TempDir()
	other := "111122223333"
	if out := runBinary(t, "buckets", "create", "--init", "--data", dir, "--account", other, "b-logs"); out != "created bucket b-logs for account "+other+"\n" {
		t.Fatalf("create: %q", out)
	}
	if err := exec.Command(binary, "buckets", "create", "--data", dir, "--account", "12", "x-logs").Run(); err == nil {
		t.Fatal("a bucket was given to a malformed account id")
	}
	p := startBinary(t, dir)
	out, err := awsCmd(p, "cloudtrail", "create-trail", "--name", "main", "--s3-bucket-name", "b-logs").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "InsufficientS3BucketPolicyException") ||
		!strings.Contains(string(out), "Incorrect S3 bucket policy is detected for bucket: b-logs") {
		t.Fatalf("create-trail into another account's bucket: %v\n%s", err, out)
	}
	get := exec.Command(binary, "buckets", "policy", "get", "--data", dir, "b-logs")
	var stderr strings.Builder
	get.Stderr = &stderr
	policy, err := get.Output()
	if err != nil || !strings.Contains(stderr.String(), "belongs to account "+other) ||
		!strings.Contains(string(policy), `"arn:aws:s3:::b-logs/AWSLogs/`+other+`/*"`) {
		t.Fatalf("policy get: %v\n%s\n%s", err, stderr.String(), policy)
	}
	file := filepath.Join(dir, "policy.json")
	for _, bad := range []string{`{"Statement":[]}`, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::other-bucket/*"}]}`} {
		if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := exec.Command(binary, "buckets", "policy", "put", "--data", dir, "b-logs", "--file", file).Run(); err == nil {
			t.Fatalf("policy put accepted %s", bad)
		}
	}
	all := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
		"Action":["s3:GetBucketAcl","s3:PutObject"],"Resource":["arn:aws:s3:::b-logs","arn:aws:s3:::b-logs/AWSLogs/*"]}]}`
	if err := os.WriteFile(file, []byte(all), 0o600); err != nil {
		t.Fatal(err)
	}
	runBinary(t, "buckets", "policy", "put", "--data", dir, "b-logs", "--file", file)
	p.aws(t, "cloudtrail", "create-trail", "--name", "main", "--s3-bucket-name", "b-logs")
}

// awsCmd is an AWS CLI command against p.
func awsCmd(p *process, args ...string) *exec.Cmd {
	cmd := exec.Command("aws", args...)
	cmd.Env = append(os.Environ(), p.env...)
	return cmd
}
