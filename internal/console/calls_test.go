package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// The console's actions are API calls with the session's credentials:
// recorded like any call, marked as from the console.
func TestCalls_RecordedAsConsoleCalls(t *testing.T) {
	srv := apptest.Start(t)
	userWithPassword(t, srv, "alice", adminPolicy)
	b := newBrowser(t, srv)
	b.mustSignIn(srv.Account(), "alice", password)
	form := url.Values{"csrf": {b.csrf("/console/codedeploy/applications")}, "name": {"web"}, "computePlatform": {"Server"}}
	if p := b.post("/console/codedeploy/applications", form); p.status != http.StatusSeeOther {
		t.Fatalf("create application: %d\n%s", p.status, p.body)
	}
	if p := b.get("/console/codedeploy/applications"); !strings.Contains(p.body, ">web</a>") {
		t.Errorf("applications page does not list web:\n%s", p.body)
	}
	recs := events(t, srv, "CreateApplication")
	if len(recs) != 1 {
		t.Fatalf("CreateApplication records = %d", len(recs))
	}
	rec := recs[0]
	if rec["sessionCredentialFromConsole"] != "true" || rec["userAgent"] != "console.deploytrail" || rec["sourceIPAddress"] != "127.0.0.1" {
		t.Errorf("record: sessionCredentialFromConsole %v, userAgent %v, sourceIPAddress %v",
			rec["sessionCredentialFromConsole"], rec["userAgent"], rec["sourceIPAddress"])
	}
	id := rec["userIdentity"].(map[string]any)
	keyID, _ := id["accessKeyId"].(string)
	if id["type"] != "IAMUser" || id["userName"] != "alice" || !strings.HasPrefix(keyID, "ASIA") {
		t.Errorf("userIdentity = %s", jsonOf(id))
	}
	attrs := id["sessionContext"].(map[string]any)["attributes"].(map[string]any)
	if attrs["mfaAuthenticated"] != "false" || attrs["creationDate"] == "" {
		t.Errorf("sessionContext.attributes = %s", jsonOf(attrs))
	}
	cred, err := srv.App.IAM.Credential(context.Background(), keyID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.seen.String(), cred.Secret()) {
		t.Error("a page or redirect holds the session's secret key")
	}
}

// A read-only user sees the list but is denied a change with AWS's
// message, and the denial is recorded.
func TestCalls_DeniedWithAWSMessage(t *testing.T) {
	srv := apptest.Start(t)
	userWithPassword(t, srv, "reader", readOnlyPolicy)
	b := newBrowser(t, srv)
	b.mustSignIn(srv.Account(), "reader", password)
	if p := b.get("/console/codedeploy/applications"); p.status != http.StatusOK {
		t.Fatalf("applications: %d", p.status)
	}
	form := url.Values{"csrf": {b.csrf("/console/codedeploy/applications")}, "name": {"web"}, "computePlatform": {"Server"}}
	p := b.post("/console/codedeploy/applications", form)
	want := "User: arn:aws:iam::" + srv.Account() + ":user/reader is not authorized to perform: codedeploy:CreateApplication"
	if p.status != http.StatusBadRequest && p.status != http.StatusForbidden || !strings.Contains(p.body, "AccessDeniedException") ||
		!strings.Contains(p.body, want) {
		t.Errorf("denied create: %d\n%s", p.status, p.body)
	}
	recs := events(t, srv, "CreateApplication")
	if len(recs) != 1 || recs[0]["errorCode"] != "AccessDenied" && recs[0]["errorCode"] != "AccessDeniedException" ||
		recs[0]["sessionCredentialFromConsole"] != "true" {
		t.Errorf("denied record = %s", jsonOf(recs))
	}
}

// On-premises instances are registered, tagged and deregistered from
// their page.
func TestCalls_OnPremisesInstances(t *testing.T) {
	srv := apptest.Start(t)
	userWithPassword(t, srv, "alice", adminPolicy)
	userWithPassword(t, srv, "box-user")
	b := newBrowser(t, srv)
	b.mustSignIn(srv.Account(), "alice", password)
	const list = "/console/codedeploy/instances"
	arn := "arn:aws:iam::" + srv.Account() + ":user/box-user"
	steps := []struct{ action, want string }{
		{list, ">box<"},
		{list + "/box/tags", "env=prod"},
		{list + "/box/deregister", "(deregistered)"},
	}
	forms := []url.Values{{"name": {"box"}, "arn": {arn}}, {"key": {"env"}, "value": {"prod"}}, {}}
	for i, s := range steps {
		forms[i].Set("csrf", b.csrf(list))
		if p := b.post(s.action, forms[i]); p.status != http.StatusSeeOther {
			t.Fatalf("%s: %d\n%s", s.action, p.status, p.body)
		}
		if p := b.get(list); !strings.Contains(p.body, s.want) {
			t.Errorf("after %s the page lacks %q:\n%s", s.action, s.want, p.body)
		}
	}
	for _, name := range []string{"RegisterOnPremisesInstance", "AddTagsToOnPremisesInstances", "DeregisterOnPremisesInstance"} {
		if recs := events(t, srv, name); len(recs) != 1 || recs[0]["sessionCredentialFromConsole"] != "true" {
			t.Errorf("%s records = %s", name, jsonOf(recs))
		}
	}
}
