package s3api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/mem"
)

func TestRoute(t *testing.T) {
	for _, tt := range []struct {
		method, url, host string
		header            http.Header
		op, bucket, key   string
		code              string
	}{
		{method: "GET", url: "/", op: "ListBuckets"},
		{method: "PUT", url: "/b1b", op: "CreateBucket", bucket: "b1b"},
		{method: "GET", url: "/b1b?list-type=2", op: "ListObjectsV2", bucket: "b1b"},
		{method: "GET", url: "/b1b?location", op: "GetBucketLocation", bucket: "b1b"},
		{method: "DELETE", url: "/b1b?policy", op: "DeleteBucketPolicy", bucket: "b1b"},
		{method: "POST", url: "/b1b?delete", op: "DeleteObjects", bucket: "b1b"},
		{method: "PUT", url: "/b1b/a/b%20c", op: "PutObject", bucket: "b1b", key: "a/b c"},
		{method: "PUT", url: "/b1b/k", header: http.Header{"X-Amz-Copy-Source": {"b1b/j"}}, op: "CopyObject", bucket: "b1b", key: "k"},
		{method: "HEAD", url: "/k/x", host: "b1b.s3.example:4590", op: "HeadObject", bucket: "b1b", key: "k/x"},
		{method: "GET", url: "/", host: "b1b.s3.example", op: "ListObjects", bucket: "b1b"},
		{method: "POST", url: "/b1b/k?uploads", op: "CreateMultipartUpload", bucket: "b1b", key: "k"},
		{method: "PUT", url: "/b1b/k?partNumber=2&uploadId=u", op: "UploadPart", bucket: "b1b", key: "k"},
		{method: "POST", url: "/b1b/k?uploadId=u", op: "CompleteMultipartUpload", bucket: "b1b", key: "k"},
		{method: "DELETE", url: "/b1b/k?uploadId=u", op: "AbortMultipartUpload", bucket: "b1b", key: "k"},
		{method: "GET", url: "/b1b/k?uploadId=u", op: "ListParts", bucket: "b1b", key: "k"},
		{method: "GET", url: "/b1b?uploads", op: "ListMultipartUploads", bucket: "b1b"},
		{method: "PUT", url: "/b1b/k?partNumber=2&uploadId=u", header: http.Header{"X-Amz-Copy-Source": {"b1b/j"}}, code: CodeNotImplemented},
		{method: "GET", url: "/b1b/k?partNumber=2", code: CodeNotImplemented},
		{method: "POST", url: "/b1b?uploads", code: CodeMethodNotAllowed},
		{method: "PUT", url: "/b1b?versioning", op: "PutBucketVersioning", bucket: "b1b"},
		{method: "GET", url: "/b1b?lifecycle", op: "GetBucketLifecycle", bucket: "b1b"},
		{method: "PUT", url: "/b1b/k?lifecycle", code: CodeNotImplemented},
		{method: "PUT", url: "/b1b?tagging", code: CodeNotImplemented},
		{method: "PATCH", url: "/b1b/k", code: CodeMethodNotAllowed},
		{method: "GET", url: "/Bad_Bucket/k", code: CodeInvalidBucketName},
		{method: "GET", url: "/b1b/a/../b", code: CodeInvalidArgument},
		{method: "GET", url: "/b1b/" + strings.Repeat("k", 1025), code: CodeKeyTooLong},
	} {
		t.Run(tt.method+" "+tt.url[:min(len(tt.url), 40)], func(t *testing.T) {
			u, _ := url.ParseRequestURI(tt.url)
			host := tt.host
			if host == "" {
				host = "127.0.0.1:4590"
			}
			tgt, err := Route(&http.Request{Method: tt.method, URL: u, Host: host, Header: tt.header}, "s3.example")
			if tt.code != "" {
				if code, _, _ := ErrorCode(err); code != tt.code {
					t.Fatalf("err=%v, want %s", err, tt.code)
				}
				return
			}
			if err != nil || tgt.Op.Name != tt.op || tgt.Bucket != tt.bucket || tgt.Key != tt.key {
				t.Fatalf("Route=%+v, %v; want %s %s %q", tgt, err, tt.op, tt.bucket, tt.key)
			}
		})
	}
}

func TestParseRange(t *testing.T) {
	for _, tt := range []struct {
		header  string
		off, n  int64
		ok      bool
		invalid bool
	}{
		{"bytes=0-4", 0, 5, true, false},
		{"bytes=5-", 5, 5, true, false},
		{"bytes=-3", 7, 3, true, false},
		{"bytes=-30", 0, 10, true, false},
		{"bytes=8-100", 8, 2, true, false},
		{"bytes=10-", 0, 0, false, true},
		{"bytes=4-2", 0, 0, false, false},
		{"bytes=0-1,3-4", 0, 0, false, false},
		{"items=0-1", 0, 0, false, false},
		{"", 0, 0, false, false},
	} {
		r, ok, err := parseRange(tt.header, 10)
		if ok != tt.ok || (err != nil) != tt.invalid || ok && (r.off != tt.off || r.n != tt.n) {
			t.Errorf("parseRange(%q)=%+v %v %v", tt.header, r, ok, err)
		}
	}
}

