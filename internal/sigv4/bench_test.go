package sigv4

import (
	"bytes"
	"net/http"
	"testing"
)

// BenchmarkVerify measures what a server does per call: Parse and Verify of
// a header-signed POST with a 1 KB body, including key derivation.
func BenchmarkVerify(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 1024)
	cr := newClientRequest(b, request{"POST", "https://codedeploy.us-east-1.amazonaws.com/", http.Header{
		"Content-Type": {"application/x-amz-json-1.1"},
		"X-Amz-Target": {"CodeDeploy_20141006.CreateDeployment"},
	}, string(body)})
	sdkSign(b, cr, body, testCreds, "us-east-1", "codedeploy", testTime)
	r, body := toServer(b, cr)
	b.ReportAllocs()
	for b.Loop() {
		if err := parseAndVerify(r, body, testCreds.SecretAccessKey, testTime); err != nil {
			b.Fatalf("Verify=%v, want nil", err)
		}
	}
}
