package s3api

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/deploytrail/deploytrail/internal/checksum"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// FuzzRequest feeds the request parsing arbitrary methods, paths,
// queries, hosts, headers and XML bodies: routing either fails with an S3
// error or names a valid bucket and key; the XML decoders and the Range
// and checksum parsers never panic and keep their bounds.
func FuzzRequest(f *testing.F) {
	f.Add("PUT", "/bucket/key?x=1", "bucket.s3.example", "bytes=0-1", []byte(`<Delete><Object><Key>a</Key></Object></Delete>`))
	f.Add("GET", "/b-1/a/b/c?list-type=2&delimiter=/", "127.0.0.1:4590", "bytes=-5", []byte(`<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`))
	f.Add("POST", "/bucket?delete", "s3.example", "bytes=5-", []byte(`<Delete><Quiet>true</Quiet></Delete><x/>`))
	f.Add("DELETE", "/bucket/../etc?uploadId=1", "", "", []byte("<Delete><Object><Key>\x00</Key>"))
	f.Add("POST", "/bucket/key?uploadId=u", "", "", []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part></CompleteMultipartUpload>`))
	f.Add("PUT", "/bucket?lifecycle", "", "", []byte(`<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix>AWSLogs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule></LifecycleConfiguration>`))
	f.Fuzz(func(t *testing.T, method, rawURL, host, header string, body []byte) {
		u, err := url.ParseRequestURI(rawURL)
		if err != nil {
			return
		}
		r := &http.Request{Method: method, URL: u, Host: host, Header: http.Header{"Range": {header}, "X-Amz-Copy-Source": {header},
			"Content-Md5": {header}, "X-Amz-Checksum-Crc32": {header}}}
		if tgt, err := Route(r, "s3.example"); err == nil {
			checkTarget(t, tgt)
		} else if code, _, _ := ErrorCode(err); code == CodeInternalError {
			t.Fatalf("Route(%s %q) failed internally: %v", method, rawURL, err)
		}
		var del deleteRequest
		if decodeXML(body, &del) == nil && len(body) > MaxXMLBytes {
			t.Fatalf("decoded a body of %d bytes", len(body))
		}
		var conf createBucketConfiguration
		decodeXML(body, &conf)
		var complete completeRequest
		decodeXML(body, &complete)
		var rules lifecycleXML
		if decodeXML(body, &rules) == nil {
			rules.configuration() // S3's lifecycle XML to our rules, checked
		}
		if rng, ok, err := parseRange(header, int64(len(body))); ok && err == nil && (rng.off < 0 || rng.n <= 0 || rng.off+rng.n > int64(len(body))) {
			t.Fatalf("range %q of %d bytes: %+v", header, len(body), rng)
		}
		parseCopySource(header)
		checksum.FromHeaders(r.Header)
	})
}

func checkTarget(t *testing.T, tgt *Target) {
	if tgt.Op == nil {
		t.Fatalf("routed without an operation: %+v", tgt)
	}
	if tgt.Bucket != "" && objstore.ValidateBucketName(tgt.Bucket) != nil {
		t.Fatalf("routed an invalid bucket %q", tgt.Bucket)
	}
	if tgt.Key != "" && objstore.ValidateKey(tgt.Key) != nil {
		t.Fatalf("routed an invalid key %q", tgt.Key)
	}
	if (tgt.Op.On == OnObject) != (tgt.Key != "") {
		t.Fatalf("%s routed with key %q", tgt.Op.Name, tgt.Key)
	}
}
