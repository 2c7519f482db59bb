package console_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// Event history finds the console's own calls and sign-ins with several
// attributes at once, shows the full record, and downloads JSON and CSV.
func TestHistory_FiltersRecordAndDownloads(t *testing.T) {
	srv := apptest.Start(t)
	userWithPassword(t, srv, "alice", adminPolicy)
	b := newBrowser(t, srv)
	b.signIn(srv.Account(), "alice", "Wrong-pass1")
	b.mustSignIn(srv.Account(), "alice", password)
	for _, app := range []string{"web", "api"} {
		b.post("/console/codedeploy/applications", url.Values{"csrf": {b.csrf("/console/home")}, "name": {app}, "computePlatform": {"Server"}})
	}
	q := url.Values{"k1": {"EventName"}, "v1": {"CreateApplication"}, "k2": {"ResourceName"}, "v2": {"web"}, "k3": {"Username"}, "v3": {"alice"}}
	p := b.get("/console/cloudtrail/events?" + q.Encode())
	if p.status != http.StatusOK || strings.Count(p.body, ">CreateApplication</a>") != 1 || !strings.Contains(p.body, "<td>yes</td>") {
		t.Fatalf("three attributes: %d\n%s", p.status, p.body)
	}
	signins := b.get("/console/cloudtrail/events?" + url.Values{"k1": {"EventName"}, "v1": {"ConsoleLogin"}}.Encode())
	if strings.Count(signins.body, ">ConsoleLogin</a>") != 2 {
		t.Errorf("sign-ins in event history:\n%s", signins.body)
	}
	future := b.get("/console/cloudtrail/events?" + url.Values{"start": {"2099-01-01T00:00"}}.Encode())
	if !strings.Contains(future.body, "No events match.") {
		t.Errorf("a time range in the future still lists events")
	}
	id := events(t, srv, "CreateApplication")[1]["eventID"].(string) // the older: web
	rec := b.get("/console/cloudtrail/events/" + id)
	if !strings.Contains(rec.body, "&#34;sessionCredentialFromConsole&#34;: &#34;true&#34;") || !strings.Contains(rec.body, id) {
		t.Errorf("full record page:\n%s", rec.body)
	}

	j := b.get("/console/cloudtrail/download/json?" + q.Encode())
	var doc struct{ Records []map[string]any }
	if err := json.Unmarshal([]byte(j.body), &doc); err != nil || len(doc.Records) != 1 || doc.Records[0]["eventID"] != id {
		t.Errorf("JSON download (%v): %s", err, j.body)
	}
	if cd := j.header.Get("Content-Disposition"); cd != `attachment; filename="event_history.json"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	c := b.get("/console/cloudtrail/download/csv?" + q.Encode())
	rows, err := csv.NewReader(strings.NewReader(c.body)).ReadAll()
	if err != nil || len(rows) != 2 || rows[0][0] != "eventID" || rows[1][0] != id || rows[1][3] != "CreateApplication" || rows[1][len(rows[1])-1] != "true" {
		t.Errorf("CSV download (%v): %q", err, rows)
	}
}

// Trails are created (logging at once), stopped and started, with their
// status shown.
func TestTrails_CreateStopStart(t *testing.T) {
	srv := apptest.Start(t)
	userWithPassword(t, srv, "alice", adminPolicy)
	b := newBrowser(t, srv)
	b.mustSignIn(srv.Account(), "alice", password)
	const trails = "/console/cloudtrail/trails"
	p := b.post(trails, url.Values{"csrf": {b.csrf(trails)}, "name": {"main"}, "bucket": {"no-such-bucket"}, "validation": {"on"}})
	if !strings.Contains(p.body, "S3BucketDoesNotExistException") {
		t.Errorf("a trail on a missing bucket: %d\n%s", p.status, p.body)
	}
	bucket, err := srv.App.Buckets.Bucket("audit")
	if err == nil {
		err = bucket.Create(t.Context())
	}
	if err != nil {
		t.Fatal(err)
	}
	if p := b.post(trails, url.Values{"csrf": {b.csrf(trails)}, "name": {"main"}, "bucket": {"audit"}, "validation": {"on"}}); p.status != http.StatusSeeOther {
		t.Fatalf("create trail: %d\n%s", p.status, p.body)
	}
	if p := b.get(trails); !strings.Contains(p.body, "main — <span class=\"status-Succeeded\">Logging</span>") {
		t.Errorf("new trail not logging:\n%s", p.body)
	}
	b.post(trails+"/main/logging", url.Values{"csrf": {b.csrf(trails)}, "on": {"false"}})
	if p := b.get(trails); !strings.Contains(p.body, "Not logging") {
		t.Errorf("stopped trail still logging:\n%s", p.body)
	}
	for _, name := range []string{"CreateTrail", "StartLogging", "StopLogging"} {
		if recs := events(t, srv, name); len(recs) == 0 || recs[0]["sessionCredentialFromConsole"] != "true" {
			t.Errorf("%s records = %s", name, jsonOf(recs))
		}
	}
}
