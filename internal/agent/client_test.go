package agent

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/deploytrail/deploytrail/internal/sigv4"
)

// A command's outcome survives its server dying mid-call: a connection
// cut without an answer and a 503 are tried again, a 4xx answer is not.
func TestCallRetrying(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1: // the node dies: no answer at all
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		case 2:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 3:
			w.Write([]byte(`{}`))
		default:
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"__type":"ClientException","message":"ended"}`))
		}
	}))
	defer srv.Close()
	c := newClient(&Config{Endpoint: srv.URL, Region: "us-east-1",
		Credentials: func() (sigv4.Credentials, error) {
			return sigv4.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		}})
	if err := c.callRetrying(t.Context(), "PutHostCommandComplete", map[string]string{}, nil); err != nil {
		t.Fatalf("callRetrying: %v, want success on the third try", err)
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("calls=%d, want 3", n)
	}
	err := c.callRetrying(t.Context(), "PutHostCommandComplete", map[string]string{}, nil)
	if se, ok := err.(*serviceError); !ok || se.Status != http.StatusBadRequest || calls.Load() != 4 {
		t.Fatalf("a 4xx answer: err=%v after %d calls, want the ClientException at once", err, calls.Load())
	}
}
