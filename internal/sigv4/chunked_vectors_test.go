package sigv4

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// docTime is the time of the examples in the S3 documentation.
var docTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

// docRequest builds the PUT of the S3 documentation's chunked upload
// examples ("Signature Calculations for the Authorization Header:
// Transferring Payload in Multiple Chunks" and "Signature calculations for
// trailing headers"): 65 KiB of 'a' in chunks of 64 KiB and 1 KiB.
func docRequest(tb testing.TB, payload, signedHeaders, seed string, sigs [3]string, trailer string, header http.Header) *http.Request {
	tb.Helper()
	var body bytes.Buffer
	for i, n := range []int{65536, 1024, 0} {
		fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n", n, sigs[i])
		if n > 0 {
			body.WriteString(strings.Repeat("a", n) + "\r\n")
		}
	}
	body.WriteString(trailer + "\r\n")
	h := http.Header{
		"Content-Encoding":             {"aws-chunked"},
		"X-Amz-Content-Sha256":         {payload},
		"X-Amz-Date":                   {"20130524T000000Z"},
		"X-Amz-Decoded-Content-Length": {"66560"},
		"X-Amz-Storage-Class":          {"REDUCED_REDUNDANCY"},
		"Authorization": {"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
			"SignedHeaders=" + signedHeaders + ",Signature=" + seed},
	}
	for k, v := range header {
		h[k] = v
	}
	cr := newClientRequest(tb, request{method: "PUT", url: "http://s3.amazonaws.com/examplebucket/chunkObject.txt", header: h, body: body.String()})
	return serverRequest(tb, cr)
}

func TestVerifyStream_AWSExampleSignedChunks(t *testing.T) {
	r := docRequest(t, StreamingSigned,
		"content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
		"4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
		[3]string{
			"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
			"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
			"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
		}, "", nil)
	if r.ContentLength != 66824 {
		t.Fatalf("Content-Length=%d, the documentation says 66824", r.ContentLength)
	}
	got, b := readDoc(t, r)
	if !bytes.Equal(got, bytes.Repeat([]byte("a"), 66560)) || b.DecodedLength() != 66560 {
		t.Fatalf("decoded %d bytes (length %d), want 66560 of 'a'", len(got), b.DecodedLength())
	}
	if b.Trailer() != nil {
		t.Fatalf("Trailer=%v, want none", b.Trailer())
	}
}

func TestVerifyStream_AWSExampleSignedTrailer(t *testing.T) {
	r := docRequest(t, StreamingSignedTrailer,
		"content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
		"106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
		[3]string{
			"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
			"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
			"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
		},
		"x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n",
		http.Header{"X-Amz-Trailer": {"x-amz-checksum-crc32c"}})
	got, b := readDoc(t, r)
	if len(got) != 66560 {
		t.Fatalf("decoded %d bytes, want 66560", len(got))
	}
	if v := b.Trailer().Get("x-amz-checksum-crc32c"); v != "sOO8/Q==" {
		t.Fatalf("Trailer=%v, want x-amz-checksum-crc32c sOO8/Q==", b.Trailer())
	}
}

func readDoc(t *testing.T, r *http.Request) ([]byte, *Body) {
	t.Helper()
	got, b, err := readStreamAt(t, r, docTime)
	if err != nil {
		t.Fatalf("read=%v, want the documented seed and chunk signatures to verify", err)
	}
	return got, b
}
