package s3api

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strings"
)

// crc64NVME is the CRC-64/NVME polynomial (reflected), the newest
// checksum S3 offers; Go's crc64 applies the initial and final inversion
// it specifies.
const crc64NVME = 0x9a6c9329ac4bc9b5

// checksumAlgorithms are the x-amz-checksum-* algorithms S3 verifies,
// by header suffix, with their names in S3's messages.
var checksumAlgorithms = map[string]struct {
	name string
	new  func() hash.Hash
}{
	"crc32":     {"CRC32", func() hash.Hash { return crc32.NewIEEE() }},
	"crc32c":    {"CRC32C", func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) }},
	"crc64nvme": {"CRC64NVME", func() hash.Hash { return crc64.New(crc64.MakeTable(crc64NVME)) }},
	"sha1":      {"SHA1", sha1.New},
	"sha256":    {"SHA256", sha256.New},
}

// bodyCheck is what a body must hash to: Content-MD5 and at most one
// x-amz-checksum-* header.
type bodyCheck struct {
	md5 []byte
	// alg is the checksum's header suffix ("crc32"), want its value.
	alg  string
	want []byte
	// Header is the checksum header to answer with, e.g.
	// x-amz-checksum-crc32; "" when the request sent none.
	Header, Value string
}

// newBodyCheck reads the digests a request declares: InvalidDigest for a
// Content-MD5 that is not a base64 MD5, InvalidRequest for a checksum
// header that is not its algorithm's size or for several checksums.
func newBodyCheck(h http.Header) (*bodyCheck, error) {
	c := &bodyCheck{}
	if v := h.Values("Content-Md5"); len(v) > 0 {
		sum, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v[0]))
		if err != nil || len(sum) != md5.Size || len(v) > 1 {
			return nil, Errorf(CodeInvalidDigest, "The Content-MD5 you specified was invalid.")
		}
		c.md5 = sum
	}
	for name := range h {
		suffix, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-checksum-")
		if !ok || suffix == "type" || suffix == "mode" || suffix == "algorithm" {
			continue
		}
		alg, known := checksumAlgorithms[suffix]
		if !known {
			return nil, Errorf(CodeInvalidRequest, "The checksum algorithm %s is not supported.", cut(suffix))
		}
		if c.alg != "" {
			return nil, Errorf(CodeInvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		sum, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h.Get(name)))
		if err != nil || len(sum) != alg.new().Size() {
			return nil, Errorf(CodeInvalidRequest, "Value for x-amz-checksum-%s header is invalid.", suffix)
		}
		c.alg, c.want, c.Header, c.Value = suffix, sum, "x-amz-checksum-"+suffix, strings.TrimSpace(h.Get(name))
	}
	return c, nil
}

// declared reports whether the request declares any digest.
func (c *bodyCheck) declared() bool { return c.md5 != nil || c.alg != "" }

// reader wraps body so that reading it to the end fails with BadDigest
// when it does not match what was declared: a body that fails is never
// stored, because Stage (or the buffered Put) reads to the end first.
func (c *bodyCheck) reader(body io.Reader) io.Reader {
	if !c.declared() {
		return body
	}
	v := &verifying{r: body, check: c}
	var ws []io.Writer
	if c.md5 != nil {
		v.md5 = md5.New()
		ws = append(ws, v.md5)
	}
	if c.alg != "" {
		v.sum = checksumAlgorithms[c.alg].new()
		ws = append(ws, v.sum)
	}
	v.w = io.MultiWriter(ws...)
	return v
}

type verifying struct {
	r        io.Reader
	w        io.Writer
	md5, sum hash.Hash
	check    *bodyCheck
}

func (v *verifying) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.w.Write(p[:n])
	if errors.Is(err, io.EOF) {
		if bad := v.mismatch(); bad != nil {
			return n, bad
		}
	}
	return n, err
}

func (v *verifying) mismatch() error {
	if v.md5 != nil && !bytes.Equal(v.md5.Sum(nil), v.check.md5) {
		return Errorf(CodeBadDigest, "The Content-MD5 you specified did not match what we received.")
	}
	if v.sum != nil && !bytes.Equal(v.sum.Sum(nil), v.check.want) {
		return Errorf(CodeBadDigest, "The %s you specified did not match the calculated checksum.", checksumAlgorithms[v.check.alg].name)
	}
	return nil
}
