package objstore

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// MaxKeyLen is S3's limit on a key's length in bytes.
const MaxKeyLen = 1024

// maxMetadataSize is S3's limit on user metadata: keys plus values, in bytes.
const maxMetadataSize = 2048

// ValidateBucketName checks name against the S3 bucket naming rules: 3–63
// characters of lower-case letters, digits, dots and hyphens, starting and
// ending with a letter or digit, no two adjacent dots, not shaped like an IP
// address, and none of the prefixes and suffixes S3 reserves.
func ValidateBucketName(name string) error {
	if err := bucketNameProblem(name); err != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidBucketName, name, err)
	}
	return nil
}

func bucketNameProblem(name string) string {
	if len(name) < 3 || len(name) > 63 {
		return "must be 3 to 63 characters long"
	}
	for _, c := range []byte(name) {
		if !isLowerAlnum(c) && c != '.' && c != '-' {
			return "may contain only lower-case letters, digits, dots and hyphens"
		}
	}
	if !isLowerAlnum(name[0]) || !isLowerAlnum(name[len(name)-1]) {
		return "must begin and end with a letter or digit"
	}
	if strings.Contains(name, "..") {
		return "must not contain two adjacent dots"
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return "must not be formatted as an IP address"
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return "must not begin with " + p
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return "must not end with " + s
		}
	}
	return ""
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// ValidateKey checks that key is one every backend can store: valid UTF-8 of
// at most MaxKeyLen bytes, no NUL, made of "/"-separated segments that are
// neither empty nor "." or "..". That is a subset of S3 keys (no leading,
// trailing or doubled slash) chosen so that a key is also a safe relative
// path; every key CloudTrail writes passes.
func ValidateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: key longer than %d bytes", ErrInvalidKey, MaxKeyLen)
	case !utf8.ValidString(key) || strings.ContainsRune(key, 0):
		return fmt.Errorf("%w %q: not valid UTF-8 text", ErrInvalidKey, key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w %q: empty, \".\" or \"..\" path segment", ErrInvalidKey, key)
		}
	}
	return nil
}

// NormalizePut validates a Put's key and options and returns the options as
// backends store them: a copy of the metadata with lower-case keys, and the
// encryption actually applied (SSEDefault becomes SSES3). Backends call it
// first thing in Put so that all of them accept and reject the same things.
func NormalizePut(key string, opts PutOptions) (PutOptions, error) {
	if err := ValidateKey(key); err != nil {
		return opts, err
	}
	md, err := normalizeMetadata(opts.Metadata)
	if err != nil {
		return opts, err
	}
	enc, err := normalizeEncryption(opts.Encryption)
	if err != nil {
		return opts, err
	}
	opts.Metadata, opts.Encryption = md, enc
	return opts, nil
}

func normalizeMetadata(in map[string]string) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(in))
	size := 0
	for k, v := range in {
		lk := strings.ToLower(k)
		if !isToken(lk) {
			return nil, fmt.Errorf("%w: metadata key %q is not an HTTP token", ErrInvalidOptions, k)
		}
		if !isHeaderValue(v) {
			return nil, fmt.Errorf("%w: metadata %q: value must be printable ASCII without surrounding spaces", ErrInvalidOptions, k)
		}
		if _, dup := out[lk]; dup {
			return nil, fmt.Errorf("%w: metadata key %q given twice (keys are case-insensitive)", ErrInvalidOptions, lk)
		}
		out[lk] = v
		size += len(lk) + len(v)
	}
	if size > maxMetadataSize {
		return nil, fmt.Errorf("%w: metadata is %d bytes, more than S3's %d", ErrInvalidOptions, size, maxMetadataSize)
	}
	return out, nil
}

func normalizeEncryption(e Encryption) (Encryption, error) {
	switch e.Mode {
	case SSEDefault, SSES3:
		if e.KMSKeyID != "" {
			return e, fmt.Errorf("%w: KMSKeyID needs Mode SSEKMS", ErrInvalidOptions)
		}
		return Encryption{Mode: SSES3}, nil
	case SSEKMS:
		return e, nil
	}
	return e, fmt.Errorf("%w: unknown encryption mode %q", ErrInvalidOptions, e.Mode)
}

// isToken reports whether s is a non-empty RFC 9110 token (a header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !isLowerAlnum(c) && !('A' <= c && c <= 'Z') && !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// isHeaderValue reports whether s survives an HTTP header unchanged.
func isHeaderValue(s string) bool {
	for _, c := range []byte(s) {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return strings.TrimSpace(s) == s
}
