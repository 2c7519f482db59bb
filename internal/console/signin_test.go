package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// A wrong password and then the right one are two ConsoleLogin records,
// Failure then Success, as spec Appendix D gives them.
func TestSignIn_UserRecordsFailureAndSuccess(t *testing.T) {
	srv := apptest.Start(t)
	userWithPassword(t, srv, "alice")
	b := newBrowser(t, srv)
	if p := b.signIn(srv.Account(), "alice", "Wrong-pass1"); p.status != http.StatusUnauthorized ||
		!strings.Contains(p.body, "Your authentication information is incorrect. Please try again.") {
		t.Fatalf("wrong password: %d\n%s", p.status, p.body)
	}
	b.mustSignIn(srv.Account(), "alice", password)

	recs := events(t, srv, "ConsoleLogin")
	if len(recs) != 2 {
		t.Fatalf("ConsoleLogin records = %d, want 2", len(recs))
	}
	ok, failed := recs[0], recs[1]
	acct := srv.Account()
	wantIdentity := `{"accountId":"` + acct + `","arn":"arn:aws:iam::` + acct + `:user/alice","principalId":"` +
		ok["userIdentity"].(map[string]any)["principalId"].(string) + `","type":"IAMUser","userName":"alice"}`
	for _, rec := range recs {
		if got := jsonOf(rec["userIdentity"]); got != wantIdentity {
			t.Errorf("userIdentity = %s, want %s", got, wantIdentity)
		}
		for k, want := range map[string]any{"eventSource": "signin.amazonaws.com", "eventType": "AwsConsoleSignIn",
			"awsRegion": "us-east-1", "readOnly": false, "managementEvent": true, "recipientAccountId": acct,
			"eventCategory": "Management", "userAgent": "Mozilla/5.0 (test browser)", "sourceIPAddress": "127.0.0.1",
			"eventVersion": "1.11"} {
			if rec[k] != want {
				t.Errorf("%s = %v, want %v", k, rec[k], want)
			}
		}
		if v, ok := rec["requestParameters"]; !ok || v != nil {
			t.Errorf("requestParameters = %v, want null", v)
		}
		if _, ok := rec["errorCode"]; ok {
			t.Errorf("errorCode = %v, want none", rec["errorCode"])
		}
		if got, want := jsonOf(rec["additionalEventData"]), `{"LoginTo":"`+srv.URL+`/console/home","MFAUsed":"No","MobileVersion":"No"}`; got != want {
			t.Errorf("additionalEventData = %s, want %s", got, want)
		}
	}
	if got := jsonOf(ok["responseElements"]); got != `{"ConsoleLogin":"Success"}` {
		t.Errorf("success responseElements = %s", got)
	}
	if got := jsonOf(failed["responseElements"]); got != `{"ConsoleLogin":"Failure"}` || failed["errorMessage"] != "Failed authentication" {
		t.Errorf("failure responseElements = %s, errorMessage = %v", got, failed["errorMessage"])
	}
}

// An unknown user name is recorded hidden, and the root user signs in
// with the password the first start set.
func TestSignIn_UnknownUserHiddenAndRoot(t *testing.T) {
	srv := apptest.Start(t)
	b := newBrowser(t, srv)
	b.signIn(srv.Account(), "My-Secret-Pass1", "whatever1A")
	b.mustSignIn(srv.Account(), "", srv.RootPassword)
	recs := events(t, srv, "ConsoleLogin")
	if len(recs) != 2 {
		t.Fatalf("records = %d, want 2", len(recs))
	}
	acct := srv.Account()
	if got, want := jsonOf(recs[1]["userIdentity"]), `{"accountId":"`+acct+`","type":"IAMUser","userName":"HIDDEN_DUE_TO_SECURITY_REASONS"}`; got != want {
		t.Errorf("unknown user identity = %s, want %s", got, want)
	}
	if got, want := jsonOf(recs[0]["userIdentity"]), `{"accountId":"`+acct+`","arn":"arn:aws:iam::`+acct+`:root","principalId":"`+acct+`","type":"Root"}`; got != want {
		t.Errorf("root identity = %s, want %s", got, want)
	}
	if strings.Contains(jsonOf(recs), "My-Secret-Pass1") {
		t.Error("a record holds the name typed for an unknown user")
	}
}

// After five failures, even the right password is refused for a while.
func TestSignIn_Throttled(t *testing.T) {
	srv := apptest.Start(t)
	userWithPassword(t, srv, "bob")
	b := newBrowser(t, srv)
	for range 5 {
		if p := b.signIn(srv.Account(), "bob", "Wrong-pass1"); p.status != http.StatusUnauthorized {
			t.Fatalf("failure: %d", p.status)
		}
	}
	if p := b.signIn(srv.Account(), "bob", password); p.status != http.StatusTooManyRequests {
		t.Fatalf("sixth attempt: %d, want 429", p.status)
	}
	if n := len(events(t, srv, "ConsoleLogin")); n != 5 {
		t.Errorf("records = %d, want 5 (a throttled attempt is not checked)", n)
	}
}

// Sign-out ends the session: its cookie no longer opens pages.
func TestSignOut(t *testing.T) {
	srv := apptest.Start(t)
	userWithPassword(t, srv, "carol")
	b := newBrowser(t, srv)
	b.mustSignIn(srv.Account(), "carol", password)
	token := b.csrf("/console/home")
	if p := b.post("/console/signout", url.Values{"csrf": {token}}); p.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", p.status)
	}
	if p := b.get("/console/home"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/signin" {
		t.Errorf("after sign-out: %d %q", p.status, p.header.Get("Location"))
	}
	recs := events(t, srv, "ConsoleSignout")
	if len(recs) != 1 || recs[0]["eventType"] != "AwsConsoleSignIn" {
		t.Errorf("ConsoleSignout records = %s", jsonOf(recs))
	}
}
