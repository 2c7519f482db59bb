package console_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/iam"
)

// A cross-site POST (no token, or another site's Origin) is refused.
func TestSecurity_CSRF(t *testing.T) {
	srv := apptest.Start(t)
	userWithPassword(t, srv, "alice", adminPolicy)
	b := newBrowser(t, srv)
	b.mustSignIn(srv.Account(), "alice", password)
	token := b.csrf("/console/home")
	form := url.Values{"name": {"app1"}, "computePlatform": {"Server"}}
	if p := b.post("/console/codedeploy/applications", form); p.status != http.StatusForbidden {
		t.Errorf("POST without token: %d, want 403", p.status)
	}
	form.Set("csrf", token)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/console/codedeploy/applications", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if p := b.do(req); p.status != http.StatusForbidden {
		t.Errorf("POST from another origin: %d, want 403", p.status)
	}
	anon := newBrowser(t, srv)
	if p := anon.post("/console/signin", url.Values{"account": {srv.Account()}, "username": {"alice"}, "password": {password}}); p.status != http.StatusForbidden {
		t.Errorf("sign-in POST without token: %d, want 403", p.status)
	}
	if n := len(events(t, srv, "CreateApplication")); n != 0 {
		t.Errorf("CreateApplication records = %d, want 0", n)
	}
	if p := b.post("/console/codedeploy/applications", form); p.status != http.StatusSeeOther {
		t.Errorf("POST with token: %d, want 303", p.status)
	}
}

func sessionCookie(t *testing.T, p page) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "dt_console" {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", p.header)
	return nil
}

// The session cookie is HttpOnly, SameSite=Strict, and Secure under TLS.
func TestSecurity_CookieFlags(t *testing.T) {
	for _, tls := range []bool{false, true} {
		var opts []apptest.Option
		if tls {
			opts = append(opts, apptest.WithTLS(t))
		}
		srv := apptest.Start(t, opts...)
		userWithPassword(t, srv, "alice")
		b := newBrowser(t, srv)
		c := sessionCookie(t, b.signIn(srv.Account(), "alice", password))
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != tls || c.Path != "/console" {
			t.Errorf("TLS %v: cookie HttpOnly=%v SameSite=%v Secure=%v Path=%q", tls, c.HttpOnly, c.SameSite, c.Secure, c.Path)
		}
		if c.MaxAge != int((12 * time.Hour).Seconds()) {
			t.Errorf("Max-Age = %d", c.MaxAge)
		}
	}
}

// An idle session ends: its pages send the browser to sign in again.
func TestSecurity_SessionExpiry(t *testing.T) {
	srv := apptest.Start(t, apptest.WithConsoleSessions(time.Second, time.Hour))
	userWithPassword(t, srv, "alice", adminPolicy)
	b := newBrowser(t, srv)
	b.mustSignIn(srv.Account(), "alice", password)
	if p := b.get("/console/codedeploy/applications"); p.status != http.StatusOK {
		t.Fatalf("applications: %d\n%s", p.status, p.body)
	}
	recs := events(t, srv, "ListApplications")
	if len(recs) != 1 {
		t.Fatalf("ListApplications records = %d", len(recs))
	}
	keyID := recs[0]["userIdentity"].(map[string]any)["accessKeyId"].(string)
	time.Sleep(1500 * time.Millisecond)
	if p := b.get("/console/home"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/signin" {
		t.Errorf("idle session: %d %q, want 303 to /console/signin", p.status, p.header.Get("Location"))
	}
	if _, err := srv.App.IAM.Credential(context.Background(), keyID); !errors.Is(err, iam.ErrInvalidToken) {
		t.Errorf("the ended session's credentials: %v, want revoked", err)
	}
}

// Every console answer forbids framing, and pages are not cached.
func TestSecurity_Headers(t *testing.T) {
	srv := apptest.Start(t)
	b := newBrowser(t, srv)
	for _, path := range []string{"/console/signin", "/console/home", "/console/static/console.css"} {
		p := b.get(path)
		if p.header.Get("X-Frame-Options") != "DENY" || !strings.Contains(p.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: X-Frame-Options %q, CSP %q", path, p.header.Get("X-Frame-Options"), p.header.Get("Content-Security-Policy"))
		}
		if !strings.Contains(path, "static") && p.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, p.header.Get("Cache-Control"))
		}
	}
}

// A browser opening the server's address lands on the console, and its
// requests are not authentication failures; API clients still get AWS's
// answer.
func TestMount(t *testing.T) {
	srv := apptest.Start(t)
	b := newBrowser(t, srv)
	if p := b.get("/"); p.status != http.StatusFound || p.header.Get("Location") != "/console/" {
		t.Errorf("GET / as a browser: %d %q", p.status, p.header.Get("Location"))
	}
	if p := b.get("/console/"); p.status != http.StatusOK || !strings.Contains(p.body, `name="password"`) {
		t.Errorf("GET /console/: %d", p.status)
	}
	resp, err := srv.HTTPClient().Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// Unsigned and not a browser: the S3 API's ListBuckets, which refuses
	// anonymous callers as S3 does.
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<Code>AccessDenied</Code>") {
		t.Errorf("GET / without Accept text/html: %d %s, want S3's AccessDenied", resp.StatusCode, body)
	}
	health := b.get("/_deploytrail/health")
	var h struct {
		AuthFailures int `json:"auth_failures"`
	}
	json.Unmarshal([]byte(health.body), &h)
	if h.AuthFailures != 0 {
		t.Errorf("auth_failures = %d, want 0", h.AuthFailures)
	}
}

// A session ends at its maximum age even while in use.
func TestSecurity_SessionMaxAge(t *testing.T) {
	srv := apptest.Start(t, apptest.WithConsoleSessions(time.Hour, time.Second))
	userWithPassword(t, srv, "alice")
	b := newBrowser(t, srv)
	b.mustSignIn(srv.Account(), "alice", password)
	for range 3 {
		time.Sleep(400 * time.Millisecond)
		b.get("/console/home") // in use: the idle clock never runs out
	}
	if p := b.get("/console/home"); p.status != http.StatusSeeOther {
		t.Errorf("session past its maximum age: %d, want 303 to sign in", p.status)
	}
}

// Passwords and session secrets never reach the server's log.
func TestSecurity_NoSecretsInLogs(t *testing.T) {
	srv := apptest.Start(t)
	userWithPassword(t, srv, "alice", adminPolicy)
	b := newBrowser(t, srv)
	b.signIn(srv.Account(), "alice", "Wrong-pass1")
	b.mustSignIn(srv.Account(), "alice", password)
	b.get("/console/codedeploy/applications")
	keyID := events(t, srv, "ListApplications")[0]["userIdentity"].(map[string]any)["accessKeyId"].(string)
	cred, err := srv.App.IAM.Credential(context.Background(), keyID)
	if err != nil {
		t.Fatal(err)
	}
	logs := srv.Logs()
	for _, secret := range []string{password, "Wrong-pass1", srv.RootPassword, cred.Secret()} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds a secret (%d characters)", len(secret))
		}
		if strings.Contains(b.seen.String(), secret) {
			t.Errorf("a page holds a secret (%d characters)", len(secret))
		}
	}
}

// The console's assets are served from the binary with their types.
func TestStaticAssets(t *testing.T) {
	srv := apptest.Start(t)
	b := newBrowser(t, srv)
	for path, ctype := range map[string]string{"/console/static/console.css": "text/css", "/console/static/console.js": "text/javascript"} {
		p := b.get(path)
		if p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %q", path, p.status, p.header.Get("Content-Type"))
		}
	}
}
