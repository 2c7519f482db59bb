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
	if out := runBinary(t, "buckets", "create", "--init", "--data", dir, "trail-logs"); out != "created bucket trail-logs\n" {
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
