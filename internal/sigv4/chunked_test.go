package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/checksum"
)

// payloadData is a body that is not periodic, so a misplaced byte shows.
func payloadData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func chunkedHeader(decoded int, extra ...string) http.Header {
	h := http.Header{"Content-Encoding": {"aws-chunked"}}
	if decoded >= 0 {
		h.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(decoded))
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	return h
}

// TestVerifyStream_SDKSignedChunks signs the request with aws-sdk-go-v2's
// signer and each chunk with its StreamSigner, in chunk sizes clients use.
func TestVerifyStream_SDKSignedChunks(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		chunk     int
		noDecoded bool
	}{
		{"Empty", 0, 65536, false},
		{"OneByte", 1, 65536, false},
		{"GoSDK64KiB", 200000, 64 << 10, false},
		{"Java128KiB", 300000, 128 << 10, false},
		{"Botocore1MiB", 2<<20 + 5, 1 << 20, false},
		{"WithoutDecodedLength", 70000, 8 << 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := payloadData(tt.size)
			decoded := tt.size
			if tt.noDecoded {
				decoded = -1
			}
			r := streamRequest(t, StreamingSigned, chunkedHeader(decoded), func(seed string) []byte {
				return newEncoder(t, seed, testTime).chunks(t, data, tt.chunk).end().bytes()
			})
			got, b, err := readStream(t, r)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read %d bytes, err %v; want %d bytes and nil", len(got), err, len(data))
			}
			if b.DecodedLength() != int64(decoded) || !b.Chunked() {
				t.Fatalf("DecodedLength=%d Chunked=%v, want %d true", b.DecodedLength(), b.Chunked(), decoded)
			}
		})
	}
}

// TestVerifyStream_SignedTrailer checks a signed upload with a checksum
// trailer for each algorithm.
func TestVerifyStream_SignedTrailer(t *testing.T) {
	data := payloadData(100000)
	for _, a := range checksum.Flexible {
		t.Run(string(a), func(t *testing.T) {
			h := a.New()
			h.Write(data)
			value := checksum.Encode(h.Sum(nil))
			r := streamRequest(t, StreamingSignedTrailer, chunkedHeader(len(data), "X-Amz-Trailer", a.Header()), func(seed string) []byte {
				return newEncoder(t, seed, testTime).chunks(t, data, 64<<10).trailer(a.Header() + ":" + value).bytes()
			})
			got, b, err := readStream(t, r)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read %d bytes, err %v; want the body", len(got), err)
			}
			if b.Trailer().Get(a.Header()) != value {
				t.Fatalf("Trailer=%v, want %s: %s", b.Trailer(), a.Header(), value)
			}
		})
	}
}

// wantKind checks err's Kind, or for a checksum failure its S3 code.
func wantKind(t *testing.T, err error, kind Kind, code string) {
	t.Helper()
	if code != "" {
		var ce *checksum.Error
		if !errors.As(err, &ce) || ce.Code != code {
			t.Fatalf("error=%v, want checksum code %s", err, code)
		}
		return
	}
	if got := KindOf(err); got != kind {
		t.Fatalf("error=%v (Kind %v), want Kind %v", err, got, kind)
	}
}

