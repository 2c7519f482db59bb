package cluster_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/deploytrail/deploytrail/internal/digest"
	"github.com/deploytrail/deploytrail/internal/trailfiles"
)

// trailFiles is what a trail's bucket holds: log files by key, and the
// digests' parsed documents.
type trailFiles struct {
	logs    map[string][]byte
	digests []*digest.Digest
}

// readTrailFiles reads every object of the bucket.
func readTrailFiles(ctx context.Context, c *s3.Client, bucket string) (trailFiles, error) {
	f := trailFiles{logs: map[string][]byte{}}
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return f, err
		}
		for _, o := range page.Contents {
			obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: o.Key})
			if err != nil {
				return f, err
			}
			body, err := io.ReadAll(obj.Body)
			obj.Body.Close()
			if err != nil {
				return f, err
			}
			key := aws.ToString(o.Key)
			if !strings.Contains(key, "/CloudTrail-Digest/") {
				f.logs[key] = body
				continue
			}
			d, _, err := digest.Parse(body)
			if err != nil {
				return f, fmt.Errorf("digest %s: %w", key, err)
			}
			f.digests = append(f.digests, d)
		}
	}
	return f, nil
}

// undigested lists the log files no digest lists yet.
func (f trailFiles) undigested() []string {
	listed := map[string]bool{}
	for _, d := range f.digests {
		for _, l := range d.LogFiles {
			listed[l.Object] = true
		}
	}
	return slices.DeleteFunc(slices.Sorted(maps.Keys(f.logs)), func(k string) bool { return listed[k] })
}

// waitDelivered polls the bucket until every acknowledged call that must
// have its event is delivered and a digest lists every log file, and
// returns what the bucket then holds.
func waitDelivered(t *testing.T, timeout time.Duration, c *s3.Client, bucket, account string, acks []ack) trailFiles {
	t.Helper()
	var missing, undigested []string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		files, err := readTrailFiles(t.Context(), c, bucket)
		if err != nil {
			t.Fatalf("read the trail's bucket: %v", err)
		}
		d, err := trailfiles.Parse(files.logs, account)
		if err != nil {
			t.Fatal(err)
		}
		missing = missing[:0]
		for _, a := range acks {
			if a.recorded() && d.Requests[a.requestID] == 0 {
				missing = append(missing, a.operation+" "+a.requestID)
			}
		}
		if undigested = files.undigested(); len(missing) == 0 && len(undigested) == 0 {
			return files
		}
	}
	t.Fatalf("after %v: %d of %d acknowledged calls not delivered (e.g. %v), %d log files in no digest (e.g. %v)",
		timeout, len(missing), len(acks), missing[:min(5, len(missing))], len(undigested), undigested[:min(3, len(undigested))])
	return trailFiles{}
}

// assertExactlyOnce checks that no eventID and no requestID occurs twice
// across the log files and that every acknowledged call that must have
// stored its event occurs.
func assertExactlyOnce(t *testing.T, files trailFiles, account string, acks []ack) {
	t.Helper()
	d, err := trailfiles.Parse(files.logs, account)
	if err != nil {
		t.Fatal(err)
	}
	for id, n := range d.Events {
		if n != 1 {
			t.Errorf("eventID %s delivered %d times", id, n)
		}
	}
	for id, n := range d.Requests {
		if n != 1 {
			t.Errorf("requestID %s delivered %d times", id, n)
		}
	}
	faults := 0
	for _, a := range acks {
		switch {
		case !a.recorded():
			faults++
		case d.Requests[a.requestID] == 0:
			t.Errorf("acknowledged %s %s (%s) never delivered", a.operation, a.requestID, a.resource)
		}
	}
	t.Logf("%d log files, %d digests, %d events; %d acknowledged calls each delivered once, %d answered with a 5xx",
		len(files.logs), len(files.digests), len(d.Events), len(acks)-faults, faults)
}

// awsValidateLogs runs AWS's `aws cloudtrail validate-logs` on the
// trail: CloudTrail is a node, S3 the trail's MinIO, both signed with the
// root key they share. Every digest and log file must be valid, and it
// must check as many log files as the bucket holds.
func awsValidateLogs(t *testing.T, trailARN, cloudTrailEndpoint string, m *minioServer, since time.Time, logFiles int) {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("skipped: the AWS CLI (aws) is not on PATH; it is on the CI machine image")
	}
	config := filepath.Join(t.TempDir(), "aws-config")
	mustWrite(t, config, "[default]\ns3 =\n  addressing_style = path\n")
	env := slices.DeleteFunc(cleanEnv(), func(kv string) bool { return strings.HasPrefix(kv, "AWS_") })
	env = append(env, "AWS_ENDPOINT_URL_CLOUDTRAIL="+cloudTrailEndpoint, "AWS_ENDPOINT_URL_S3="+m.endpoint(),
		"AWS_ACCESS_KEY_ID="+m.user, "AWS_SECRET_ACCESS_KEY="+m.password, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+config, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_PAGER=")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", "cloudtrail", "validate-logs", "--trail-arn", trailARN,
		"--start-time", since.UTC().Add(-5*time.Minute).Format(time.RFC3339), "--verbose")
	cmd.Env = env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := strings.ReplaceAll(stdout.String()+stderr.String(), m.password, "<secret>")
	digests, digestsTotal := summaryCount(stdout.String(), "digest")
	logs, logsTotal := summaryCount(stdout.String(), "log")
	if err != nil || digests == 0 || digests != digestsTotal || logs != logsTotal || logs != logFiles {
		t.Fatalf("aws cloudtrail validate-logs: %v; %d/%d digest files, %d/%d log files valid, want all %d log files:\n%s",
			err, digests, digestsTotal, logs, logsTotal, logFiles, out[max(0, len(out)-6000):])
	}
	t.Logf("aws cloudtrail validate-logs: %d/%d digest files and %d/%d log files valid", digests, digestsTotal, logs, logsTotal)
}

// summaryCount reads validate-logs' "N/M <what> files valid" line.
func summaryCount(out, what string) (valid, total int) {
	m := regexp.MustCompile(`(?m)^(\d+)/(\d+) ` + what + ` files valid`).FindStringSubmatch(out)
	if m == nil {
		return 0, 0
	}
	valid, _ = strconv.Atoi(m[1])
	total, _ = strconv.Atoi(m[2])
	return valid, total
}
