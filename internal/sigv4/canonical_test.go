package sigv4

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCanonicalQuery(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		presigned bool
		want      string
	}{
		{"Empty", "", false, ""},
		{"Sorted", "b=2&a=1&A=0", false, "A=0&a=1&b=2"},
		{"SameKeySortsByValue", "k=b&k=a&k=B", false, "k=B&k=a&k=b"},
		{"NoValue", "flag&x=", false, "flag=&x="},
		{"SpaceIsPercent20", "q=a+b&r=a%20b", false, "q=a%20b&r=a%20b"},
		{"Reserved", "k=%2F%3D%26%3F%2B%2A", false, "k=%2F%3D%26%3F%2B%2A"},
		{"Unreserved", "k=-._~Az09", false, "k=-._~Az09"},
		{"LowerHexUppercased", "k=%e2%9c%93", false, "k=%E2%9C%93"},
		{"RawUTF8", "k=✓", false, "k=%E2%9C%93"},
		{"EmptyPairsSkipped", "a=1&&b=2&", false, "a=1&b=2"},
		{"SemicolonKept", "a=1;b=2", false, "a=1%3Bb%3D2"},
		{"BadEscapeKeptRaw", "a=%zz", false, "a=%25zz"},
		{"HeaderSignedKeepsSignature", "X-Amz-Signature=ab&a=1", false, "X-Amz-Signature=ab&a=1"},
		{"PresignedDropsSignature", "X-Amz-Signature=ab&a=1", true, "a=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canonicalQuery(tt.raw, tt.presigned); got != tt.want {
				t.Fatalf("canonicalQuery(%q)=%q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestCanonicalURIs(t *testing.T) {
	tests := []struct {
		path string
		want []string
	}{
		{"/", []string{"/"}},
		{"/a/b", []string{"/a/b"}},
		{"/a%20b", []string{"/a%2520b"}},
		{"/a%2Fb/%E2%9C%93", []string{"/a%252Fb/%25E2%259C%2593"}},
		{"/a:b@c", []string{"/a%3Ab%40c"}},
		{"//", []string{"//", "/"}},
		{"/a/./b/../c//", []string{"/a/./b/../c//", "/a/c/"}},
		{"/..", []string{"/..", "/"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, canonicalURIs(tt.path)); diff != "" {
				t.Fatalf("canonicalURIs(%q) mismatch (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestRequestPath(t *testing.T) {
	tests := []struct {
		name string
		r    *http.Request
		want string
	}{
		{"ServerRequestURI", &http.Request{RequestURI: "/api/x%2Fy?q=1", URL: &url.URL{Path: "/x/y"}}, "/api/x%2Fy"},
		{"ServerAbsoluteForm", &http.Request{RequestURI: "http://h/a%20b", URL: &url.URL{Path: "/a b"}}, "/a%20b"},
		{"ClientEscapedPath", &http.Request{URL: &url.URL{Path: "/a b", RawPath: "/a%20b"}}, "/a%20b"},
		{"ClientOpaque", &http.Request{URL: &url.URL{Opaque: "//host/a%2Fb"}}, "/a%2Fb"},
		{"ClientEmpty", &http.Request{URL: &url.URL{}}, "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := requestPath(tt.r); got != tt.want {
				t.Fatalf("requestPath=%q, want %q", got, tt.want)
			}
		})
	}
}

func TestTrimAll(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"value", "value"},
		{"  a   b  c  ", "a b c"},
		{"\t a\tb \t", "a\tb"},
		{`"a   b   c"`, `"a b c"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := trimAll(tt.in); got != tt.want {
				t.Fatalf("trimAll(%q)=%q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCanonicalHeaders(t *testing.T) {
	r := &http.Request{Host: "h.example", ContentLength: 5, URL: &url.URL{Host: "ignored"}, Header: http.Header{
		"Content-Type": {" text/plain "},
		"X-Multi":      {"a", " b  c "},
	}}
	got, err := canonicalHeaders(r, []string{"content-length", "content-type", "host", "x-multi"})
	want := "content-length:5\ncontent-type:text/plain\nhost:h.example\nx-multi:a,b c\n"
	if err != nil || got != want {
		t.Fatalf("canonicalHeaders=%q, %v, want %q", got, err, want)
	}
	if _, err := canonicalHeaders(r, []string{"x-missing"}); KindOf(err) != KindMismatch {
		t.Fatalf("Kind=%v, want %v", KindOf(err), KindMismatch)
	}
}
