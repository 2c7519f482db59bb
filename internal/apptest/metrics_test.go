package apptest_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// scrape GETs url's /metrics and parses it with Prometheus' text parser.
func scrape(tb testing.TB, base string) map[string]*dto.MetricFamily {
	tb.Helper()
	resp, err := http.Get(base + "/metrics")
	fatalIf(tb, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	fatalIf(tb, err)
	return families
}

// metricValue is the value of the sample of name whose labels include
// labels (a counter's or gauge's value, a histogram's count); found is
// false when there is none.
func metricValue(families map[string]*dto.MetricFamily, name string, labels map[string]string) (v float64, found bool) {
	f := families[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, want := range labels {
			if have[k] != want {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// sum adds up every sample of a family.
func sum(families map[string]*dto.MetricFamily, name string) float64 {
	var total float64
	for _, m := range families[name].GetMetric() {
		total += m.GetCounter().GetValue()
	}
	return total
}

func wantMetric(tb testing.TB, families map[string]*dto.MetricFamily, name string, labels map[string]string, want float64) {
	tb.Helper()
	if got, ok := metricValue(families, name, labels); !ok || got != want {
		tb.Errorf("%s%v = %v (found %v), want %v", name, labels, got, ok, want)
	}
}

// delivered counts the log files in the trail bucket, their records and
// their bytes.
func delivered(tb testing.TB, srv *apptest.Server) (files, records int, size int64) {
	tb.Helper()
	eachDeliveredFile(tb, srv, func(_ string, body []byte) {
		var f struct{ Records []json.RawMessage }
		fatalIf(tb, json.Unmarshal(gunzip(tb, body), &f))
		files, records, size = files+1, records+len(f.Records), size+int64(len(body))
	})
	return files, records, size
}

// TestMetrics drives real calls, a delivery and a digest, then checks
// what an operator reads from /metrics.
func TestMetrics(t *testing.T) {
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second), apptest.WithDigestInterval(time.Second))
	createBucket(t, srv, trailBucket)
	ct := srv.CloudTrail(srv.Root)
	trail, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String(trailBucket),
		EnableLogFileValidation: aws.Bool(true)})
	fatalIf(t, err)
	arn := aws.ToString(trail.TrailARN)
	noErr(t)(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}))
	cd := srv.CodeDeploy(srv.Root)
	noErr(t)(cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("web")}))
	_, err = cd.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("missing")})
	wantCode(t, err, "ApplicationDoesNotExistException")
	bad := srv.Root
	bad.SecretAccessKey = "wrong-wrong-wrong-wrong-wrong-wrong-wron"
	_, err = srv.CodeDeploy(bad).ListApplications(ctx, &codedeploy.ListApplicationsInput{})
	wantCode(t, err, "InvalidSignatureException")
	for _, path := range []string{"/", "/favicon.ico"} { // a browser: refused, not an authentication failure
		resp, err := http.Get(srv.URL + path)
		fatalIf(t, err)
		resp.Body.Close()
	}

	for _, op := range []string{"NoSuchOperation1", "NoSuchOperation2"} { // counted without the client's name
		req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
		fatalIf(t, err)
		req.Header.Set("X-Amz-Target", "CodeDeploy_20141006."+op)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultClient.Do(req)
		fatalIf(t, err)
		resp.Body.Close()
	}

	var families map[string]*dto.MetricFamily
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		families = scrape(t, srv.URL)
		if _, ok := metricValue(families, "deploytrail_trail_digest_age_seconds", map[string]string{"trail": arn}); ok {
			break
		}
	}
	codedeployOp := func(op, code string) map[string]string {
		return map[string]string{"service": "codedeploy", "operation": op, "error_code": code}
	}
	wantMetric(t, families, "deploytrail_requests_total", codedeployOp("CreateApplication", ""), 1)
	wantMetric(t, families, "deploytrail_requests_total", codedeployOp("GetApplication", "ApplicationDoesNotExistException"), 1)
	wantMetric(t, families, "deploytrail_requests_total", codedeployOp("ListApplications", "InvalidSignatureException"), 1)
	wantMetric(t, families, "deploytrail_requests_total", codedeployOp("", "UnknownOperationException"), 2)
	wantMetric(t, families, "deploytrail_request_duration_seconds", map[string]string{"service": "codedeploy", "operation": "CreateApplication"}, 1)
	wantMetric(t, families, "deploytrail_auth_failures_total", map[string]string{"error_code": "InvalidSignatureException"}, 1)
	if n := sum(families, "deploytrail_auth_failures_total"); n != 1 {
		t.Errorf("auth failures = %v, want 1: a browser's GET / and /favicon.ico are not authentication failures", n)
	}
	// CreateTrail, StartLogging, CreateApplication and the failed
	// GetApplication are events; the refused call is not.
	wantMetric(t, families, "deploytrail_events_recorded_total", nil, 4)
	if n, _ := metricValue(families, "deploytrail_audit_commit_batch_size", nil); n < 4 {
		t.Errorf("commits observed = %v, want at least one per event", n)
	}

	files, records, size := delivered(t, srv)
	if files == 0 {
		t.Fatalf("no log file delivered")
	}
	byTrail := map[string]string{"trail": arn}
	wantMetric(t, families, "deploytrail_trail_files_delivered_total", byTrail, float64(files))
	wantMetric(t, families, "deploytrail_trail_events_delivered_total", byTrail, float64(records))
	wantMetric(t, families, "deploytrail_trail_bytes_delivered_total", byTrail, float64(size))
	if lag, ok := metricValue(families, "deploytrail_trail_delivery_lag_seconds", byTrail); !ok || lag < 0 {
		t.Errorf("delivery lag = %v (found %v), want a gauge", lag, ok)
	}
	if at, ok := metricValue(families, "deploytrail_trail_last_delivery_timestamp_seconds", byTrail); !ok || time.Since(time.Unix(int64(at), 0)) > time.Minute {
		t.Errorf("last delivery = %v (found %v), want within the last minute", at, ok)
	}
	if _, ok := metricValue(families, "deploytrail_trail_digest_age_seconds", byTrail); !ok {
		t.Errorf("no digest age for %s", arn)
	}
	wantMetric(t, families, "deploytrail_sns_outbox_depth", nil, 0)
	// Alone on its database, the node holds every singleton's lease.
	for _, name := range []string{"delivery", "sns-dispatcher", "deployment-engine", "lifecycle", "sts-session-sweep", "console-session-sweep"} {
		wantMetric(t, families, "deploytrail_lease_held", map[string]string{"name": name}, 1)
	}
	if lines := logLines(t, srv.Logs(), "lease acquired"); len(lines) < 6 || lines[0]["component"] != "lease" || lines[0]["holder"] == "" {
		t.Errorf("lease log lines %v, want one per singleton with its holder", lines)
	}
	if _, ok := metricValue(families, "go_goroutines", nil); !ok {
		t.Errorf("no Go runtime metrics")
	}

	lines := logLines(t, srv.Logs(), "delivered")
	if len(lines) == 0 || lines[0]["trail"] != arn || lines[0]["files"] == nil || lines[0]["events"] == nil ||
		lines[0]["bytes"] == nil || lines[0]["lag_ms"] == nil {
		t.Errorf("delivery log lines %v, want trail, files, events, bytes and lag_ms", lines)
	}
	if lines := logLines(t, srv.Logs(), "digest written"); len(lines) == 0 || lines[0]["trail"] != arn {
		t.Errorf("digest log lines %v, want one naming the trail", lines)
	}
}

