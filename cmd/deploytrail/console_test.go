package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The web console against the real binary: deploy with `deploytrail
// agent` from the console's forms, as a browser's HTTP requests.

const consolePassword = "Corr3ct-Horse"

// consoleWorld is a served binary with one host running `deploytrail
// agent`, its bundles (v1.zip, v2.zip) on MinIO, the role deployments
// use, and IAM users "deployer" (AdministratorAccess) and "reader"
// (ReadOnlyAccess) with console passwords.
type consoleWorld struct {
	p       *process
	acct    string
	roleARN string
	host    *ourHost
	data    string
}

func newConsoleWorld(t *testing.T) *consoleWorld {
	t.Helper()
	dir := t.TempDir()
	w := &consoleWorld{data: filepath.Join(dir, "data")}
	w.p = startBinary(t, w.data)
	w.acct = w.p.aws(t, "sts", "get-caller-identity", "--query", "Account", "--output", "text")
	w.host = setUpHost(t, w.p, ownBundleStore, w.acct, dir, "host-1", func(www string) map[string][]byte {
		return map[string][]byte{"v1.zip": zipBundle(t, "v1", www, false), "v2.zip": zipBundle(t, "v2", www, false)}
	})
	w.host.start(t)
	w.p.aws(t, "iam", "create-role", "--role-name", "deployer", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	w.roleARN = "arn:aws:iam::" + w.acct + ":role/deployer"
	for user, policy := range map[string]string{"deployer": "AdministratorAccess", "reader": "ReadOnlyAccess"} {
		w.p.aws(t, "iam", "create-user", "--user-name", user)
		w.p.aws(t, "iam", "attach-user-policy", "--user-name", user, "--policy-arn", "arn:aws:iam::aws:policy/"+policy)
		w.p.aws(t, "iam", "create-login-profile", "--user-name", user, "--password", consolePassword)
	}
	return w
}

// webClient is a browser's HTTP side: cookies kept, redirects followed.
type webClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newWebClient(t *testing.T, base string) *webClient {
	jar, _ := cookiejar.New(nil)
	return &webClient{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

func (b *webClient) do(method, path string, form url.Values) (int, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(page)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// submit posts form to action with the CSRF token of the page at from.
func (b *webClient) submit(from, action string, form url.Values) (int, string) {
	b.t.Helper()
	_, page := b.do(http.MethodGet, from, nil)
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s:\n%s", from, page)
	}
	form.Set("csrf", m[1])
	return b.do(http.MethodPost, action, form)
}

var deploymentLink = regexp.MustCompile(`<h1>Deployment (d-[A-Z0-9]+)</h1>`)

// waitDeployment polls the deployment page's live fragment until the
// deployment is done, and returns the fragment.
func (b *webClient) waitDeployment(id string) string {
	b.t.Helper()
	var frag string
	for range 240 {
		_, frag = b.do(http.MethodGet, "/console/codedeploy/deployments/"+id+"/progress", nil)
		if strings.Contains(frag, "data-done") {
			return frag
		}
		time.Sleep(250 * time.Millisecond)
	}
	b.t.Fatalf("deployment %s did not end:\n%s", id, frag)
	return ""
}

func TestConsoleDeploys(t *testing.T) {
	w := newConsoleWorld(t)
	b := newWebClient(t, w.p.endpoint)
	if code, page := b.submit("/console/signin", "/console/signin", url.Values{"account": {w.acct}, "username": {"deployer"},
		"password": {consolePassword}}); code != http.StatusOK || !strings.Contains(page, "Signed in as") {
		t.Fatalf("sign in: %d\n%s", code, page)
	}
	b.submit("/console/codedeploy/applications", "/console/codedeploy/applications", url.Values{"name": {"web"}, "computePlatform": {"Server"}})
	code, page := b.submit("/console/codedeploy/applications/web", "/console/codedeploy/applications/web/groups", url.Values{
		"name": {"prod"}, "serviceRoleArn": {w.roleARN}, "deploymentConfigName": {"CodeDeployDefault.AllAtOnce"},
		"tagFilters": {"env=prod"}, "autoRollback": {"on"}})
	if code != http.StatusOK || !strings.Contains(page, "env=prod") || !strings.Contains(page, "on failure") {
		t.Fatalf("create group: %d\n%s", code, page)
	}
	code, page = b.submit("/console/codedeploy/applications/web", "/console/codedeploy/deployments", url.Values{
		"app": {"web"}, "group": {"prod"}, "bucket": {"bundles"}, "key": {"v1.zip"}, "bundleType": {"zip"}})
	m := deploymentLink.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil {
		t.Fatalf("create deployment: %d\n%s", code, page)
	}
	frag := b.waitDeployment(m[1])
	for _, want := range []string{`class="status-Succeeded">Succeeded`, "host-1", "AfterInstall", "ValidateService"} {
		if !strings.Contains(frag, want) {
			t.Errorf("progress lacks %q:\n%s", want, frag)
		}
	}
	if got := w.host.index(t); got != "v1" {
		t.Errorf("host-1 serves %q, want v1", got)
	}
	// A finished deployment offers a redeploy, not a stop.
	if _, page := b.do(http.MethodGet, "/console/codedeploy/deployments/"+m[1], nil); !strings.Contains(page, "Redeploy this revision") || strings.Contains(page, "Stop deployment") {
		t.Errorf("a Succeeded deployment's page should offer Redeploy and no Stop:\n%s", page)
	}
	// Redeploy from the deployment page: the same revision again.
	code, page = b.submit("/console/codedeploy/deployments/"+m[1], "/console/codedeploy/deployments/"+m[1]+"/redeploy", url.Values{})
	again := deploymentLink.FindStringSubmatch(page)
	if code != http.StatusOK || again == nil || again[1] == m[1] {
		t.Fatalf("redeploy: %d\n%s", code, page)
	}
	if frag := b.waitDeployment(again[1]); !strings.Contains(frag, `class="status-Succeeded">Succeeded`) {
		t.Errorf("redeploy did not succeed:\n%s", frag)
	}
	if _, page := b.do(http.MethodGet, "/console/codedeploy/deployments?app=web&status=Succeeded", nil); !strings.Contains(page, m[1]) || !strings.Contains(page, again[1]) {
		t.Errorf("deployments list (app web, Succeeded) lacks the deployments:\n%s", page)
	}
	checkConsoleRecords(t, w)
}

// checkConsoleRecords finds the console's CreateDeployment in the
// history, as the CLI sees it.
func checkConsoleRecords(t *testing.T, w *consoleWorld) {
	t.Helper()
	var out struct {
		Events []struct{ CloudTrailEvent string }
	}
	json.Unmarshal([]byte(w.p.aws(t, "cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateDeployment")), &out)
	if len(out.Events) != 2 {
		t.Fatalf("CreateDeployment events = %d, want 2", len(out.Events))
	}
	for _, e := range out.Events {
		var rec map[string]any
		json.Unmarshal([]byte(e.CloudTrailEvent), &rec)
		if rec["sessionCredentialFromConsole"] != "true" || rec["userAgent"] != "console.deploytrail" {
			t.Errorf("CreateDeployment record: %s", e.CloudTrailEvent)
		}
	}
}

// The first start writes the root user's console password, 0600, beside
// the root key, and root signs in with it.
func TestConsoleRootPassword(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	p := startBinary(t, data)
	st, err := os.Stat(filepath.Join(data, "console-password"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("console-password: %v, mode %v", err, st.Mode())
	}
	pw, _ := os.ReadFile(filepath.Join(data, "console-password"))
	if strings.Contains(p.stderr.String(), strings.TrimSpace(string(pw))) {
		t.Error("the root password is in the server's log")
	}
	acct := p.aws(t, "sts", "get-caller-identity", "--query", "Account", "--output", "text")
	b := newWebClient(t, p.endpoint)
	code, page := b.submit("/console/signin", "/console/signin", url.Values{"account": {acct}, "password": {strings.TrimSpace(string(pw))}})
	if code != http.StatusOK || !strings.Contains(page, "arn:aws:iam::"+acct+":root") {
		t.Fatalf("root sign-in: %d\n%s", code, page)
	}

	// A new password, set while the server runs; the old one stops working.
	out := p.deploytrail(t, "console", "password", "--data", data)
	fresh, _ := os.ReadFile(filepath.Join(data, "console-password"))
	if string(fresh) == string(pw) || strings.Contains(out, strings.TrimSpace(string(fresh))) {
		t.Fatalf("console password: the file holds the old password, or the output holds the new one: %s", out)
	}
	for password, want := range map[string]int{string(pw): http.StatusUnauthorized, string(fresh): http.StatusOK} {
		code, _ := newWebClient(t, p.endpoint).submit("/console/signin", "/console/signin", url.Values{"account": {acct},
			"password": {strings.TrimSpace(password)}})
		if code != want {
			t.Errorf("root sign-in after the reset: %d, want %d", code, want)
		}
	}
}
