package sigv4

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/deploytrail/deploytrail/internal/checksum"
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

// benchmarkBody measures decoding body (of size payload bytes) in mode,
// with the reads io.Copy makes.
func benchmarkBody(b *testing.B, payload string, body []byte, size int, h http.Header) {
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		chain := docChain()
		if payload == StreamingUnsignedTrailer {
			chain = nil
		}
		r, err := newBody(bytes.NewReader(body), h, payload, chain)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); err != nil || n != int64(size) {
			b.Fatalf("Copy=%d, %v", n, err)
		}
	}
}

func BenchmarkBody(b *testing.B) {
	const size = 64 << 20
	data := payloadData(size)
	crc := checksum.CRC32.New()
	crc.Write(data)
	trailer := "x-amz-checksum-crc32:" + checksum.Encode(crc.Sum(nil))
	withTrailer := http.Header{"X-Amz-Trailer": {"x-amz-checksum-crc32"}, "X-Amz-Decoded-Content-Length": {strconv.Itoa(size)}}
	b.Run("PlainSHA256", func(b *testing.B) {
		benchmarkBody(b, hashHex(data), data, size, http.Header{})
	})
	b.Run("UnsignedOneChunkCRC32", func(b *testing.B) {
		body := (&encoder{}).chunks(b, data, size).trailer(trailer).bytes()
		benchmarkBody(b, StreamingUnsignedTrailer, body, size, withTrailer)
	})
	b.Run("Signed64KiBChunks", func(b *testing.B) {
		body := newEncoder(b, docChain().prev, docTime).chunks(b, data, 64<<10).end().bytes()
		benchmarkBody(b, StreamingSigned, body, size, http.Header{"X-Amz-Decoded-Content-Length": {strconv.Itoa(size)}})
	})
}