// logLines returns the server's JSON log lines with message msg.
func logLines(tb testing.TB, logs, msg string) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		fatalIf(tb, json.Unmarshal([]byte(line), &m))
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// TestMetricsListen serves /metrics on its own address only.
func TestMetricsListen(t *testing.T) {
	srv := apptest.Start(t, apptest.WithMetricsListen("127.0.0.1:0"))
	noErr(t)(srv.CodeDeploy(srv.Root).ListApplications(ctx, &codedeploy.ListApplicationsInput{}))
	families := scrape(t, "http://"+srv.App.MetricsListener.Addr().String())
	wantMetric(t, families, "deploytrail_requests_total", map[string]string{"service": "codedeploy", "operation": "ListApplications", "error_code": ""}, 1)
	resp, err := http.Get(srv.URL + "/metrics")
	fatalIf(t, err)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Errorf("GET /metrics on the API address: 200, want it served on the metrics address only")
	}
}

// TestMetricsSNS follows a confirmation request to an endpoint that always
// fails: it waits in the outbox, each attempt is a failure, and the last
// one is abandoned.
func TestMetricsSNS(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.SNS(srv.Root)
	topic := createTopic(t, c, "deploys")
	noErr(t)(c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(topic),
		AttributeName: aws.String("DeliveryPolicy"), AttributeValue: aws.String(fastRetries)}))
	sub := newSubscriber(t, 1000)
	noErr(t)(c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)}))

	failing := map[string]string{"abandoned": "false"}
	abandoned := map[string]string{"abandoned": "true"}
	sawWaiting := false
	var families map[string]*dto.MetricFamily
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		families = scrape(t, srv.URL)
		if n, _ := metricValue(families, "deploytrail_sns_delivery_failures_total", abandoned); n > 0 {
			break
		}
		if n, _ := metricValue(families, "deploytrail_sns_delivery_failures_total", failing); n > 0 && !sawWaiting {
			sawWaiting = true
			wantMetric(t, families, "deploytrail_sns_outbox_depth", nil, 1)
		}
	}
	if !sawWaiting {
		t.Errorf("never saw a failed attempt waiting for its retry")
	}
	sub.mu.Lock()
	attempts := sub.attempts
	sub.mu.Unlock()
	retried, _ := metricValue(families, "deploytrail_sns_delivery_failures_total", failing)
	wantMetric(t, families, "deploytrail_sns_delivery_failures_total", abandoned, 1)
	if retried+1 != float64(attempts) {
		t.Errorf("failures %v retried + 1 abandoned, want the endpoint's %d attempts", retried, attempts)
	}
	wantMetric(t, families, "deploytrail_sns_outbox_depth", nil, 0)
}

// TestMetricsDeliveryErrors counts a trail's failed deliveries by error
// code.
func TestMetricsDeliveryErrors(t *testing.T) {
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second))
	createBucket(t, srv, trailBucket)
	ct := srv.CloudTrail(srv.Root)
	arn := aws.ToString(createTrail(t, ct, "main", false).TrailARN)
	fatalIf(t, os.RemoveAll(filepath.Join(srv.Data, "buckets", trailBucket)))
	noErr(t)(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}))
	labels := map[string]string{"trail": arn, "error_code": "NoSuchBucket"}
	var n float64
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && n == 0; time.Sleep(100 * time.Millisecond) {
		n, _ = metricValue(scrape(t, srv.URL), "deploytrail_trail_delivery_errors_total", labels)
	}
	if n == 0 {
		t.Fatalf("deploytrail_trail_delivery_errors_total%v = 0, want the failed delivery counted", labels)
	}
	if lines := logLines(t, srv.Logs(), "delivered"); len(lines) != 0 {
		t.Errorf("delivered lines %v for a failing bucket", lines)
	}
}