// TestVerifyStream_Malformed changes one thing about a signed aws-chunked
// upload of 3 chunks and checks the failure's Kind.
func TestVerifyStream_Malformed(t *testing.T) {
	data := payloadData(20000) // chunks of 8 KiB: 8192, 8192, 3616
	crc := checksum.CRC32.New()
	crc.Write(data)
	goodCRC := "x-amz-checksum-crc32:" + checksum.Encode(crc.Sum(nil))
	signed := func(e *encoder) *encoder { return e.chunks(t, data, 8192) }
	tests := []struct {
		name    string
		payload string
		header  http.Header
		body    func(seed string) []byte
		kind    Kind
		code    string
	}{
		{"BadSignatureInChunk2", StreamingSigned, chunkedHeader(len(data)), func(seed string) []byte {
			b := newEncoder(t, seed, testTime).chunks(t, data, 8192).end().bytes()
			i := bytes.Index(b[8192:], []byte("chunk-signature=")) + 8192 + len("chunk-signature=")
			b[i] ^= 1
			return b
		}, KindMismatch, ""},
		{"DataChangedInChunk2", StreamingSigned, chunkedHeader(len(data)), func(seed string) []byte {
			b := newEncoder(t, seed, testTime).chunks(t, data, 8192).end().bytes()
			b[len(b)/2] ^= 1
			return b
		}, KindMismatch, ""},
		{"ChunksSwapped", StreamingSigned, chunkedHeader(16384), func(seed string) []byte {
			e := newEncoder(t, seed, testTime)
			first := string(e.chunk(t, data[:8192]).bytes())
			e.buf.Reset()
			second := string(e.chunk(t, data[8192:16384]).bytes())
			e.buf.Reset()
			return []byte(second + first + string(e.chunk(t, nil).end().bytes()))
		}, KindMismatch, ""},
		{"WrongSeed", StreamingSigned, chunkedHeader(len(data)), func(string) []byte {
			return signed(newEncoder(t, strings.Repeat("0", 64), testTime)).end().bytes()
		}, KindMismatch, ""},
		{"LyingLengthShort", StreamingSigned, chunkedHeader(len(data)), func(seed string) []byte {
			b := newEncoder(t, seed, testTime).chunks(t, data, 8192).end().bytes()
			return bytes.Replace(b, []byte("2000;"), []byte("1fff;"), 1)
		}, KindMalformedChunk, ""},
		{"LyingLengthLong", StreamingSigned, chunkedHeader(-1), func(seed string) []byte {
			b := newEncoder(t, seed, testTime).chunks(t, data, 8192).end().bytes()
			return bytes.Replace(b, []byte("2000;"), []byte("2001;"), 1)
		}, KindMalformedChunk, ""},
		{"DecodedLengthLarger", StreamingSigned, chunkedHeader(len(data) + 1), func(seed string) []byte {
			return signed(newEncoder(t, seed, testTime)).end().bytes()
		}, KindIncompleteBody, ""},
		{"DecodedLengthSmaller", StreamingSigned, chunkedHeader(len(data) - 1), func(seed string) []byte {
			return signed(newEncoder(t, seed, testTime)).end().bytes()
		}, KindIncompleteBody, ""},
		{"TruncatedInData", StreamingSigned, chunkedHeader(len(data)), func(seed string) []byte {
			return signed(newEncoder(t, seed, testTime)).end().bytes()[:10000]
		}, KindIncompleteBody, ""},
		{"TruncatedInHeader", StreamingSigned, chunkedHeader(len(data)), func(seed string) []byte {
			b := signed(newEncoder(t, seed, testTime)).end().bytes()
			return b[:bytes.Index(b, []byte("\r\n"))]
		}, KindIncompleteBody, ""},
		{"MissingFinalChunk", StreamingSigned, chunkedHeader(len(data)), func(seed string) []byte {
			e := newEncoder(t, seed, testTime)
			for i := 0; i < len(data); i += 8192 {
				e.chunk(t, data[i:min(i+8192, len(data))])
			}
			return e.bytes()
		}, KindIncompleteBody, ""},
		{"MissingFinalCRLF", StreamingSigned, chunkedHeader(len(data)), func(seed string) []byte {
			b := signed(newEncoder(t, seed, testTime)).end().bytes()
			return b[:len(b)-2]
		}, KindIncompleteBody, ""},
		{"ExtraBytes", StreamingSigned, chunkedHeader(len(data)), func(seed string) []byte {
			return append(signed(newEncoder(t, seed, testTime)).end().bytes(), 'x')
		}, KindMalformedChunk, ""},
		{"OversizedHeaderLine", StreamingSigned, chunkedHeader(len(data)), func(seed string) []byte {
			return []byte("2000;chunk-signature=" + strings.Repeat("a", 5000) + "\r\n")
		}, KindMalformedChunk, ""},
		{"SizeNotHex", StreamingSigned, chunkedHeader(len(data)), func(string) []byte {
			return []byte("zz;chunk-signature=" + strings.Repeat("a", 64) + "\r\n")
		}, KindMalformedChunk, ""},
		{"SizeOverflow", StreamingSigned, chunkedHeader(-1), func(string) []byte {
			return []byte("fffffffffffffffff;chunk-signature=" + strings.Repeat("a", 64) + "\r\n")
		}, KindMalformedChunk, ""},
		{"SizeAboveMaxPayload", StreamingSigned, chunkedHeader(-1), func(string) []byte {
			return []byte("140000001;chunk-signature=" + strings.Repeat("a", 64) + "\r\n")
		}, KindMalformedChunk, ""},
		{"SmallChunkNotLast", StreamingSigned, chunkedHeader(len(data)), func(seed string) []byte {
			return newEncoder(t, seed, testTime).chunks(t, data, 8191).end().bytes()
		}, KindInvalidChunkSize, ""},
		{"NoChunkSignature", StreamingSigned, chunkedHeader(len(data)), func(string) []byte {
			return []byte("2000\r\n")
		}, KindMalformedChunk, ""},
		{"BareLF", StreamingSigned, chunkedHeader(len(data)), func(seed string) []byte {
			b := signed(newEncoder(t, seed, testTime)).end().bytes()
			return bytes.Replace(b, []byte("\r\n"), []byte("\n"), 1)
		}, KindMalformedChunk, ""},
		{"TrailerWithoutTrailerPayload", StreamingSigned, chunkedHeader(len(data)), func(seed string) []byte {
			b := signed(newEncoder(t, seed, testTime)).bytes()
			return append(b, goodCRC+"\r\n\r\n"...)
		}, KindMalformedTrailer, ""},
		{"BadTrailerChecksum", StreamingSignedTrailer, chunkedHeader(len(data), "X-Amz-Trailer", "x-amz-checksum-crc32"), func(seed string) []byte {
			return signed(newEncoder(t, seed, testTime)).trailer("x-amz-checksum-crc32:AAAAAA==").bytes()
		}, 0, checksum.CodeBadDigest},
		{"MalformedTrailerChecksum", StreamingSignedTrailer, chunkedHeader(len(data), "X-Amz-Trailer", "x-amz-checksum-crc32"), func(seed string) []byte {
			return signed(newEncoder(t, seed, testTime)).trailer("x-amz-checksum-crc32:AAAA").bytes()
		}, 0, checksum.CodeInvalidRequest},
		{"BadTrailerSignature", StreamingSignedTrailer, chunkedHeader(len(data), "X-Amz-Trailer", "x-amz-checksum-crc32"), func(seed string) []byte {
			b := signed(newEncoder(t, seed, testTime)).trailer(goodCRC).bytes()
			return bytes.Replace(b, []byte(goodCRC), []byte(strings.ToUpper(goodCRC[:20])+goodCRC[20:]), 1)
		}, KindMismatch, ""},
		{"TrailerSignatureMissing", StreamingSignedTrailer, chunkedHeader(len(data), "X-Amz-Trailer", "x-amz-checksum-crc32"), func(seed string) []byte {
			return append(signed(newEncoder(t, seed, testTime)).bytes(), goodCRC+"\r\n\r\n"...)
		}, KindMalformedTrailer, ""},
		{"TrailerMissing", StreamingSignedTrailer, chunkedHeader(len(data), "X-Amz-Trailer", "x-amz-checksum-crc32"), func(seed string) []byte {
			return signed(newEncoder(t, seed, testTime)).trailer().bytes()
		}, KindIncompleteBody, ""},
		{"TrailerNotAnnounced", StreamingSignedTrailer, chunkedHeader(len(data)), func(seed string) []byte {
			return signed(newEncoder(t, seed, testTime)).trailer(goodCRC).bytes()
		}, KindInvalidRequest, ""},
		{"TooManyTrailerLines", StreamingSignedTrailer, chunkedHeader(len(data), "X-Amz-Trailer", "x-amz-checksum-crc32"), func(seed string) []byte {
			lines := make([]string, 11)
			for i := range lines {
				lines[i] = goodCRC
			}
			return signed(newEncoder(t, seed, testTime)).trailer(lines...).bytes()
		}, KindMalformedTrailer, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := streamRequest(t, tt.payload, tt.header, tt.body)
			got, _, err := readStream(t, r)
			wantKind(t, err, tt.kind, tt.code)
			if len(got) > len(data) {
				t.Fatalf("returned %d bytes, more than the %d sent", len(got), len(data))
			}
		})
	}
}

