package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/digest"
	"github.com/deploytrail/deploytrail/internal/iam"
)

// TestAWSValidateLogs runs the real `aws cloudtrail validate-logs`
// against deploytrail (CloudTrail endpoint) and a MinIO holding the
// trail's bucket (S3 endpoint): every digest and log file must be valid;
// after one log file is changed and another deleted, both must be
// reported, by the AWS CLI and by `deploytrail validate-logs` alike.
//
// The AWS CLI signs both endpoints with one key, so MinIO's root user and
// deploytrail's root access key are the same generated pair.
func TestAWSValidateLogs(t *testing.T) {
	requireAWSCLI(t)
	m := newMinio(t)
	m.user, m.password = iam.NewAccessKeyID(), iam.NewSecretAccessKey()
	m.start(t)
	const bucket = "aws-validate-logs"
	if _, err := m.client().CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	s3Env := []string{"DEPLOYTRAIL_S3_ENDPOINT=" + m.endpoint(), "DEPLOYTRAIL_S3_REGION=us-east-1",
		"DEPLOYTRAIL_S3_ACCESS_KEY_ID=" + m.user, "DEPLOYTRAIL_S3_SECRET_ACCESS_KEY=" + m.password}
	p, account := startBinaryEnv(t, t.TempDir(), append([]string{"DEPLOYTRAIL_DELIVERY_INTERVAL=1s", "DEPLOYTRAIL_DIGEST_INTERVAL=2s",
		"DEPLOYTRAIL_ROOT_ACCESS_KEY_ID=" + m.user, "DEPLOYTRAIL_ROOT_SECRET_ACCESS_KEY=" + m.password}, s3Env...)...)
	arn := startValidatedTrail(t, p, bucket)
	b := testBucket(t, app.Config{S3Endpoint: m.endpoint(), S3Region: "us-east-1", S3AccessKeyID: m.user, S3SecretAccessKey: m.password}, bucket)
	chain := waitForChain(t, b, account, 3, 2, caller(t, p, "aws"))

	s3c := m.client()
	wantLines := awsValidates(t, bucket, arn, chain, awsCLIEnv(t, p, m), m.redact, func(changed, deleted string) {
		forged := digest.Gzip([]byte(`{"Records":[{"eventName":"Forged"}]}`))
		if _, err := s3c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(changed),
			Body: strings.NewReader(string(forged)), ContentType: aws.String("application/json"), ContentEncoding: aws.String("gzip")}); err != nil {
			t.Fatalf("replace %s: %v", changed, err)
		}
		if _, err := s3c.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(deleted)}); err != nil {
			t.Fatalf("delete %s: %v", deleted, err)
		}
	})

	res := runValidate(t, p, "", arn, s3Env...)
	t.Logf("deploytrail validate-logs: exit %d\nstdout:\n%s\nstderr:\n%s", res.status, m.redact(res.stdout), m.redact(res.stderr))
	if res.status != 1 {
		t.Errorf("deploytrail validate-logs on the tampered chain: exit %d, want 1", res.status)
	}
	assertLines(t, "deploytrail validate-logs", res.stderr, wantLines)
}

// TestAWSValidateLogsOwnS3 is TestAWSValidateLogs with deploytrail alone,
// no MinIO: the trail delivers to a bucket of deploytrail's directory
// store, and the AWS CLI reads it through deploytrail's S3 API; the
// tampering is done with `aws s3 cp` and `aws s3 rm`, as a user could.
func TestAWSValidateLogsOwnS3(t *testing.T) {
	requireAWSCLI(t)
	dir := t.TempDir()
	p, account := startBinaryEnv(t, dir, "DEPLOYTRAIL_DELIVERY_INTERVAL=1s", "DEPLOYTRAIL_DIGEST_INTERVAL=2s")
	const bucket = "own-validate-logs"
	p.aws(t, "s3", "mb", "s3://"+bucket)
	arn := startValidatedTrail(t, p, bucket)
	chain := waitForChain(t, testBucket(t, app.Config{Data: dir}, bucket), account, 3, 2, caller(t, p, "aws"))

	// Only deploytrail: AWS_ENDPOINT_URL serves CloudTrail and S3 alike
	// (the CLI v1's validate-logs has no S3 endpoint option of its own).
	env := append(slices.DeleteFunc(cleanEnv(), func(kv string) bool { return strings.HasPrefix(kv, "AWS_") }), p.env...)
	env = append(env, "AWS_PAGER=")
	forged := filepath.Join(t.TempDir(), "forged.json.gz")
	if err := os.WriteFile(forged, digest.Gzip([]byte(`{"Records":[{"eventName":"Forged"}]}`)), 0o600); err != nil {
		t.Fatal(err)
	}
	awsValidates(t, bucket, arn, chain, env, func(s string) string { return s }, func(changed, deleted string) {
		p.aws(t, "s3", "cp", forged, "s3://"+bucket+"/"+changed, "--content-type", "application/json", "--content-encoding", "gzip")
		p.aws(t, "s3", "rm", "s3://"+bucket+"/"+deleted)
	})
}

