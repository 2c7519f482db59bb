package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/digest"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// TestValidateLogs runs `deploytrail validate-logs` on a trail whose
// digests the real binary writes every 2s to a directory bucket: all
// valid, then, after a log file is changed, another deleted and two
// consecutive digests deleted, each of them named with its reason.
func TestValidateLogs(t *testing.T) {
	dir := t.TempDir()
	const bucket = "vlogs"
	runClean(t, "buckets", "create", "--init", "--data", dir, bucket)
	p, account := startBinaryEnv(t, dir, "DEPLOYTRAIL_DELIVERY_INTERVAL=1s", "DEPLOYTRAIL_DIGEST_INTERVAL=2s")
	arn := startValidatedTrail(t, p, bucket)
	b := testBucket(t, app.Config{Data: dir}, bucket)
	chain := waitForChain(t, b, account, 6, 3, caller(t, p, "v"))

	started := time.Now()
	res := runValidate(t, p, dir, arn)
	t.Logf("valid chain of %d+ digests checked in %v:\n%s", len(chain), time.Since(started).Round(time.Millisecond), res.stdout)
	if d, dt := summaryCount(res.stdout, "digest"); res.status != 0 || d == 0 || d != dt {
		t.Fatalf("validate-logs on an intact chain: exit %d\nstdout:\n%s\nstderr:\n%s", res.status, res.stdout, res.stderr)
	}
	if !strings.HasPrefix(res.stdout, "Validating log files for trail "+arn+" between ") || !strings.Contains(res.stderr, "files/s") {
		t.Errorf("no header or no --verbose timing:\nstdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
	}

	tm := pickTampering(t, chain)
	changeLogFile(t, b, tm.changed)
	deleteObject(t, b, tm.deleted)
	deleteObject(t, b, tm.digests[0])
	deleteObject(t, b, tm.digests[1])
	res = runValidate(t, p, dir, arn)
	t.Logf("tampered chain:\nstdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
	if res.status != 1 {
		t.Fatalf("validate-logs on a tampered chain: exit %d, want 1", res.status)
	}
	for _, want := range []string{
		"Log file\ts3://" + bucket + "/" + tm.changed + "\tINVALID: hash value doesn't match",
		"Log file\ts3://" + bucket + "/" + tm.deleted + "\tINVALID: not found",
		"Digest file\ts3://" + bucket + "/" + tm.digests[1] + "\tINVALID: not found",
	} {
		if !hasLine(res.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	// The older of two consecutive deleted digests cannot be named (its
	// key holds its end time, which only the deleted newer one recorded),
	// so the gap between the digests around them is reported instead.
	gap := "chain broken before " + tm.newer + " "
	if !strings.Contains(res.stderr, gap) || !strings.Contains(res.stderr, "at least one digest after "+tm.older+" is missing") {
		t.Errorf("stderr lacks the chain gap between %s and %s", tm.older, tm.newer)
	}
	if !regexp.MustCompile(`(?m)files valid, 1/\d+ digest files INVALID$`).MatchString(res.stdout) ||
		!regexp.MustCompile(`(?m)files valid, 2/\d+ log files INVALID$`).MatchString(res.stdout) {
		t.Errorf("summary does not count the invalid files:\n%s", res.stdout)
	}
}

// TestValidateLogs_Usage checks the errors that exit with status 2.
func TestValidateLogs_Usage(t *testing.T) {
	const arn = "arn:aws:cloudtrail:us-east-1:123456789012:trail/main"
	for _, args := range [][]string{
		{"--trail-arn", arn, "--start-time", "2026-01-02", "--end-time", "2026-01-01T23:59Z"},
		{"--trail-arn", arn},
		{"--start-time", "2026-01-02"},
		{"--trail-arn", "arn:aws:s3:::bucket", "--start-time", "2026-01-02"},
		{"--trail-arn", arn, "--start-time", "yesterday"},
		{"--trail-arn", arn, "--start-time", "2026-01-02", "--concurrency", "0"},
		{"--trail-arn", arn, "--start-time", "2026-01-02", "--concurrency", "129"},
	} {
		cmd := exec.Command(binary, append([]string{"validate-logs"}, args...)...)
		cmd.Env = cleanEnv()
		out, err := cmd.CombinedOutput()
		if exit, ok := errors.AsType[*exec.ExitError](err); !ok || exit.ExitCode() != 2 {
			t.Errorf("validate-logs %s: %v, want exit status 2\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func TestValidateLogs_Times(t *testing.T) {
	want := time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC)
	for _, s := range []string{"2026-01-02T15:04:00Z", "2026-01-02T15:04Z", "2026-01-02T15:04", "2026-01-02 15:04:00",
		"2026-01-02T16:04:00+01:00", "20260102T150400Z", "1767366240"} {
		if got, err := parseLenientTime(s); err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseLenientTime(%q)=%v, %v; want %v", s, got, err, want)
		}
	}
	if got, err := parseLenientTime("2026-01-02"); err != nil || !got.Equal(want.Truncate(24*time.Hour)) {
		t.Errorf("parseLenientTime(date)=%v, %v", got, err)
	}
	o := &validateOptions{trailARN: "arn:aws:cloudtrail:eu-west-1:123456789012:trail/main", concurrency: 1}
	if err := o.check("2026-01-02", "", want); err != nil || !o.end.Equal(want) || o.region != "eu-west-1" {
		t.Errorf("defaults: end=%v region=%s err=%v; want now and the ARN's region", o.end, o.region, err)
	}
}

// startValidatedTrail creates trail "main" with log file validation,
// starts it and returns its ARN.
func startValidatedTrail(t *testing.T, p *process, bucket string) string {
	t.Helper()
	ct := cloudtrail.NewFromConfig(sdkConfig(t, p))
	out, err := ct.CreateTrail(t.Context(), &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String(bucket),
		EnableLogFileValidation: aws.Bool(true)})
	if err != nil {
		t.Fatalf("CreateTrail: %v", err)
	}
	if _, err := ct.StartLogging(t.Context(), &cloudtrail.StartLoggingInput{Name: aws.String("main")}); err != nil {
		t.Fatalf("StartLogging: %v", err)
	}
	return aws.ToString(out.TrailARN)
}

// caller returns a function that creates an application named
// prefix-n, n counting up, so that log files keep being delivered.
func caller(t *testing.T, p *process, prefix string) func() {
	cd := codedeploy.NewFromConfig(sdkConfig(t, p))
	n := 0
	return func() {
		t.Helper()
		name := fmt.Sprintf("%s-%d", prefix, n)
		n++
		if _, err := cd.CreateApplication(t.Context(), &codedeploy.CreateApplicationInput{ApplicationName: &name}); err != nil {
			t.Fatalf("CreateApplication: %v", err)
		}
	}
}

func testBucket(t *testing.T, cfg app.Config, name string) objstore.Bucket {
	t.Helper()
	p, err := app.OpenBuckets(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeProvider(p) })
	b, err := p.Bucket(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// digestFile is one stored digest.
type digestFile struct {
	key string
	d   *digest.Digest
}

// readChain returns the us-east-1 digests of account, oldest first.
func readChain(ctx context.Context, b objstore.Bucket, account string) ([]digestFile, error) {
	dir := digest.Dir("", "", account, "us-east-1")
	var out []digestFile
	for after := ""; ; {
		objs, err := b.List(ctx, dir, after, 0)
		if err != nil || len(objs) == 0 {
			return out, err
		}
		for _, o := range objs {
			obj, err := b.Get(ctx, o.Key)
			if err != nil {
				return nil, err
			}
			d, _, err := digest.Parse(obj.Body)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", o.Key, err)
			}
			out = append(out, digestFile{o.Key, d})
		}
		after = objs[len(objs)-1].Key
	}
}

// waitForChain makes a call every 700ms until account's chain has at
// least n digests, of which at least withLogs list log files, and returns
// the chain.
func waitForChain(t *testing.T, b objstore.Bucket, account string, n, withLogs int, call func()) []digestFile {
	t.Helper()
	var chain []digestFile
	var called time.Time
	waitFor(t, 60*time.Second, fmt.Sprintf("%d digests, %d of them with log files", n, withLogs), func() bool {
		if time.Since(called) > 700*time.Millisecond {
			call()
			called = time.Now()
		}
		var err error
		if chain, err = readChain(t.Context(), b, account); err != nil {
			t.Fatalf("read digests: %v", err)
		}
		logs := 0
		for _, f := range chain {
			if len(f.d.LogFiles) > 0 {
				logs++
			}
		}
		return len(chain) >= n && logs >= withLogs
	})
	return chain
}

// tampering is what a test changes in a chain.
type tampering struct {
	changed, deleted string    // log files
	digests          [2]string // consecutive digests to delete, older first
	older, newer     string    // the digests around them
}

// pickTampering chooses two consecutive digests inside the chain (neither
// its first nor its last) and two log files listed by other digests.
func pickTampering(t *testing.T, chain []digestFile) tampering {
	t.Helper()
	var logs []string
	i := len(chain) - 3
	for j, f := range chain {
		if j == i || j == i+1 {
			continue
		}
		for _, l := range f.d.LogFiles {
			logs = append(logs, l.Object)
		}
	}
	if i < 1 || len(logs) < 2 {
		t.Fatalf("chain of %d digests, %d log files outside the pair to delete: too short to tamper with", len(chain), len(logs))
	}
	return tampering{changed: logs[0], deleted: logs[len(logs)-1], digests: [2]string{chain[i].key, chain[i+1].key},
		older: chain[i-1].key, newer: chain[i+2].key}
}

// changeLogFile replaces a log file with another well-formed one.
func changeLogFile(t *testing.T, b objstore.Bucket, key string) {
	t.Helper()
	body := digest.Gzip([]byte(`{"Records":[{"eventName":"Forged"}]}`))
	if err := b.Put(t.Context(), key, body, objstore.PutOptions{ContentType: "application/json", ContentEncoding: "gzip"}); err != nil {
		t.Fatalf("replace %s: %v", key, err)
	}
}

func deleteObject(t *testing.T, b objstore.Bucket, key string) {
	t.Helper()
	if err := b.Delete(t.Context(), key); err != nil {
		t.Fatalf("delete %s: %v", key, err)
	}
}

// validateResult is how a validate-logs run ended.
type validateResult struct {
	status         int
	stdout, stderr string
}

// runValidate runs `deploytrail validate-logs --verbose` for the last ten
// minutes against p, reading buckets under dataDir (or, if empty, where
// the extra environment says).
func runValidate(t *testing.T, p *process, dataDir, arn string, env ...string) validateResult {
	t.Helper()
	args := []string{"validate-logs", "--trail-arn", arn, "--verbose", "--concurrency", "4",
		"--start-time", time.Now().UTC().Add(-10 * time.Minute).Format(time.RFC3339)}
	if dataDir != "" {
		args = append(args, "--data", dataDir)
	}
	return runCommand(t, binary, args, append(append(cleanEnv(), p.env...), env...))
}

// runCommand runs a program to its end and returns its exit status and
// output; only a failure to run it fails the test.
func runCommand(t *testing.T, name string, args, env []string) validateResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := validateResult{stdout: stdout.String(), stderr: stderr.String()}
	if exit, ok := errors.AsType[*exec.ExitError](err); ok {
		res.status = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	return res
}

// summaryCount finds the summary line "N/M <what> files valid" in out
// and returns N and M (0, 0 when absent).
func summaryCount(out, what string) (valid, total int) {
	m := regexp.MustCompile(`(?m)^(\d+)/(\d+) ` + what + ` files valid`).FindStringSubmatch(out)
	if m == nil {
		return 0, 0
	}
	valid, _ = strconv.Atoi(m[1])
	total, _ = strconv.Atoi(m[2])
	return valid, total
}

// hasLine reports whether one line of out is want.
func hasLine(out, want string) bool {
	for line := range strings.Lines(out) {
		if strings.TrimRight(line, "\n") == want {
			return true
		}
	}
	return false
}
