package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// runInProcess runs the command in this process and returns its output
// and error.
func runInProcess(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), args, &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

func mustRunInProcess(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runInProcess(t, args...)
	if err != nil {
		t.Fatalf("deploytrail %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func writeRules(t *testing.T, rules string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(p, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const cliRules = `{"Rules":[{"ID":"logs","Status":"Enabled","Filter":{"Prefix":"AWSLogs/"},
	"Expiration":{"Days":30},"Transitions":[{"Days":10,"StorageClass":"GLACIER"}]}]}`

func TestBucketsLifecycle(t *testing.T) {
	dir := t.TempDir()
	mustRunInProcess(t, "buckets", "create", "--init", "--data", dir, "trail-logs")
	rules := writeRules(t, cliRules)
	if out := mustRunInProcess(t, "buckets", "lifecycle", "put", "--data", dir, "trail-logs", "--file", rules); out != "put 1 lifecycle rules on bucket trail-logs\n" {
		t.Fatalf("put: %q", out)
	}
	storedRules, db, err := app.OpenLifecycleRules(t.Context(), app.Config{Data: dir})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := storedRules.Get(t.Context(), "trail-logs")
	db.Close()
	if err != nil || len(stored.Rules) != 1 {
		t.Fatalf("rules in the store (where every server reads them): %+v, %v", stored, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "lifecycle")); !os.IsNotExist(err) {
		t.Fatalf("rules also kept in files: %v", err)
	}
	var got struct {
		Rules []struct {
			ID         string
			Expiration struct{ Days int }
		}
	}
	out := mustRunInProcess(t, "buckets", "lifecycle", "get", "trail-logs", "--data", dir)
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Rules) != 1 || got.Rules[0].ID != "logs" || got.Rules[0].Expiration.Days != 30 {
		t.Fatalf("get: %v\n%s", err, out)
	}

	putAged(t, dir, "AWSLogs/old.json.gz", 40)
	putAged(t, dir, "AWSLogs/mid.json.gz", 15)
	putAged(t, dir, "AWSLogs/new.json.gz", 1)
	out = mustRunInProcess(t, "buckets", "lifecycle", "apply", "--data", dir, "trail-logs")
	want := "expired\tAWSLogs/old.json.gz\n" +
		"archived\tAWSLogs/mid.json.gz\t" + filepath.Join(dir, "archive", "trail-logs", "AWSLogs", "mid.json.gz") + "\n" +
		"bucket trail-logs: 1 expired, 1 archived\n"
	if out != want {
		t.Fatalf("apply:\n%s\nwant:\n%s", out, want)
	}
	if out := mustRunInProcess(t, "buckets", "lifecycle", "apply", "--data", dir, "trail-logs"); out != "bucket trail-logs: 0 expired, 0 archived\n" {
		t.Fatalf("second apply: %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "buckets", "trail-logs", "AWSLogs", "new.json.gz")); err != nil {
		t.Fatalf("the new file: %v", err)
	}

	mustRunInProcess(t, "buckets", "lifecycle", "delete", "--data", dir, "trail-logs")
	out, err = runInProcess(t, "buckets", "lifecycle", "get", "--data", dir, "trail-logs")
	if err == nil || !strings.Contains(err.Error(), "NoSuchLifecycleConfiguration: The lifecycle configuration does not exist") {
		t.Fatalf("get after delete: %v\n%s", err, out)
	}
}

func TestBucketsLifecycle_Errors(t *testing.T) {
	dir := t.TempDir()
	mustRunInProcess(t, "buckets", "create", "--init", "--data", dir, "trail-logs")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"BadDays", []string{"put", "trail-logs", "--file", writeRules(t, `{"Rules":[{"Status":"Enabled","Prefix":"","Expiration":{"Days":0}}]}`)},
			"buckets lifecycle put trail-logs: InvalidArgument: 'Days' for Expiration action must be a positive integer"},
		{"NoStatus", []string{"put", "trail-logs", "--file", writeRules(t, `{"Rules":[{"Prefix":"","Expiration":{"Days":1}}]}`)},
			"MalformedXML: "},
		{"NoFile", []string{"put", "trail-logs"}, "--file is required"},
		{"NoSuchBucket", []string{"put", "other-bucket", "--file", writeRules(t, cliRules)}, "NoSuchBucket"},
		{"ApplyNoSuchBucket", []string{"apply", "other-bucket"}, "NoSuchLifecycleConfiguration"},
		{"TwoBuckets", []string{"get", "a-bucket", "b-bucket"}, "name one bucket"},
		{"UnknownSubcommand", []string{"list", "trail-logs"}, `unknown subcommand "list"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"buckets", "lifecycle"}, tt.args...)
			out, err := runInProcess(t, append(args, "--data", dir)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err=%v, want it to contain %q\n%s", err, tt.want, out)
			}
		})
	}
}

