package sigv4

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestVerify_SDKSigned signs requests with aws-sdk-go-v2's signer and checks
// that they verify as a server receives them.
func TestVerify_SDKSigned(t *testing.T) {
	jsonHeader := http.Header{
		"Content-Type": {"application/x-amz-json-1.1"},
		"X-Amz-Target": {"CodeDeploy_20141006.ListApplications"},
	}
	tests := []struct {
		name  string
		req   request
		token string
	}{
		{"GetNoBody", request{method: "GET", url: "https://iam.amazonaws.com/"}, ""},
		{"PostJSON", request{"POST", "https://codedeploy.us-east-1.amazonaws.com/", jsonHeader, `{"nextToken":null}`}, ""},
		{"PostJSONSessionToken", request{"POST", "https://codedeploy.us-east-1.amazonaws.com/", jsonHeader, `{}`}, testToken},
		{"PostForm", request{"POST", "https://sts.amazonaws.com/",
			http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}},
			"Action=GetCallerIdentity&Version=2011-06-15"}, ""},
		{"PostEmptyBody", request{"POST", "https://sts.amazonaws.com/", nil, ""}, ""},
		{"UserAgentNotSigned", request{"POST", "https://sts.amazonaws.com/", http.Header{"User-Agent": {"aws-sdk-go-v2/1.48.0"}}, "x"}, ""},
		{"RepeatedSpacesInValue", request{"GET", "https://svc.example/", http.Header{"X-Custom": {"  a   b  c  "}}, ""}, ""},
		{"MultiValueHeader", request{"GET", "https://svc.example/", http.Header{"X-Custom": {"one", "two   three"}}, ""}, ""},
		{"QuerySpecialChars", request{method: "GET",
			url: "https://svc.example/?b=hello%20world&a=%2F%3D%26&c=~&d=%E2%9C%93&e=&f&A=upper&plus=%2B"}, ""},
		{"PathEscaped", request{method: "GET", url: "https://svc.example/a%20b/c%2Fd/%E2%9C%93"}, ""},
		{"PathDotSegments", request{method: "GET", url: "https://svc.example/a/./b/../c//d"}, ""},
		{"HostWithPort", request{method: "GET", url: "http://127.0.0.1:4590/"}, ""},
		{"UnsignedPayload", request{"PUT", "https://svc.example/k", http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}}, "data"}, ""},
		{"ContentSha256", request{"PUT", "https://svc.example/k", http.Header{"X-Amz-Content-Sha256": {hashHex([]byte("data"))}}, "data"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := testCreds
			creds.SessionToken = tt.token
			cr := newClientRequest(t, tt.req)
			sdkSign(t, cr, []byte(tt.req.body), creds, "us-east-1", "codedeploy", testTime)
			r, body := toServer(t, cr)
			sig, err := Parse(r)
			if err != nil {
				t.Fatalf("Parse=%v, want nil", err)
			}
			if sig.AccessKeyID != creds.AccessKeyID || sig.SecurityToken != tt.token || !sig.Date.Equal(testTime) {
				t.Fatalf("Parse=%+v, want key %s, token %q, date %v", sig, creds.AccessKeyID, tt.token, testTime)
			}
			if err := sig.Verify(r, body, creds.SecretAccessKey, testTime.Add(time.Minute)); err != nil {
				t.Fatalf("Verify=%v, want nil", err)
			}
			if got := KindOf(sig.Verify(r, body, "wrong", testTime)); got != KindMismatch {
				t.Fatalf("Kind with wrong secret=%v, want %v", got, KindMismatch)
			}
		})
	}
}

// verifyCall holds the inputs of one server-side verification so that a
// test can alter any of them.
type verifyCall struct {
	r      *http.Request
	body   []byte
	secret string
	now    time.Time
}

