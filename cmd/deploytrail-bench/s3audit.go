package main

import (
	"bufio"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// auditFigure is what deploytrail's store committed during an S3 case:
// every PutObject and GetObject runs its commit (or its event) in a store
// transaction, even when no trail selects data events.
type auditFigure struct {
	Commits        int     `json:"group_commits"`
	MeanCommitMS   float64 `json:"mean_commit_ms"`
	MeanBatch      float64 `json:"mean_calls_per_commit"`
	EventsRecorded int     `json:"events_recorded"`
}

// promSample holds the counters auditFigure is made of.
type promSample map[string]float64

var auditMetrics = []string{
	"deploytrail_audit_commit_duration_seconds_sum", "deploytrail_audit_commit_duration_seconds_count",
	"deploytrail_audit_commit_batch_size_sum", "deploytrail_events_recorded_total",
}

// scrapeAudit reads the audit counters from a deploytrail's /metrics; nil
// for MinIO or when they cannot be read.
func scrapeAudit(ctx context.Context, ep *s3Endpoint) promSample {
	if ep.name == "minio" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.proc.url+"/metrics", nil)
	if err != nil {
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	out := promSample{}
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		name, value, ok := strings.Cut(lines.Text(), " ")
		if ok && slices.Contains(auditMetrics, name) {
			out[name], _ = strconv.ParseFloat(value, 64)
		}
	}
	return out
}

func auditDelta(a, b promSample) *auditFigure {
	if a == nil || b == nil {
		return nil
	}
	d := func(name string) float64 { return b[name] - a[name] }
	f := &auditFigure{Commits: int(d(auditMetrics[1])), EventsRecorded: int(d(auditMetrics[3]))}
	if f.Commits > 0 {
		f.MeanCommitMS = round(d(auditMetrics[0]) * 1000 / float64(f.Commits))
		f.MeanBatch = round(d(auditMetrics[2]) / float64(f.Commits))
	}
	return f
}