// The walk lists keys and common prefixes in order, pages them, and
// resumes after a prefix without repeating it.
func TestWalk(t *testing.T) {
	ctx := context.Background()
	b, _ := mem.New().Bucket("list")
	b.Create(ctx)
	var keys []string
	for i := range 1200 {
		keys = append(keys, fmt.Sprintf("big/%04d", i))
	}
	keys = append(keys, "a.txt", "big.txt", "c/1", "c/2", "d")
	for _, k := range keys {
		b.Put(ctx, k, []byte("x"), objstore.PutOptions{})
	}
	var got []string
	lq := &listQuery{delimiter: "/", max: 2}
	for {
		p, err := walk(ctx, b, lq)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.objects {
			got = append(got, o.Key)
		}
		got = append(got, p.prefixes...)
		if !p.truncated {
			break
		}
		lq.after = p.last
	}
	if strings.Join(got, " ") != "a.txt big.txt big/ c/ d" {
		t.Errorf("delimited pages: %v", got)
	}
	p, err := walk(ctx, b, &listQuery{prefix: "big/", max: 1000})
	if err != nil || len(p.objects) != 1000 || !p.truncated || p.last != "big/0999" {
		t.Errorf("a full page: %d objects, truncated %v, last %q, %v", len(p.objects), p.truncated, p.last, err)
	}
}

// A bucket that does not stream takes bodies up to MaxBufferedObject,
// charged to the memory budget, and of exactly their declared length.
func TestPutObject_Buffered(t *testing.T) {
	ctx := context.Background()
	p := mem.New()
	b, _ := p.Bucket("buffered")
	b.Create(ctx)
	s := &Service{Buckets: p, MaxBufferedObject: 1024}
	put := func(declared int64, body string, reserve func(int64) (func(), bool)) (*Response, error) {
		u, _ := url.ParseRequestURI("/buffered/k")
		r := &http.Request{Method: "PUT", URL: u, Header: http.Header{}, ContentLength: declared}
		return s.Do(ctx, &Request{Target: &Target{Op: opPutObject, Bucket: "buffered", Key: "k"}, HTTP: r,
			Body: strings.NewReader(body), Size: declared, Reserve: reserve})
	}
	for _, tt := range []struct {
		declared int64
		body     string
		reserve  func(int64) (func(), bool)
		code     string
	}{
		{declared: 2048, body: "x", code: CodeEntityTooLarge},
		{declared: 10, body: "short", code: CodeIncompleteBody},
		{declared: 3, body: "abc", reserve: func(int64) (func(), bool) { return nil, false }, code: CodeSlowDown},
	} {
		if _, err := put(tt.declared, tt.body, tt.reserve); err == nil {
			t.Errorf("declared %d, body %q: no error, want %s", tt.declared, tt.body, tt.code)
		} else if code, _, _ := ErrorCode(err); code != tt.code {
			t.Errorf("declared %d, body %q: %v, want %s", tt.declared, tt.body, err, tt.code)
		}
	}
	charged, released := int64(0), 0
	resp, err := put(3, "abc", func(n int64) (func(), bool) { charged = n; return func() { released++ }, true })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Head(ctx, "k"); err == nil {
		t.Fatal("the object is visible before Commit")
	}
	if err := resp.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	resp.Abort()
	if obj, err := b.Get(ctx, "k"); err != nil || string(obj.Body) != "abc" || charged != 3 || released != 1 {
		t.Errorf("after Commit: %v %v; charged %d, released %d times", obj, err, charged, released)
	}
}

// An object replaced between GetObject's Head and its Open is not
// answered with the old object's length and ETag over the new bytes.
func TestOpenRange_ObjectReplaced(t *testing.T) {
	ctx := context.Background()
	b, _ := mem.New().Bucket("race")
	if err := b.Create(ctx); err != nil {
		t.Fatal(err)
	}
	put := func(body string) {
		if err := b.Put(ctx, "k", []byte(body), objstore.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	put("first")
	info, err := b.Head(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := openRange(ctx, b, "k", info, byteRange{off: 1, n: 3})
	if err != nil {
		t.Fatalf("unchanged object: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "irs" {
		t.Errorf("range of the unchanged object = %q, want %q", got, "irs")
	}
	put("second, longer")
	if _, err := openRange(ctx, b, "k", info, byteRange{off: 0, n: info.Size}); !errors.Is(err, errObjectChanged) {
		t.Errorf("replaced object: err = %v, want errObjectChanged", err)
	}
}