// putAged stores an object in an fs bucket of dir, written age days ago.
func putAged(t *testing.T, dir, key string, age int) {
	t.Helper()
	b := testBucket(t, app.Config{Data: dir}, "trail-logs")
	if err := b.Put(t.Context(), key, []byte(key), objstore.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	mtime := time.Now().AddDate(0, 0, -age)
	if err := os.Chtimes(filepath.Join(dir, "buckets", "trail-logs", key), mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// TestBucketsLifecycle_S3 puts and gets rules on a MinIO bucket through
// the command, and shows how the service's refusal of a transition reads.
func TestBucketsLifecycle_S3(t *testing.T) {
	endpoint := os.Getenv("DEPLOYTRAIL_TEST_S3_ENDPOINT")
	if endpoint == "" {
		t.Skip("set DEPLOYTRAIL_TEST_S3_ENDPOINT (make test starts MinIO)")
	}
	key, secret := os.Getenv("DEPLOYTRAIL_TEST_S3_ACCESS_KEY_ID"), os.Getenv("DEPLOYTRAIL_TEST_S3_SECRET_ACCESS_KEY")
	t.Setenv("DEPLOYTRAIL_S3_ENDPOINT", endpoint)
	t.Setenv("DEPLOYTRAIL_S3_REGION", "us-east-1")
	t.Setenv("DEPLOYTRAIL_S3_ACCESS_KEY_ID", key)
	t.Setenv("DEPLOYTRAIL_S3_SECRET_ACCESS_KEY", secret)
	dir := t.TempDir()
	bucket := "dt-lifecycle-" + strings.ToLower(time.Now().Format("150405.000000"))
	bucket = strings.ReplaceAll(bucket, ".", "-")
	mustRunInProcess(t, "buckets", "create", "--init", "--data", dir, bucket)
	t.Cleanup(func() {
		c := awss3.New(awss3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")})
		if _, err := c.DeleteBucket(context.Background(), &awss3.DeleteBucketInput{Bucket: &bucket}); err != nil {
			t.Errorf("delete bucket %s: %v", bucket, err)
		}
	})

	expire := writeRules(t, `{"Rules":[{"ID":"expire","Status":"Enabled","Filter":{"Prefix":"AWSLogs/"},"Expiration":{"Days":30}}]}`)
	mustRunInProcess(t, "buckets", "lifecycle", "put", "--data", dir, bucket, "--file", expire)
	out := mustRunInProcess(t, "buckets", "lifecycle", "get", "--data", dir, bucket)
	if !strings.Contains(out, `"ID": "expire"`) || !strings.Contains(out, `"Days": 30`) || strings.Contains(out, "null") {
		t.Fatalf("get:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "lifecycle")); !os.IsNotExist(err) {
		t.Fatalf("S3 rules were also stored locally: %v", err)
	}
	if out := mustRunInProcess(t, "buckets", "lifecycle", "apply", "--data", dir, bucket); !strings.Contains(out, "enforces its lifecycle rules itself") {
		t.Fatalf("apply: %q", out)
	}
	// MinIO knows only storage classes that name a configured remote tier.
	out, err := runInProcess(t, "buckets", "lifecycle", "put", "--data", dir, bucket, "--file", writeRules(t, cliRules))
	if err != nil {
		if !strings.Contains(err.Error(), "InvalidStorageClass: ") {
			t.Fatalf("put with a transition: %v, want the service's error code\n%s", err, out)
		}
		t.Logf("the service refused a transition: %v", err)
	}
	mustRunInProcess(t, "buckets", "lifecycle", "delete", "--data", dir, bucket)
	if _, err := runInProcess(t, "buckets", "lifecycle", "get", "--data", dir, bucket); err == nil || !strings.Contains(err.Error(), "NoSuchLifecycleConfiguration") {
		t.Fatalf("get after delete: %v", err)
	}
}

// TestServeEnforcesLifecycle checks that the server applies a file
// bucket's rules when it starts (and then hourly).
func TestServeEnforcesLifecycle(t *testing.T) {
	dir := t.TempDir()
	mustRunInProcess(t, "buckets", "create", "--init", "--data", dir, "trail-logs")
	mustRunInProcess(t, "buckets", "lifecycle", "put", "--data", dir, "trail-logs", "--file", writeRules(t, cliRules))
	putAged(t, dir, "AWSLogs/old.json.gz", 40)
	putAged(t, dir, "AWSLogs/mid.json.gz", 15)
	startBinary(t, dir)
	archived := filepath.Join(dir, "archive", "trail-logs", "AWSLogs", "mid.json.gz")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, errOld := os.Stat(filepath.Join(dir, "buckets", "trail-logs", "AWSLogs", "old.json.gz"))
		_, errMid := os.Stat(archived)
		if os.IsNotExist(errOld) && errMid == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not apply the rules: old file: %v, archive copy: %v", errOld, errMid)
		}
	}
}
