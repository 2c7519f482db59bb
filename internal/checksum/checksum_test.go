package checksum

import (
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestAlgorithms_CheckValues checks each algorithm against the published
// check value for "123456789" (the CRC catalogue's "check" column) or the
// FIPS test vector for "abc".
func TestAlgorithms_CheckValues(t *testing.T) {
	tests := []struct {
		alg   Algorithm
		input string
		want  string
	}{
		{CRC32, "123456789", "cbf43926"},
		{CRC32C, "123456789", "e3069283"},
		{CRC64NVME, "123456789", "ae8b14860a799888"},
		{SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{MD5, "abc", "900150983cd24fb0d6963f7d28e17f72"},
	}
	for _, tt := range tests {
		t.Run(string(tt.alg), func(t *testing.T) {
			h := tt.alg.New()
			h.Write([]byte(tt.input))
			if got := hex.EncodeToString(h.Sum(nil)); got != tt.want {
				t.Fatalf("%s(%q)=%s, want %s", tt.alg, tt.input, got, tt.want)
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name string
		alg  Algorithm
		ok   bool
	}{
		{"x-amz-checksum-crc32", CRC32, true},
		{"X-Amz-Checksum-Crc32c", CRC32C, true},
		{"x-amz-checksum-crc64nvme", CRC64NVME, true},
		{"x-amz-checksum-sha1", SHA1, true},
		{"x-amz-checksum-SHA256", SHA256, true},
		{"x-amz-checksum-md5", "", false},
		{"x-amz-checksum-", "", false},
		{"content-md5", "", false},
	}
	for _, tt := range tests {
		if a, ok := ParseHeader(tt.name); a != tt.alg || ok != tt.ok {
			t.Errorf("ParseHeader(%q)=%q,%v, want %q,%v", tt.name, a, ok, tt.alg, tt.ok)
		}
	}
	if got := CRC64NVME.Header(); got != "x-amz-checksum-crc64nvme" {
		t.Errorf("Header=%q", got)
	}
}

func codeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// TestFromHeaders_Refusals checks that malformed claims fail before any of
// the body is read, with S3's codes.
func TestFromHeaders_Refusals(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		code   string
	}{
		{"MD5NotBase64", http.Header{"Content-Md5": {"not base64!"}}, CodeInvalidDigest},
		{"MD5WrongLength", http.Header{"Content-Md5": {"AAAA"}}, CodeInvalidDigest},
		{"MD5Twice", http.Header{"Content-Md5": {"kAFQmDzST7DWlj99KOF/cg==", "kAFQmDzST7DWlj99KOF/cg=="}}, CodeInvalidDigest},
		{"CRC32TooLong", http.Header{"X-Amz-Checksum-Crc32": {"AAAAAAA="}}, CodeInvalidRequest},
		{"SHA256Garbage", http.Header{"X-Amz-Checksum-Sha256": {"%%%"}}, CodeInvalidRequest},
		{"Unsupported", http.Header{"X-Amz-Checksum-Md5": {"kAFQmDzST7DWlj99KOF/cg=="}}, CodeInvalidRequest},
		{"Two", http.Header{"X-Amz-Checksum-Crc32": {"NSRBwg=="}, "X-Amz-Checksum-Crc32c": {"Nks/tw=="}}, CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromHeaders(tt.header)
			if got := codeOf(err); got != tt.code {
				t.Fatalf("FromHeaders=%v, want code %s", err, tt.code)
			}
		})
	}
}

// TestReader reads "abc" against claims and checks what S3 would answer.
func TestReader(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		code   string // "" when the body verifies
	}{
		{"None", http.Header{}, ""},
		{"MD5", http.Header{"Content-Md5": {"kAFQmDzST7DWlj99KOF/cg=="}}, ""},
		{"CRC32", http.Header{"X-Amz-Checksum-Crc32": {"NSRBwg=="}}, ""},
		{"MD5AndCRC32", http.Header{"Content-Md5": {"kAFQmDzST7DWlj99KOF/cg=="}, "X-Amz-Checksum-Crc32": {"NSRBwg=="}}, ""},
		{"MD5Wrong", http.Header{"Content-Md5": {"1B2M2Y8AsgTpgAmY7PhCfg=="}}, CodeBadDigest},
		{"CRC32Wrong", http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}}, CodeBadDigest},
		{"TypeHeaderIgnored", http.Header{"X-Amz-Checksum-Type": {"FULL_OBJECT"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := FromHeaders(tt.header)
			if err != nil {
				t.Fatalf("FromHeaders=%v", err)
			}
			r := NewReader(strings.NewReader("abc"), want, MD5)
			got, err := io.ReadAll(r)
			if code := codeOf(err); code != tt.code {
				t.Fatalf("ReadAll error=%v, want code %q", err, tt.code)
			}
			if string(got) != "abc" {
				t.Fatalf("ReadAll=%q, want the body", got)
			}
			if _, again := r.Read(make([]byte, 1)); codeOf(again) != tt.code {
				t.Fatalf("Read after the end=%v, want the same outcome", again)
			}
			if md5 := Encode(r.Sum(MD5)); md5 != "kAFQmDzST7DWlj99KOF/cg==" {
				t.Fatalf("Sum(MD5)=%s, want MD5 of the body", md5)
			}
			if r.Sum(SHA1) != nil {
				t.Fatalf("Sum(SHA1)!=nil for an algorithm not computed")
			}
		})
	}
}

// TestReader_Mismatch_Message checks S3's wording, which clients show.
func TestReader_Mismatch_Message(t *testing.T) {
	want, _ := FromHeaders(http.Header{"X-Amz-Checksum-Crc32c": {"AAAAAA=="}})
	_, err := io.ReadAll(NewReader(strings.NewReader("abc"), want))
	var e *Error
	if !errors.As(err, &e) || e.Message != "The CRC32C you specified did not match the calculated checksum." {
		t.Fatalf("error=%v, want S3's BadDigest message", err)
	}
}
