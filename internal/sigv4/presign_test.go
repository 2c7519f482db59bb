package sigv4

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestVerify_SDKPresigned presigns requests with aws-sdk-go-v2 and checks
// acceptance, expiry and tampering.
func TestVerify_SDKPresigned(t *testing.T) {
	tests := []struct {
		name    string
		expires string
		token   string
		tamper  func(q url.Values)
		now     time.Time
		want    Kind
	}{
		{name: "OK", expires: "300", now: testTime.Add(time.Minute)},
		{name: "SessionToken", expires: "300", token: testToken, now: testTime.Add(time.Minute)},
		{name: "LastSecond", expires: "300", now: testTime.Add(5 * time.Minute)},
		{name: "Expired", expires: "300", now: testTime.Add(5*time.Minute + time.Second), want: KindExpired},
		{name: "NotYetCurrent", expires: "300", now: testTime.Add(-MaxSkew - time.Second), want: KindExpired},
		{name: "ExpiresZero", expires: "0", now: testTime, want: KindIncomplete},
		{name: "ExpiresTooLong", expires: "604801", now: testTime, want: KindIncomplete},
		{name: "ExpiresMax", expires: "604800", now: testTime.Add(6 * 24 * time.Hour)},
		{name: "ParamAdded", expires: "300", now: testTime, want: KindMismatch, tamper: func(q url.Values) { q.Set("Extra", "1") }},
		{name: "ParamChanged", expires: "300", now: testTime, want: KindMismatch, tamper: func(q url.Values) { q.Set("Action", "DeleteUser") }},
		{name: "ExpiresChanged", expires: "300", now: testTime, want: KindMismatch, tamper: func(q url.Values) { q.Set("X-Amz-Expires", "3600") }},
		{name: "SignatureRemoved", expires: "300", now: testTime, want: KindIncomplete, tamper: func(q url.Values) { q.Del("X-Amz-Signature") }},
		{name: "CredentialGarbled", expires: "300", now: testTime, want: KindIncomplete, tamper: func(q url.Values) { q.Set("X-Amz-Credential", "AKID/x") }},
		{name: "HostNotSigned", expires: "300", now: testTime, want: KindIncomplete, tamper: func(q url.Values) { q.Set("X-Amz-SignedHeaders", "x-amz-date") }},
		{name: "SigV4a", expires: "300", now: testTime, want: KindIncomplete, tamper: func(q url.Values) { q.Set("X-Amz-Algorithm", "AWS4-ECDSA-P256-SHA256") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := testCreds
			creds.SessionToken = tt.token
			cr := newClientRequest(t, request{method: "GET",
				url: "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=" + tt.expires})
			cr = sdkPresign(t, cr, creds, "us-east-1", "sts", testTime)
			if tt.tamper != nil {
				q := cr.URL.Query()
				tt.tamper(q)
				cr.URL.RawQuery = q.Encode()
			}
			r, body := toServer(t, cr)
			err := parseAndVerify(r, body, creds.SecretAccessKey, tt.now)
			if got := KindOf(err); got != tt.want {
				t.Fatalf("Kind=%v (%v), want %v", got, err, tt.want)
			}
		})
	}
}

// TestParse_Presigned checks the fields Parse reads from a presigned query.
func TestParse_Presigned(t *testing.T) {
	creds := testCreds
	creds.SessionToken = testToken
	cr := newClientRequest(t, request{method: "GET", url: "https://sts.amazonaws.com/?Action=GetCallerIdentity&X-Amz-Expires=60"})
	r, _ := toServer(t, sdkPresign(t, cr, creds, "us-east-1", "sts", testTime))
	sig, err := Parse(r)
	if err != nil {
		t.Fatalf("Parse=%v, want nil", err)
	}
	want := Signature{AccessKeyID: creds.AccessKeyID, Date: testTime, Scope: Scope{"20260314", "us-east-1", "sts"},
		SignedHeaders: []string{"host"}, SecurityToken: testToken, Presigned: true, Expires: time.Minute}
	if diff := cmp.Diff(want, *sig, cmpopts.IgnoreUnexported(Signature{})); diff != "" {
		t.Fatalf("Parse mismatch (-want +got):\n%s", diff)
	}
}

// TestParse_PresignedErrors covers presigned queries Parse must reject.
func TestParse_PresignedErrors(t *testing.T) {
	const base = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260314%2Fus-east-1%2Fsts%2Faws4_request" +
		"&X-Amz-Date=20260314T092653Z&X-Amz-SignedHeaders=host&X-Amz-Signature=abcd"
	tests := []struct {
		name  string
		query string
		want  Kind
		msg   string
	}{
		{"NoAlgorithm", "Action=ListUsers", KindMissing, msgMissing},
		{"ExpiresNotNumber", base + "&X-Amz-Expires=soon", KindIncomplete, "X-Amz-Expires should be a number."},
		{"ExpiresNegative", base + "&X-Amz-Expires=-1", KindIncomplete, "X-Amz-Expires must be a positive number of seconds."},
		{"ExpiresTooLong", base + "&X-Amz-Expires=604801", KindIncomplete, "X-Amz-Expires must be less than a week (in seconds) that is 604800."},
		{"BadDate", strings.Replace(base, "T092653Z", "T0926Z", 1) + "&X-Amz-Expires=60", KindIncomplete,
			`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'".`},
		{"OtherAlgorithm", strings.Replace(base, "AWS4-HMAC-SHA256", "HMAC", 1), KindIncomplete,
			"Unsupported AWS 'algorithm': 'HMAC'. Sign requests with AWS4-HMAC-SHA256."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Request{Method: "GET", Host: "sts.amazonaws.com", URL: &url.URL{Path: "/", RawQuery: tt.query}, Header: http.Header{}}
			_, err := Parse(r)
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.want || e.Message != tt.msg {
				t.Fatalf("Parse=%v, want %v %q", err, tt.want, tt.msg)
			}
		})
	}
}

// The SDKs presign sts:GetCallerIdentity without X-Amz-Expires; AWS
// accepts such URLs for the 15-minute skew window.
func TestPresigned_NoExpires(t *testing.T) {
	cr := newClientRequest(t, request{method: "GET", url: "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"})
	r, body := toServer(t, sdkPresign(t, cr, testCreds, "us-east-1", "sts", testTime))
	sig, err := Parse(r)
	if err != nil {
		t.Fatalf("Parse=%v, want nil", err)
	}
	if sig.Expires != MaxSkew {
		t.Fatalf("Expires=%v, want %v", sig.Expires, MaxSkew)
	}
	if err := sig.Verify(r, body, testCreds.SecretAccessKey, testTime.Add(10*time.Minute)); err != nil {
		t.Fatalf("Verify within 15 minutes=%v, want nil", err)
	}
	if err := sig.Verify(r, body, testCreds.SecretAccessKey, testTime.Add(16*time.Minute)); KindOf(err) != KindExpired {
		t.Fatalf("Verify after 16 minutes=%v, want KindExpired", err)
	}
}