// TestVerifyStream_ErrorIsSticky checks that a reader that failed keeps
// failing rather than resuming mid-stream.
func TestVerifyStream_ErrorIsSticky(t *testing.T) {
	data := payloadData(20000)
	r := streamRequest(t, StreamingSigned, chunkedHeader(len(data)), func(seed string) []byte {
		b := newEncoder(t, seed, testTime).chunks(t, data, 8192).end().bytes()
		b[100] ^= 1
		return b
	})
	_, b, err := readStream(t, r)
	if KindOf(err) != KindMismatch {
		t.Fatalf("ReadAll=%v, want a mismatch", err)
	}
	if n, again := b.Read(make([]byte, 10)); n != 0 || KindOf(again) != KindMismatch {
		t.Fatalf("Read after failure=%d, %v; want 0 and the same error", n, again)
	}
	if b.Trailer() != nil {
		t.Fatalf("Trailer after failure=%v, want nil", b.Trailer())
	}
}

// TestVerifyStream_UnsignedTrailer decodes the unsigned form botocore and
// the SDKs send over HTTPS.
func TestVerifyStream_UnsignedTrailer(t *testing.T) {
	data := payloadData(3 << 20)
	crc := checksum.CRC32C.New()
	crc.Write(data)
	line := "x-amz-checksum-crc32c:" + checksum.Encode(crc.Sum(nil))
	unsigned := func(chunk int) []byte {
		e := &encoder{}
		return e.chunks(t, data, chunk).trailer(line).bytes()
	}
	header := chunkedHeader(len(data), "X-Amz-Trailer", "x-amz-checksum-crc32c")
	for _, chunk := range []int{1 << 20, len(data)} {
		r := streamRequest(t, StreamingUnsignedTrailer, header, func(string) []byte { return unsigned(chunk) })
		got, b, err := readStream(t, r)
		if err != nil || !bytes.Equal(got, data) || b.Trailer().Get("x-amz-checksum-crc32c") == "" {
			t.Fatalf("chunk %d: read %d bytes, err %v, trailer %v", chunk, len(got), err, b.Trailer())
		}
	}
	r := streamRequest(t, StreamingUnsignedTrailer, header, func(string) []byte {
		return unsigned(1 << 20)[:100]
	})
	if _, _, err := readStream(t, r); KindOf(err) != KindIncompleteBody {
		t.Fatalf("truncated: %v, want %v", err, KindIncompleteBody)
	}
	r = streamRequest(t, StreamingUnsignedTrailer, header, func(string) []byte {
		return (&encoder{}).chunks(t, data, 1000).trailer(line).bytes()
	})
	if _, _, err := readStream(t, r); KindOf(err) != KindInvalidChunkSize {
		t.Fatalf("1000-byte chunks: %v, want %v", err, KindInvalidChunkSize)
	}
	r = streamRequest(t, StreamingUnsignedTrailer, header, func(string) []byte {
		return append([]byte("10;chunk-signature="+strings.Repeat("a", 64)+"\r\n"), unsigned(1<<20)...)
	})
	if _, _, err := readStream(t, r); KindOf(err) != KindMalformedChunk {
		t.Fatalf("signature on an unsigned chunk: %v, want %v", err, KindMalformedChunk)
	}
}

