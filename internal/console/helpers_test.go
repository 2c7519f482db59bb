package console_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

const (
	// password meets IAM's default policy.
	password       = "Corr3ct-Horse"
	adminPolicy    = "arn:aws:iam::aws:policy/AdministratorAccess"
	readOnlyPolicy = "arn:aws:iam::aws:policy/ReadOnlyAccess"
)

// browser is a browser's HTTP side: a cookie jar, redirects not followed.
type browser struct {
	tb  testing.TB
	srv *apptest.Server
	c   *http.Client
	// seen collects every page and redirect target, to look for secrets.
	seen strings.Builder
}

func newBrowser(tb testing.TB, srv *apptest.Server) *browser {
	jar, _ := cookiejar.New(nil)
	c := srv.HTTPClient()
	c.Jar = jar
	return &browser{tb: tb, srv: srv, c: c}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.tb.Helper()
	req.Header.Set("User-Agent", "Mozilla/5.0 (test browser)")
	resp, err := b.c.Do(req)
	if err != nil {
		b.tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.seen.WriteString(resp.Header.Get("Location") + "\n" + string(body))
	return page{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *browser) get(path string) page {
	b.tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.srv.URL+path, nil)
	req.Header.Set("Accept", "text/html")
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.srv.URL)
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the CSRF token of the page at path.
func (b *browser) csrf(path string) string {
	b.tb.Helper()
	m := csrfField.FindStringSubmatch(b.get(path).body)
	if m == nil {
		b.tb.Fatalf("no csrf field on %s", path)
	}
	return m[1]
}

// signIn submits the sign-in form.
func (b *browser) signIn(account, user, pw string) page {
	b.tb.Helper()
	return b.post("/console/signin", url.Values{"csrf": {b.csrf("/console/signin")}, "account": {account},
		"username": {user}, "password": {pw}})
}

func (b *browser) mustSignIn(account, user, pw string) {
	b.tb.Helper()
	if p := b.signIn(account, user, pw); p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/home" {
		b.tb.Fatalf("sign in: %d %q\n%s", p.status, p.header.Get("Location"), p.body)
	}
}

// userWithPassword creates an IAM user with a console password and the
// managed policies given.
func userWithPassword(tb testing.TB, srv *apptest.Server, name string, policies ...string) {
	tb.Helper()
	ctx := context.Background()
	c := srv.IAM(srv.Root)
	if _, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		tb.Fatal(err)
	}
	if _, err := c.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String(name), Password: aws.String(password)}); err != nil {
		tb.Fatal(err)
	}
	for _, p := range policies {
		if _, err := c.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(p)}); err != nil {
			tb.Fatal(err)
		}
	}
}

// events looks up the records named name, newest first, as JSON objects.
func events(tb testing.TB, srv *apptest.Server, name string) []map[string]any {
	tb.Helper()
	out, err := srv.CloudTrail(srv.Root).LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(name)}}})
	if err != nil {
		tb.Fatalf("LookupEvents %s: %v", name, err)
	}
	var recs []map[string]any
	for _, e := range out.Events {
		var rec map[string]any
		if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec); err != nil {
			tb.Fatal(err)
		}
		recs = append(recs, rec)
	}
	return recs
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
