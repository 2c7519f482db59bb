package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetricsAndHealth: the real binary counts an AWS CLI call on
// /metrics, which holds no credentials, and its health check shows the
// version and the store.
func TestMetricsAndHealth(t *testing.T) {
	requireAWSCLI(t)
	dir := t.TempDir()
	p := startBinary(t, dir)
	p.aws(t, "sts", "get-caller-identity")

	resp, err := http.Get(p.endpoint + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	counted := 0.0
	for _, m := range families["deploytrail_requests_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["service"] == "sts" && labels["operation"] == "GetCallerIdentity" && labels["error_code"] == "" {
			counted = m.GetCounter().GetValue()
		}
	}
	if counted != 1 {
		t.Errorf("sts GetCallerIdentity counted %v times, want 1", counted)
	}
	secret := secretOf(t, filepath.Join(dir, "credentials"))
	if strings.Contains(string(raw), secret) {
		t.Errorf("the root secret is in /metrics")
	}

	resp, err = http.Get(p.endpoint + "/_deploytrail/health")
	if err != nil {
		t.Fatal(err)
	}
	var health map[string]any
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || health["status"] != "ok" || health["store"] != "ok" || health["version"] == nil {
		t.Errorf("health %d %v, want 200 with status and store ok and the version", resp.StatusCode, health)
	}
	p.stop(t)
}
