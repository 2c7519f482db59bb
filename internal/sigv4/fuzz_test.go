package sigv4

import (
	"net/http"
	"net/url"
	"testing"
)

// checkParseResult fails unless Parse either succeeded with a usable
// signature or returned an *Error of KindMissing or KindIncomplete, and
// makes sure Verify does not panic on whatever Parse accepted.
func checkParseResult(t *testing.T, r *http.Request) {
	t.Helper()
	sig, err := Parse(r)
	if err != nil {
		if k := KindOf(err); k != KindMissing && k != KindIncomplete {
			t.Fatalf("Kind=%v (%v), want %v or %v", k, err, KindMissing, KindIncomplete)
		}
		return
	}
	if sig.AccessKeyID == "" || len(sig.SignedHeaders) == 0 || sig.Date.IsZero() {
		t.Fatalf("Parse=%+v, want a complete signature", sig)
	}
	if err := sig.Verify(r, nil, "secret", sig.Date); err == nil {
		t.Fatalf("Verify=nil for a fuzzed signature")
	}
}

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"",
		"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd",
		"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request,SignedHeaders=content-type;host;x-amz-date,Signature=00",
		"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;;, Signature=",
		"AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;, Signature==",
		"AWS4-ECDSA-P256-SHA256 Credential=AKID/20150830/iam/aws4_request, SignedHeaders=host, Signature=3045",
		"AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
		"Bearer token",
		",,,",
		"AWS4-HMAC-SHA256 Credential=AKID/99999999/r/s/aws4_request, SignedHeaders=host, Signature=x, Signature=y",
		"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;x-missing, Signature=ab",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, auth string) {
		r := &http.Request{Method: "POST", Host: "iam.amazonaws.com", RequestURI: "/", URL: &url.URL{Path: "/"},
			Header: http.Header{"Authorization": {auth}, "X-Amz-Date": {"20150830T123600Z"}}}
		checkParseResult(t, r)
	})
}

func FuzzParsePresigned(f *testing.F) {
	for _, s := range []string{
		"",
		"Action=GetCallerIdentity&Version=2011-06-15",
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fsts%2Faws4_request" +
			"&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=abcd",
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID/20150830/us-east-1/sts/aws4_request" +
			"&X-Amz-Date=20150830T123600Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host&X-Amz-Signature=abcd",
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Algorithm=x&X-Amz-Credential=%zz&X-Amz-Date=;&X-Amz-Expires=-1",
		"X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256",
		"X-Amz-Algorithm&&&=&==",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := &http.Request{Method: "GET", Host: "sts.amazonaws.com", RequestURI: "/?" + query,
			URL: &url.URL{Path: "/", RawQuery: query}, Header: http.Header{}}
		checkParseResult(t, r)
	})
}
