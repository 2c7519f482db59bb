package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/deploytrail/deploytrail/internal/checksum"
)

// fuzzPayloads are the aws-chunked forms FuzzChunkedReader picks from.
var fuzzPayloads = []string{StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer}

// docChain is the signature chain of the S3 documentation's example.
func docChain() *chunkChain {
	return &chunkChain{
		key:   signingKey(testCreds.SecretAccessKey, Scope{Date: "20130524", Region: "us-east-1", Service: "s3"}),
		date:  "20130524T000000Z",
		scope: "20130524/us-east-1/s3/aws4_request",
		prev:  "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
	}
}

// fuzzSeeds are small valid bodies in each mode (signed ones chained from
// docChain) and a few broken ones, so that mutations start from every
// state of the decoder.
func fuzzSeeds(f *testing.F) {
	data := []byte("hello, chunks")
	crc := checksum.CRC32C.New()
	crc.Write(data)
	line := "x-amz-checksum-crc32c:" + checksum.Encode(crc.Sum(nil))
	seed := docChain().prev
	n := int64(len(data))
	f.Add(uint8(0), n, newEncoder(f, seed, docTime).chunks(f, data, 8192).end().bytes())
	f.Add(uint8(1), n, newEncoder(f, seed, docTime).chunks(f, data, 8192).trailer(line).bytes())
	f.Add(uint8(2), n, (&encoder{}).chunks(f, data, 8192).trailer(line).bytes())
	f.Add(uint8(2), int64(-1), (&encoder{}).chunks(f, data, 5).trailer(line).bytes())
	f.Add(uint8(0), int64(-1), newEncoder(f, seed, docTime).chunks(f, data, 8192).bytes()[:40])
	f.Add(uint8(2), int64(-1), []byte("fffffffffffffff\r\n"))
}

// FuzzChunkedReader feeds arbitrary bodies to the decoder in each mode. It
// must never panic or loop, fail only with the documented errors, return
// no more data than the body holds or x-amz-decoded-content-length allows,
// and succeed only with exactly the declared length and a bounded trailer.
func FuzzChunkedReader(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, mode uint8, decoded int64, body []byte) {
		payload := fuzzPayloads[int(mode)%len(fuzzPayloads)]
		h := http.Header{}
		if decoded >= 0 {
			h.Set("X-Amz-Decoded-Content-Length", strconv.FormatInt(decoded, 10))
		}
		if payload != StreamingSigned {
			h.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
		}
		var chain *chunkChain
		if payload != StreamingUnsignedTrailer {
			chain = docChain()
		}
		c, err := newChunkedReader(bytes.NewReader(body), h, payload, chain)
		if err != nil {
			if KindOf(err) != KindInvalidRequest {
				t.Fatalf("newChunkedReader=%v, want KindInvalidRequest", err)
			}
			return
		}
		out, err := readSmall(c, len(body))
		checkFuzzOutcome(t, c, err, len(out), len(body), decoded)
	})
}

// readSmall reads in 7-byte steps, as a slow consumer would, failing on
// more reads than the body could justify.
func readSmall(r io.Reader, size int) ([]byte, error) {
	var out []byte
	buf := make([]byte, 7)
	for range size + 16 {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return out, err
		}
	}
	return out, errors.New("the reader made no progress")
}

func checkFuzzOutcome(t *testing.T, c *chunkedReader, err error, got, size int, decoded int64) {
	t.Helper()
	if got > size || decoded >= 0 && int64(got) > decoded {
		t.Fatalf("returned %d bytes from a body of %d, decoded length %d", got, size, decoded)
	}
	var ce *checksum.Error
	switch k := KindOf(err); {
	case err == io.EOF:
		if decoded >= 0 && int64(got) != decoded {
			t.Fatalf("EOF after %d bytes, declared %d", got, decoded)
		}
		if n := trailerSize(c.trailer); n > maxTrailerBytes {
			t.Fatalf("accepted a trailer of %d bytes", n)
		}
	case errors.As(err, &ce):
	case k == KindMismatch, k == KindIncompleteBody, k == KindMalformedChunk, k == KindInvalidRequest,
		k == KindInvalidChunkSize, k == KindMalformedTrailer:
	default:
		t.Fatalf("Read error=%v, not a documented failure", err)
	}
}

func trailerSize(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v)
		}
	}
	return n
}
