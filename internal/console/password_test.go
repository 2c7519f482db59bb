package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// A login profile that requires a reset opens only the password page
// until the user changes the password, through IAM's ChangePassword under
// the password policy.
func TestPassword_ResetRequired(t *testing.T) {
	srv := apptest.Start(t)
	userWithPassword(t, srv, "newbie", readOnlyPolicy, "arn:aws:iam::aws:policy/IAMUserChangePassword")
	_, err := srv.IAM(srv.Root).UpdateLoginProfile(context.Background(), &awsiam.UpdateLoginProfileInput{
		UserName: aws.String("newbie"), PasswordResetRequired: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, srv)
	if p := b.signIn(srv.Account(), "newbie", password); p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/password" {
		t.Fatalf("sign in: %d %q", p.status, p.header.Get("Location"))
	}
	if p := b.get("/console/codedeploy/applications"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/password" {
		t.Errorf("another page before the change: %d %q", p.status, p.header.Get("Location"))
	}
	const newPassword = "N3w-Password!"
	change := func(old, next, confirm string) page {
		return b.post("/console/password", url.Values{"csrf": {b.csrf("/console/password")}, "old": {old}, "new": {next}, "confirm": {confirm}})
	}
	for _, tc := range []struct{ old, next, confirm, want string }{
		{password, newPassword, "different", "The new passwords do not match."},
		{"Wrong-pass1", newPassword, newPassword, "InvalidUserType</strong>: The old password was incorrect."},
		{password, "short", "short", "PasswordPolicyViolation</strong>: Password should have a minimum length of 8"},
	} {
		if p := change(tc.old, tc.next, tc.confirm); !strings.Contains(p.body, tc.want) {
			t.Errorf("change(%q, %q): %d, want %q\n%s", tc.old, tc.next, p.status, tc.want, p.body)
		}
	}
	if p := change(password, newPassword, newPassword); p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/home" {
		t.Fatalf("change: %d\n%s", p.status, p.body)
	}
	if p := b.get("/console/codedeploy/applications"); p.status != http.StatusOK {
		t.Errorf("after the change: %d", p.status)
	}
	recs := events(t, srv, "ChangePassword")
	if len(recs) != 3 || recs[0]["sessionCredentialFromConsole"] != "true" || recs[0]["errorCode"] != nil {
		t.Fatalf("ChangePassword records = %s", jsonOf(recs))
	}
	if all := jsonOf(recs); strings.Contains(all, newPassword) || strings.Contains(all, password) {
		t.Errorf("a ChangePassword record holds a password: %s", all)
	}
	b.post("/console/signout", url.Values{"csrf": {b.csrf("/console/home")}})
	b.mustSignIn(srv.Account(), "newbie", newPassword)
}
