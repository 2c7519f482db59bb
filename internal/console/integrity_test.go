package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// A trail's chain is validated from its page once digests exist, with
// the validator's summary shown.
func TestIntegrity_ValidChain(t *testing.T) {
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second), apptest.WithDigestInterval(time.Second))
	bucket, err := srv.App.Buckets.Bucket("audit")
	if err == nil {
		err = bucket.Create(t.Context())
	}
	if err != nil {
		t.Fatal(err)
	}
	userWithPassword(t, srv, "alice", adminPolicy)
	b := newBrowser(t, srv)
	b.mustSignIn(srv.Account(), "alice", password)
	begin := time.Now().UTC().Add(-time.Minute).Format("2006-01-02T15:04")
	const trails = "/console/cloudtrail/trails"
	b.post(trails, url.Values{"csrf": {b.csrf(trails)}, "name": {"main"}, "bucket": {"audit"}, "validation": {"on"}})
	var page string
	for range 40 {
		b.get("/console/codedeploy/applications") // something to deliver
		time.Sleep(500 * time.Millisecond)
		end := time.Now().UTC().Add(time.Minute).Format("2006-01-02T15:04")
		p := b.get(trails + "/main/validate?" + url.Values{"run": {"1"}, "start": {begin}, "end": {end}}.Encode())
		if p.status != http.StatusOK {
			t.Fatalf("validate: %d\n%s", p.status, p.body)
		}
		page = p.body
		if strings.Contains(page, "digest files valid") && strings.Contains(page, "log files valid") {
			break
		}
	}
	if !strings.Contains(page, `class="status-Succeeded">Valid`) || !strings.Contains(page, "Log file\ts3://audit/") {
		t.Errorf("validation page:\n%s", page)
	}
	if recs := events(t, srv, "ListPublicKeys"); len(recs) == 0 || recs[0]["sessionCredentialFromConsole"] != "true" {
		t.Errorf("ListPublicKeys records = %d", len(recs))
	}
}
