package server

import (
	"net/http/httptest"
	"testing"
)

// Only unsigned requests for /console, and a browser's GET /, are the
// console's; anything signed stays an API call, whatever its path.
func TestIsConsoleRequest(t *testing.T) {
	tests := []struct {
		name, method, target string
		header               map[string]string
		want                 bool
	}{
		{"console root", "GET", "/console", nil, true},
		{"console page", "GET", "/console/codedeploy/applications", nil, true},
		{"console form", "POST", "/console/signin", nil, true},
		{"browser opens /", "GET", "/", map[string]string{"Accept": "text/html,application/xhtml+xml"}, true},
		{"GET / without HTML", "GET", "/", nil, false},
		{"POST / (an API call)", "POST", "/", map[string]string{"Accept": "text/html"}, false},
		{"signed", "GET", "/console/x", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=…"}, false},
		{"presigned", "GET", "/console/x?X-Amz-Signature=abc", nil, false},
		{"presigned credential", "GET", "/?X-Amz-Credential=abc", map[string]string{"Accept": "text/html"}, false},
		{"a bucket named consoles", "GET", "/consoles/key", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if got := isConsoleRequest(r); got != tt.want {
				t.Errorf("isConsoleRequest(%s %s) = %v, want %v", tt.method, tt.target, got, tt.want)
			}
		})
	}
}