// awsValidates runs `aws cloudtrail validate-logs` (in env) on the trail's
// intact chain, which must be valid, then tampers (changes one log file,
// deletes another), and checks that the CLI reports both and exits 1. It
// returns the lines the report must hold.
func awsValidates(t *testing.T, bucket, arn string, chain []digestFile, env []string, redact func(string) string,
	tamper func(changed, deleted string)) []string {
	t.Helper()
	start := time.Now().UTC().Add(-10 * time.Minute).Format(time.RFC3339)
	cli := func() validateResult {
		t.Helper()
		began := time.Now()
		res := runCommand(t, "aws", []string{"cloudtrail", "validate-logs", "--trail-arn", arn, "--start-time", start, "--verbose"}, env)
		res.stdout, res.stderr = redact(res.stdout), redact(res.stderr)
		t.Logf("aws cloudtrail validate-logs: exit %d in %v\nstdout:\n%s\nstderr:\n%s", res.status, time.Since(began).Round(time.Millisecond), res.stdout, res.stderr)
		return res
	}
	res := cli()
	digests, digestsTotal := summaryCount(res.stdout, "digest")
	logs, logsTotal := summaryCount(res.stdout, "log")
	if res.status != 0 || digests == 0 || digests != digestsTotal || logs == 0 || logs != logsTotal {
		t.Fatalf("the AWS CLI does not find the intact chain valid: exit %d, %d/%d digest files, %d/%d log files valid",
			res.status, digests, digestsTotal, logs, logsTotal)
	}
	changed, deleted := pickLogFiles(t, chain)
	tamper(changed, deleted)
	wantLines := []string{
		"Log file\ts3://" + bucket + "/" + changed + "\tINVALID: hash value doesn't match",
		"Log file\ts3://" + bucket + "/" + deleted + "\tINVALID: not found",
	}
	res = cli()
	if res.status != 1 {
		t.Errorf("the AWS CLI on the tampered chain: exit %d, want 1", res.status)
	}
	assertLines(t, "aws cloudtrail validate-logs", res.stderr, wantLines)
	return wantLines
}

// awsCLIEnv is the environment for the AWS CLI: CloudTrail is deploytrail,
// S3 is MinIO (path style), both signed with the shared key; no other
// AWS_* or DEPLOYTRAIL_* setting of the caller's leaks in.
func awsCLIEnv(t *testing.T, p *process, m *minioServer) []string {
	config := filepath.Join(t.TempDir(), "aws-config")
	if err := os.WriteFile(config, []byte("[default]\ns3 =\n  addressing_style = path\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := slices.DeleteFunc(cleanEnv(), func(kv string) bool { return strings.HasPrefix(kv, "AWS_") })
	return append(env, "AWS_ENDPOINT_URL_CLOUDTRAIL="+p.endpoint, "AWS_ENDPOINT_URL_S3="+m.endpoint(),
		"AWS_ACCESS_KEY_ID="+m.user, "AWS_SECRET_ACCESS_KEY="+m.password, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+config, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_PAGER=")
}

// pickLogFiles returns two different log files that digests of chain
// list: the first and the last.
func pickLogFiles(t *testing.T, chain []digestFile) (first, last string) {
	t.Helper()
	var logs []string
	for _, f := range chain {
		for _, l := range f.d.LogFiles {
			logs = append(logs, l.Object)
		}
	}
	if len(logs) < 2 {
		t.Fatalf("only %d log files listed in the chain", len(logs))
	}
	return logs[0], logs[len(logs)-1]
}

// assertLines checks that out has every line of want.
func assertLines(t *testing.T, who, out string, want []string) {
	t.Helper()
	for _, line := range want {
		if !hasLine(out, line) {
			t.Errorf("%s: stderr lacks %q", who, line)
		}
	}
}
