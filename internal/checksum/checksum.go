package checksum

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"
)

// Algorithm is a checksum S3 accepts for an object body.
type Algorithm string

// The algorithms, named as in x-amz-checksum-algorithm and
// x-amz-sdk-checksum-algorithm. MD5 is Content-MD5's.
const (
	CRC32     Algorithm = "CRC32"
	CRC32C    Algorithm = "CRC32C"
	CRC64NVME Algorithm = "CRC64NVME"
	SHA1      Algorithm = "SHA1"
	SHA256    Algorithm = "SHA256"
	MD5       Algorithm = "MD5"
)

// headerPrefix starts every x-amz-checksum-<algorithm> header.
const headerPrefix = "x-amz-checksum-"

// Flexible lists the x-amz-checksum-* algorithms, in the order S3 documents
// them.
var Flexible = []Algorithm{CRC32, CRC32C, CRC64NVME, SHA1, SHA256}

// crc64NVMEPoly is the CRC-64/NVME polynomial 0xad93d23594c93659 bit-reversed,
// the form hash/crc64 expects (crc64.ISO and crc64.ECMA are given the same
// way). aws-sdk-go-v2 and the AWS CRT use the same constant.
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	nvme       = crc64.MakeTable(crc64NVMEPoly)
)

// New returns a fresh hash for a. It panics on an algorithm not listed above,
// which only a programming error can produce: inputs go through [ParseHeader]
// or [ParseAlgorithm] first.
func (a Algorithm) New() hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(castagnoli)
	case CRC64NVME:
		return crc64.New(nvme)
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	case MD5:
		return md5.New()
	}
	panic("checksum: unknown algorithm " + string(a))
}

// Size is the length of a's digest in bytes.
func (a Algorithm) Size() int { return a.New().Size() }

// Header is the request and response header that carries a's value:
// x-amz-checksum-crc32 and so on, or Content-MD5.
func (a Algorithm) Header() string {
	if a == MD5 {
		return "Content-MD5"
	}
	return headerPrefix + strings.ToLower(string(a))
}

// ParseAlgorithm reads an algorithm name as in x-amz-sdk-checksum-algorithm,
// in any case. MD5 is not one of them.
func ParseAlgorithm(name string) (Algorithm, bool) {
	for _, a := range Flexible {
		if strings.EqualFold(name, string(a)) {
			return a, true
		}
	}
	return "", false
}

// ParseHeader returns the algorithm whose value a header (or an aws-chunked
// trailer) named name carries, for x-amz-checksum-<algorithm> in any case.
func ParseHeader(name string) (Algorithm, bool) {
	rest, ok := cutPrefixFold(name, headerPrefix)
	if !ok {
		return "", false
	}
	return ParseAlgorithm(rest)
}

// IsChecksumHeader reports whether name starts with x-amz-checksum-, so that
// an unsupported algorithm's header is refused rather than ignored.
// x-amz-checksum-type and x-amz-checksum-algorithm are not checksums.
func IsChecksumHeader(name string) bool {
	rest, ok := cutPrefixFold(name, headerPrefix)
	return ok && !strings.EqualFold(rest, "type") && !strings.EqualFold(rest, "algorithm")
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}