// TestVerify_Tampered changes one thing about an SDK-signed request and
// checks the Kind of the failure.
func TestVerify_Tampered(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(c *verifyCall)
		want   Kind // 0 means the request must still verify
	}{
		{"Untouched", func(*verifyCall) {}, 0},
		{"UnsignedHeaderChanged", func(c *verifyCall) { c.r.Header.Set("User-Agent", "evil") }, 0},
		{"SkewJustInsidePast", func(c *verifyCall) { c.now = testTime.Add(MaxSkew) }, 0},
		{"SkewJustInsideFuture", func(c *verifyCall) { c.now = testTime.Add(-MaxSkew) }, 0},
		{"BodyChanged", func(c *verifyCall) { c.body = []byte(`{"x":2}`) }, KindMismatch},
		{"BodyEmptied", func(c *verifyCall) { c.body = nil }, KindMismatch},
		{"SignedHeaderChanged", func(c *verifyCall) { c.r.Header.Set("X-Amz-Target", "CodeDeploy_20141006.DeleteApplication") }, KindMismatch},
		{"SignedHeaderRemoved", func(c *verifyCall) { c.r.Header.Del("Content-Type") }, KindMismatch},
		{"TokenChanged", func(c *verifyCall) { c.r.Header.Set("X-Amz-Security-Token", "other") }, KindMismatch},
		{"QueryParamAdded", func(c *verifyCall) { c.r.URL.RawQuery = "a=1" }, KindMismatch},
		{"MethodChanged", func(c *verifyCall) { c.r.Method = "PUT" }, KindMismatch},
		{"PathChanged", func(c *verifyCall) { c.r.RequestURI = "/other" }, KindMismatch},
		{"HostChanged", func(c *verifyCall) { c.r.Host = "evil.example" }, KindMismatch},
		{"WrongSecret", func(c *verifyCall) { c.secret += "x" }, KindMismatch},
		{"SignatureChanged", func(c *verifyCall) { editAuth(c.r, "Signature=", "Signature=0") }, KindMismatch},
		{"ScopeDateChanged", func(c *verifyCall) { editAuth(c.r, "/20260314/", "/20260313/") }, KindMismatch},
		{"ScopeRegionChanged", func(c *verifyCall) { editAuth(c.r, "/us-east-1/", "/eu-west-1/") }, KindMismatch},
		{"ContentSha256Wrong", func(c *verifyCall) { c.r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte("other"))) }, KindMismatch},
		{"DateChanged", func(c *verifyCall) { c.r.Header.Set("X-Amz-Date", "20260314T092654Z") }, KindMismatch},
		{"SkewPast", func(c *verifyCall) { c.now = testTime.Add(MaxSkew + time.Second) }, KindExpired},
		{"SkewFuture", func(c *verifyCall) { c.now = testTime.Add(-MaxSkew - time.Second) }, KindExpired},
		{"AuthorizationRemoved", func(c *verifyCall) { c.r.Header.Del("Authorization") }, KindMissing},
		{"HostNotSigned", func(c *verifyCall) { editAuth(c.r, "host;", "") }, KindIncomplete},
		{"DateRemoved", func(c *verifyCall) { c.r.Header.Del("X-Amz-Date") }, KindIncomplete},
		{"DateGarbled", func(c *verifyCall) { c.r.Header.Set("X-Amz-Date", "2026-03-14T09:26:53Z") }, KindIncomplete},
		{"SigV4a", func(c *verifyCall) { editAuth(c.r, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256") }, KindIncomplete},
		{"AlsoPresigned", func(c *verifyCall) { c.r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256" }, KindIncomplete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := signedJSONRequest(t)
			c := &verifyCall{r: r, body: body, secret: testCreds.SecretAccessKey, now: testTime}
			tt.tamper(c)
			if got := KindOf(parseAndVerify(c.r, c.body, c.secret, c.now)); got != tt.want {
				t.Fatalf("Kind=%v, want %v", got, tt.want)
			}
		})
	}
}

// signedJSONRequest returns an SDK-signed CodeDeploy call with a session
// token, as the server receives it.
func signedJSONRequest(tb testing.TB) (*http.Request, []byte) {
	tb.Helper()
	cr := newClientRequest(tb, request{"POST", "https://codedeploy.us-east-1.amazonaws.com/", http.Header{
		"Content-Type": {"application/x-amz-json-1.1"},
		"X-Amz-Target": {"CodeDeploy_20141006.ListApplications"},
	}, `{"x":1}`})
	creds := testCreds
	creds.SessionToken = testToken
	sdkSign(tb, cr, []byte(`{"x":1}`), creds, "us-east-1", "codedeploy", testTime)
	return toServer(tb, cr)
}

func editAuth(r *http.Request, old, repl string) {
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, repl, 1))
}