// TestVerifyStream_Refusals checks the headers that make a request fail
// before its body is read.
func TestVerifyStream_Refusals(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		header  http.Header
		kind    Kind
	}{
		{"UnknownPayloadHash", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", chunkedHeader(1), KindInvalidRequest},
		{"UpperCaseHex", strings.Repeat("A", 64), nil, KindInvalidRequest},
		{"DecodedLengthNegative", StreamingSigned, chunkedHeader(-1, "X-Amz-Decoded-Content-Length", "-1"), KindInvalidRequest},
		{"DecodedLengthHuge", StreamingSigned, chunkedHeader(-1, "X-Amz-Decoded-Content-Length", "5368709121"), KindInvalidRequest},
		{"TrailerWithoutTrailerPayload", StreamingSigned, chunkedHeader(1, "X-Amz-Trailer", "x-amz-checksum-crc32"), KindInvalidRequest},
		{"TrailerUnsupported", StreamingUnsignedTrailer, chunkedHeader(1, "X-Amz-Trailer", "x-amz-checksum-md5"), KindInvalidRequest},
		{"TwoTrailers", StreamingUnsignedTrailer, chunkedHeader(1, "X-Amz-Trailer", "x-amz-checksum-crc32,x-amz-checksum-sha1"), KindInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := streamRequest(t, tt.payload, tt.header, func(string) []byte { return nil })
			sig, err := Parse(r)
			if err != nil {
				t.Fatalf("Parse=%v", err)
			}
			_, err = sig.VerifyStream(r, testCreds.SecretAccessKey, testTime)
			wantKind(t, err, tt.kind, "")
		})
	}
}

