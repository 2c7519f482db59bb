package sigv4

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestVerify_Messages checks Kind and the exact AWS-style message of
// failures detected before the signature is computed.
func TestVerify_Messages(t *testing.T) {
	at := time.Date(2013, 5, 24, 0, 25, 0, 0, time.UTC)
	tests := []struct {
		name string
		sig  Signature
		now  time.Time
		want Kind
		msg  string
	}{
		{"Past", Signature{Date: time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)}, at, KindExpired,
			"Signature expired: 20130524T000000Z is now earlier than 20130524T001000Z (20130524T002500Z - 15 min.)"},
		{"Future", Signature{Date: time.Date(2013, 5, 24, 1, 0, 0, 0, time.UTC)}, at, KindExpired,
			"Signature not yet current: 20130524T010000Z is still later than 20130524T004000Z (20130524T002500Z + 15 min.)"},
		{"PresignedExpired", Signature{Date: at.Add(-time.Hour), Presigned: true, Expires: time.Minute}, at, KindExpired,
			"Request has expired"},
		{"PresignedFuture", Signature{Date: at.Add(time.Hour), Presigned: true, Expires: time.Minute}, at, KindExpired,
			"Signature not yet current: 20130524T012500Z is still later than 20130524T004000Z (20130524T002500Z + 15 min.)"},
		{"ScopeDate", Signature{Date: at, Scope: Scope{Date: "20130523"}}, at, KindMismatch,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20130523' != '20130524', from '20130524T002500Z'."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := readRawRequest(t, "GET / HTTP/1.1\nHost:example.amazonaws.com", "")
			err := tt.sig.Verify(r, nil, "secret", tt.now)
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.want || e.Message != tt.msg {
				t.Fatalf("Verify=%v, want %v %q", err, tt.want, tt.msg)
			}
		})
	}
}

// TestVerify_NoSecretInMessages makes sure no failure message leaks the
// secret or the signature the server expected.
func TestVerify_NoSecretInMessages(t *testing.T) {
	r, body := signedJSONRequest(t)
	sig, err := Parse(r)
	if err != nil {
		t.Fatalf("Parse=%v, want nil", err)
	}
	want := sig.signature
	editAuth(r, "Signature=", "Signature=0")
	r.Header.Set("X-Amz-Target", "x")
	if sig, err = Parse(r); err != nil {
		t.Fatalf("Parse=%v, want nil", err)
	}
	err = sig.Verify(r, body, testCreds.SecretAccessKey, testTime)
	if err == nil || strings.Contains(err.Error(), want) || strings.Contains(err.Error(), testCreds.SecretAccessKey) {
		t.Fatalf("Verify=%v, want an error without secret or expected signature", err)
	}
}

// TestPayloadHash checks how the X-Amz-Content-Sha256 header is honoured.
func TestPayloadHash(t *testing.T) {
	body := []byte("hello")
	tests := []struct {
		name   string
		header string
		want   string
		kind   Kind
	}{
		{"Absent", "", hashHex(body), 0},
		{"Matches", hashHex(body), hashHex(body), 0},
		{"Unsigned", "UNSIGNED-PAYLOAD", "UNSIGNED-PAYLOAD", 0},
		{"Wrong", hashHex(nil), "", KindMismatch},
		{"Streaming", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "", KindMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("X-Amz-Content-Sha256", tt.header)
			}
			got, err := payloadHash(h, body)
			if got != tt.want || KindOf(err) != tt.kind {
				t.Fatalf("payloadHash=%q, %v, want %q, %v", got, err, tt.want, tt.kind)
			}
		})
	}
}

// TestSign_Errors checks that Sign refuses to sign without keys.
func TestSign_Errors(t *testing.T) {
	r, err := http.NewRequest("GET", "https://iam.amazonaws.com/", nil)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	if err := Sign(r, nil, Credentials{AccessKeyID: "AKID"}, "us-east-1", "iam", testTime); err == nil {
		t.Fatalf("Sign=nil, want error")
	}
	if got := r.Header.Get("Authorization"); got != "" {
		t.Fatalf("Authorization=%q, want empty", got)
	}
}