// TestSign_MatchesSDK checks that Sign produces the same Authorization header
// as the SDK for requests whose headers are exactly those Sign signs, and
// that the result verifies.
func TestSign_MatchesSDK(t *testing.T) {
	tests := []struct {
		name  string
		req   request
		token string
	}{
		{"Get", request{method: "GET", url: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08"}, ""},
		{"PostJSON", request{"POST", "http://127.0.0.1:4590/", http.Header{
			"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {"CodeDeploy_20141006.ListApplications"},
		}, `{}`}, testToken},
		{"PostForm", request{"POST", "https://sts.amazonaws.com/", http.Header{
			"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"},
		}, "Action=GetCallerIdentity&Version=2011-06-15"}, testToken},
		{"ContentSha256", request{"PUT", "https://svc.example/a%20b", http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}}, "data"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := testCreds
			creds.SessionToken = tt.token
			body := []byte(tt.req.body)
			mine, theirs := newClientRequest(t, tt.req), newClientRequest(t, tt.req)
			theirs.ContentLength = 0 // the SDK would also sign content-length, which Sign does not
			if err := Sign(mine, body, creds, "us-east-1", "sts", testTime); err != nil {
				t.Fatalf("Sign=%v, want nil", err)
			}
			sdkSign(t, theirs, body, creds, "us-east-1", "sts", testTime)
			if got, want := mine.Header.Get("Authorization"), theirs.Header.Get("Authorization"); got != want {
				t.Fatalf("Authorization=%q, want %q", got, want)
			}
			r, body := toServer(t, mine)
			if err := parseAndVerify(r, body, creds.SecretAccessKey, testTime); err != nil {
				t.Fatalf("Verify=%v, want nil", err)
			}
		})
	}
}

// TestVerify_Botocore checks requests signed the way AWS CLI v1 (botocore)
// signs Query-protocol calls: only content-type, host, x-amz-date and the
// session token are signed, while the client sends more headers.
func TestVerify_Botocore(t *testing.T) {
	for _, token := range []string{"", testToken} {
		t.Run("token="+token[:min(len(token), 4)], func(t *testing.T) {
			const body = "Action=GetCallerIdentity&Version=2011-06-15"
			cr := newClientRequest(t, request{"POST", "https://sts.amazonaws.com/", http.Header{
				"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"},
			}, body})
			cr.ContentLength = 0 // botocore does not sign content-length
			creds := testCreds
			creds.SessionToken = token
			sdkSign(t, cr, []byte(body), creds, "us-east-1", "sts", testTime)
			cr.ContentLength = int64(len(body))
			cr.Header.Set("User-Agent", "aws-cli/1.36.0 md/Botocore#1.35.0 ua/2.0 os/linux")
			r, b := toServer(t, cr)
			sig, err := Parse(r)
			if err != nil {
				t.Fatalf("Parse=%v, want nil", err)
			}
			want := "content-type;host;x-amz-date"
			if token != "" {
				want += ";x-amz-security-token"
			}
			if got := strings.Join(sig.SignedHeaders, ";"); got != want {
				t.Fatalf("SignedHeaders=%q, want %q", got, want)
			}
			if err := sig.Verify(r, b, creds.SecretAccessKey, testTime); err != nil {
				t.Fatalf("Verify=%v, want nil", err)
			}
		})
	}
}

// TestVerify_HTTPServer sends signed requests over a real connection to make
// sure nothing net/http does on either side breaks the signature.
func TestVerify_HTTPServer(t *testing.T) {
	srv := httptest.NewServer(http.StripPrefix("/api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := parseAndVerify(r, body, testCreds.SecretAccessKey, testTime); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
		}
	})))
	defer srv.Close()
	const body = `{"applicationName":"app"}`
	sign := map[string]func(r *http.Request){
		"SDK": func(r *http.Request) { sdkSign(t, r, []byte(body), testCreds, "us-east-1", "codedeploy", testTime) },
		"Sign": func(r *http.Request) {
			if err := Sign(r, []byte(body), testCreds, "us-east-1", "codedeploy", testTime); err != nil {
				t.Fatalf("Sign=%v, want nil", err)
			}
		},
	}
	for name, signFn := range sign {
		t.Run(name, func(t *testing.T) {
			r := newClientRequest(t, request{"POST", srv.URL + "/api/x%2Fy?q=a%20b", http.Header{
				"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {"CodeDeploy_20141006.GetApplication"},
			}, body})
			signFn(r)
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("StatusCode=%d (%s), want 200", resp.StatusCode, msg)
			}
		})
	}
}
