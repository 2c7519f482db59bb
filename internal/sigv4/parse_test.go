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

// headerRequest returns a server-side request carrying auth and X-Amz-Date.
func headerRequest(auth string) *http.Request {
	h := http.Header{"X-Amz-Date": {"20150830T123600Z"}}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	return &http.Request{Method: "GET", Host: "example.amazonaws.com", RequestURI: "/", URL: &url.URL{Path: "/"}, Header: h}
}

// TestParse_AuthorizationFormats checks the separator variations AWS
// tolerates; each header carries the get-vanilla signature, so it must also
// verify.
func TestParse_AuthorizationFormats(t *testing.T) {
	const sig = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	const cred = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
	tests := []struct{ name, auth string }{
		{"SDK", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date, Signature=" + sig},
		{"NoSpaces", "AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=host;x-amz-date,Signature=" + sig},
		{"ExtraSpaces", "  AWS4-HMAC-SHA256   " + cred + " ,  SignedHeaders=host;x-amz-date ,Signature=" + sig + "  "},
		{"SpacesOnly", "AWS4-HMAC-SHA256 " + cred + " SignedHeaders=host;x-amz-date Signature=" + sig},
		{"Reordered", "AWS4-HMAC-SHA256 Signature=" + sig + ", SignedHeaders=host;x-amz-date, " + cred},
		{"UnknownPartIgnored", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date, Signature=" + sig + ", Foo=bar"},
	}
	want := &Signature{AccessKeyID: "AKIDEXAMPLE", Date: suiteTime, Scope: Scope{"20150830", "us-east-1", "service"},
		SignedHeaders: []string{"host", "x-amz-date"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := headerRequest(tt.auth)
			got, err := Parse(r)
			if err != nil {
				t.Fatalf("Parse=%v, want nil", err)
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Signature{})); diff != "" {
				t.Fatalf("Parse mismatch (-want +got):\n%s", diff)
			}
			if err := got.Verify(r, nil, suiteSecret, suiteTime); err != nil {
				t.Fatalf("Verify=%v, want nil", err)
			}
		})
	}
}

// TestParse_AuthorizationErrors checks Kind and message of malformed headers.
func TestParse_AuthorizationErrors(t *testing.T) {
	const rest = " Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab"
	tests := []struct {
		name, auth string
		want       Kind
		msg        string
	}{
		{"Missing", "", KindMissing, msgMissing},
		{"Blank", "   ", KindMissing, msgMissing},
		{"OnlyCommas", ",,", KindIncomplete, "Unsupported AWS 'algorithm': ''. Sign requests with AWS4-HMAC-SHA256."},
		{"SigV2", "AWS AKID:c2lnbmF0dXJl", KindIncomplete, "Unsupported AWS 'algorithm': 'AWS'. Sign requests with AWS4-HMAC-SHA256."},
		{"SigV4a", "AWS4-ECDSA-P256-SHA256" + rest, KindIncomplete,
			"Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'. SigV4a is not supported; sign requests with AWS4-HMAC-SHA256."},
		{"NoParts", "AWS4-HMAC-SHA256", KindIncomplete, "Authorization header requires 'Credential' parameter. " +
			"Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."},
		{"NoSignature", "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host", KindIncomplete,
			"Authorization header requires 'Signature' parameter."},
		{"NoEqualSign", "AWS4-HMAC-SHA256 Credential", KindIncomplete,
			"'Credential' not a valid key=value pair (missing equal-sign) in Authorization header."},
		{"Duplicate", "AWS4-HMAC-SHA256" + rest + ", Signature=cd", KindIncomplete, "Authorization header has a duplicate 'Signature' parameter."},
		{"ShortCredential", strings.Replace("AWS4-HMAC-SHA256"+rest, "/iam/aws4_request", "/iam", 1), KindIncomplete,
			"Credential 'AKID/20150830/us-east-1/iam' is malformed; expected '<AccessKeyId>/<YYYYMMDD>/<region>/<service>/aws4_request'."},
		{"BadTerminator", strings.Replace("AWS4-HMAC-SHA256"+rest, "aws4_request", "aws5_request", 1), KindIncomplete,
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."},
		{"BadScopeDate", strings.Replace("AWS4-HMAC-SHA256"+rest, "20150830", "2015-08-30", 1), KindIncomplete,
			"Credential date '2015-08-30' must be in the form YYYYMMDD."},
		{"HostNotSigned", strings.Replace("AWS4-HMAC-SHA256"+rest, "host;", "", 1), KindIncomplete, msgHostNotSigned},
		{"EmptySignedHeader", strings.Replace("AWS4-HMAC-SHA256"+rest, "host;", "host;;", 1), KindIncomplete,
			"SignedHeaders 'host;;x-amz-date' is malformed; expected header names separated by ';'."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(headerRequest(tt.auth))
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.want || e.Message != tt.msg {
				t.Fatalf("Parse=%v, want %v %q", err, tt.want, tt.msg)
			}
		})
	}
}

// TestParse_Date checks where the signing time comes from.
func TestParse_Date(t *testing.T) {
	const auth = "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab"
	tests := []struct {
		name   string
		header http.Header
		want   time.Time
		kind   Kind
	}{
		{"AmzDate", http.Header{"X-Amz-Date": {"20150830T123600Z"}}, suiteTime, 0},
		{"AmzDateWins", http.Header{"X-Amz-Date": {"20150830T123600Z"}, "Date": {"Mon, 09 Sep 2011 23:36:00 GMT"}}, suiteTime, 0},
		{"DateHeader", http.Header{"Date": {"Sun, 30 Aug 2015 12:36:00 GMT"}}, suiteTime, 0},
		{"None", http.Header{}, time.Time{}, KindIncomplete},
		{"AmzDateNoZ", http.Header{"X-Amz-Date": {"20150830T123600"}}, time.Time{}, KindIncomplete},
		{"AmzDateExtended", http.Header{"X-Amz-Date": {"2015-08-30T12:36:00Z"}}, time.Time{}, KindIncomplete},
		{"DateHeaderGarbled", http.Header{"Date": {"yesterday"}}, time.Time{}, KindIncomplete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := headerRequest("")
			r.Header = tt.header
			r.Header.Set("Authorization", auth)
			sig, err := Parse(r)
			if got := KindOf(err); got != tt.kind {
				t.Fatalf("Kind=%v (%v), want %v", got, err, tt.kind)
			}
			if err == nil && !sig.Date.Equal(tt.want) {
				t.Fatalf("Date=%v, want %v", sig.Date, tt.want)
			}
		})
	}
}
