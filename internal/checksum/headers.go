package checksum

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
)

// Expected is a digest the client claims for the body.
type Expected struct {
	Algorithm Algorithm
	Value     []byte // the raw digest, Algorithm.Size() bytes
}

// ParseValue decodes v, the base64 value of a header or trailer claiming a
// digest of algorithm a. A value that is not the base64 of a digest of a's
// size is S3's InvalidDigest (Content-MD5) or InvalidRequest.
func ParseValue(a Algorithm, v string) (Expected, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(v))
	if err != nil || len(raw) != a.Size() {
		return Expected{}, invalidValue(a)
	}
	return Expected{Algorithm: a, Value: raw}, nil
}

// Check compares sum, the digest computed over the body, with the claim.
func (e Expected) Check(sum []byte) error {
	if !bytes.Equal(sum, e.Value) {
		return mismatch(e.Algorithm)
	}
	return nil
}

// Encode returns sum in the base64 form S3 sends in checksum headers.
func Encode(sum []byte) string {
	return base64.StdEncoding.EncodeToString(sum)
}

// FromHeaders returns the digests h claims: Content-MD5, if present, then
// the x-amz-checksum-* header, of which S3 allows one. It fails, before any
// of the body is read, on a malformed value, an unsupported algorithm or
// a second x-amz-checksum-* header.
func FromHeaders(h http.Header) ([]Expected, error) {
	var out []Expected
	if vs := h.Values("Content-MD5"); len(vs) > 0 {
		if len(vs) > 1 {
			return nil, invalidValue(MD5)
		}
		e, err := ParseValue(MD5, vs[0])
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	flexible, err := flexibleHeader(h)
	if err != nil || flexible == nil {
		return out, err
	}
	return append(out, *flexible), nil
}

// flexibleHeader returns the one x-amz-checksum-* claim in h, or nil.
func flexibleHeader(h http.Header) (*Expected, error) {
	var found *Expected
	for name, vs := range h {
		if !IsChecksumHeader(name) {
			continue
		}
		a, ok := ParseHeader(name)
		if !ok {
			return nil, unsupported()
		}
		if found != nil || len(vs) > 1 {
			return nil, &Error{Code: CodeInvalidRequest,
				Message: "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."}
		}
		e, err := ParseValue(a, vs[0])
		if err != nil {
			return nil, err
		}
		found = &e
	}
	return found, nil
}

// unsupported is S3's answer to an x-amz-checksum-<name> header whose
// algorithm it does not know: refused, not ignored, because the client
// expects the body to be checked.
func unsupported() *Error {
	return &Error{Code: CodeInvalidRequest, Message: "Checksum algorithm provided is unsupported. " +
		"Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"}
}