// TestVerifyStream_PlainBody checks the non-chunked payload hashes.
func TestVerifyStream_PlainBody(t *testing.T) {
	body := []byte("the object")
	tests := []struct {
		name    string
		payload string
		send    []byte
		kind    Kind // 0: verifies
	}{
		{"Hash", hashHex(body), body, 0},
		{"HashOfEmpty", hashHex(nil), nil, 0},
		{"HashMismatch", hashHex(body), []byte("another object"), KindPayloadMismatch},
		{"Unsigned", UnsignedPayload, []byte("anything"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := streamRequest(t, tt.payload, nil, func(string) []byte { return tt.send })
			got, b, err := readStream(t, r)
			wantKind(t, err, tt.kind, "")
			if !bytes.Equal(got, tt.send) || b.Chunked() || b.DecodedLength() != -1 {
				t.Fatalf("read %q chunked=%v, want the body as sent", got, b.Chunked())
			}
		})
	}
	r := streamRequest(t, hashHex(body), nil, func(string) []byte { return body })
	r.Header.Del("X-Amz-Content-Sha256")
	sig, _ := Parse(r)
	if _, err := sig.VerifyStream(r, testCreds.SecretAccessKey, testTime); KindOf(err) != KindInvalidRequest {
		t.Fatalf("no x-amz-content-sha256: %v, want %v", err, KindInvalidRequest)
	}
	r = streamRequest(t, hashHex(body), nil, func(string) []byte { return body })
	if _, err := sig.VerifyStream(r, "wrong secret", testTime); KindOf(err) != KindMismatch {
		t.Fatalf("wrong secret: %v, want %v", err, KindMismatch)
	}
	if _, err := sig.VerifyStream(r, testCreds.SecretAccessKey, testTime.Add(MaxSkew+1e9)); KindOf(err) != KindExpired {
		t.Fatalf("late: %v, want %v", err, KindExpired)
	}
}

func TestContentEncoding(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"aws-chunked"}, ""},
		{[]string{"gzip,aws-chunked"}, "gzip"},
		{[]string{"aws-chunked, gzip", "br"}, "gzip,br"},
	}
	for _, tt := range tests {
		if got := ContentEncoding(http.Header{"Content-Encoding": tt.in}); got != tt.want {
			t.Errorf("ContentEncoding(%q)=%q, want %q", tt.in, got, tt.want)
		}
	}
}

var _ io.Reader = (*Body)(nil)
