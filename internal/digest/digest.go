// Package digest holds the building blocks of CloudTrail log file integrity
// validation (spec §9): the digest file format, its object key, the signing
// string and RSA signature, key pairs with their ListPublicKeys encoding and
// fingerprint, and the hashes that chain digests and log files together.
//
// Everything here is pure: the delivery pipeline decides when to write a
// digest, and package validate walks stored chains. This package imports
// only the standard library.
package digest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Algorithm names written into digests and their S3 metadata (§9.3, §9.4).
const (
	SignatureAlgorithm = "SHA256withRSA"
	HashAlgorithm      = "SHA-256"
)

// TimeLayout is the layout of every timestamp inside a digest (§9.3).
const TimeLayout = "2006-01-02T15:04:05Z"

// Digest is one digest file (§9.3). Fields appear in the file in this order,
// under the JSON names given in the comments. A zero time or an empty
// string is written as JSON null where the spec allows null; times are
// written in UTC with whole seconds.
type Digest struct {
	AccountID            string    // awsAccountId
	StartTime            time.Time // digestStartTime
	EndTime              time.Time // digestEndTime; also the key's timestamp
	Bucket               string    // digestS3Bucket
	Object               string    // digestS3Object: the digest's own full key
	PublicKeyFingerprint string    // digestPublicKeyFingerprint
	SignatureAlgorithm   string    // digestSignatureAlgorithm
	NewestEventTime      time.Time // newestEventTime; zero = null (no log files)
	OldestEventTime      time.Time // oldestEventTime; zero = null

	// The preceding digest of the same chain; all empty (null) for a
	// starting digest. See [Digest.Chain].
	PreviousBucket        string // previousDigestS3Bucket
	PreviousObject        string // previousDigestS3Object
	PreviousHashValue     string // previousDigestHashValue: SHA-256 of its uncompressed bytes
	PreviousHashAlgorithm string // previousDigestHashAlgorithm
	PreviousSignature     string // previousDigestSignature: its x-amz-meta-signature

	LogFiles []LogFile // logFiles; nil is written as []
}

// LogFile is one entry of a digest's logFiles.
type LogFile struct {
	Bucket          string    // s3Bucket
	Object          string    // s3Object
	HashValue       string    // hashValue: [Hash] of the uncompressed bytes
	HashAlgorithm   string    // hashAlgorithm
	NewestEventTime time.Time // newestEventTime
	OldestEventTime time.Time // oldestEventTime
}

// IsStart reports whether d starts a chain: it has no previous digest.
func (d *Digest) IsStart() bool { return d.PreviousObject == "" }

// wireDigest is the JSON form. Every field is a pointer so that null and a
// missing key decode alike and required fields can be checked.
type wireDigest struct {
	AWSAccountID                *string       `json:"awsAccountId"`
	DigestStartTime             *string       `json:"digestStartTime"`
	DigestEndTime               *string       `json:"digestEndTime"`
	DigestS3Bucket              *string       `json:"digestS3Bucket"`
	DigestS3Object              *string       `json:"digestS3Object"`
	DigestPublicKeyFingerprint  *string       `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm    *string       `json:"digestSignatureAlgorithm"`
	NewestEventTime             *string       `json:"newestEventTime"`
	OldestEventTime             *string       `json:"oldestEventTime"`
	PreviousDigestS3Bucket      *string       `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object      *string       `json:"previousDigestS3Object"`
	PreviousDigestHashValue     *string       `json:"previousDigestHashValue"`
	PreviousDigestHashAlgorithm *string       `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature     *string       `json:"previousDigestSignature"`
	LogFiles                    []wireLogFile `json:"logFiles"`
}

type wireLogFile struct {
	S3Bucket        *string `json:"s3Bucket"`
	S3Object        *string `json:"s3Object"`
	HashValue       *string `json:"hashValue"`
	HashAlgorithm   *string `json:"hashAlgorithm"`
	NewestEventTime *string `json:"newestEventTime"`
	OldestEventTime *string `json:"oldestEventTime"`
}

// Marshal returns the uncompressed digest bytes: compact JSON in the
// order of §9.3, with no trailing newline. These are the bytes that are
// hashed, signed and gzipped.
func Marshal(d *Digest) ([]byte, error) {
	w := wireDigest{
		AWSAccountID:                &d.AccountID,
		DigestStartTime:             timeString(d.StartTime),
		DigestEndTime:               timeString(d.EndTime),
		DigestS3Bucket:              &d.Bucket,
		DigestS3Object:              &d.Object,
		DigestPublicKeyFingerprint:  &d.PublicKeyFingerprint,
		DigestSignatureAlgorithm:    &d.SignatureAlgorithm,
		NewestEventTime:             timeString(d.NewestEventTime),
		OldestEventTime:             timeString(d.OldestEventTime),
		PreviousDigestS3Bucket:      nullable(d.PreviousBucket),
		PreviousDigestS3Object:      nullable(d.PreviousObject),
		PreviousDigestHashValue:     nullable(d.PreviousHashValue),
		PreviousDigestHashAlgorithm: nullable(d.PreviousHashAlgorithm),
		PreviousDigestSignature:     nullable(d.PreviousSignature),
		LogFiles:                    make([]wireLogFile, len(d.LogFiles)),
	}
	for i := range d.LogFiles {
		f := &d.LogFiles[i]
		w.LogFiles[i] = wireLogFile{&f.Bucket, &f.Object, &f.HashValue, &f.HashAlgorithm,
			timeString(f.NewestEventTime), timeString(f.OldestEventTime)}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// AWS does not escape <, > and & (Jackson); keys may contain '&'.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&w); err != nil {
		return nil, fmt.Errorf("encode digest: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Unmarshal decodes uncompressed digest bytes. It requires the fields the
// validator depends on (account, start and end time, bucket, object,
// fingerprint), requires timestamps in exactly [TimeLayout] (so that
// [SigningString] rebuilds the signed strings byte for byte), and ignores
// unknown keys for forward compatibility. Errors wrap ErrInvalidFormat.
func Unmarshal(raw []byte) (*Digest, error) {
	var w wireDigest
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidFormat, err)
	}
	d, err := fromWire(&w)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidFormat, err)
	}
	return d, nil
}

// fromWire checks and converts the decoded JSON.
func fromWire(w *wireDigest) (*Digest, error) {
	var p fieldParser
	d := &Digest{
		AccountID:             p.required("awsAccountId", w.AWSAccountID),
		StartTime:             p.requiredTime("digestStartTime", w.DigestStartTime),
		EndTime:               p.requiredTime("digestEndTime", w.DigestEndTime),
		Bucket:                p.required("digestS3Bucket", w.DigestS3Bucket),
		Object:                p.required("digestS3Object", w.DigestS3Object),
		PublicKeyFingerprint:  p.required("digestPublicKeyFingerprint", w.DigestPublicKeyFingerprint),
		SignatureAlgorithm:    p.optional("digestSignatureAlgorithm", w.DigestSignatureAlgorithm),
		NewestEventTime:       p.optionalTime("newestEventTime", w.NewestEventTime),
		OldestEventTime:       p.optionalTime("oldestEventTime", w.OldestEventTime),
		PreviousBucket:        p.optional("previousDigestS3Bucket", w.PreviousDigestS3Bucket),
		PreviousObject:        p.optional("previousDigestS3Object", w.PreviousDigestS3Object),
		PreviousHashValue:     p.optional("previousDigestHashValue", w.PreviousDigestHashValue),
		PreviousHashAlgorithm: p.optional("previousDigestHashAlgorithm", w.PreviousDigestHashAlgorithm),
		PreviousSignature:     p.optional("previousDigestSignature", w.PreviousDigestSignature),
	}
	for i, f := range w.LogFiles {
		name := fmt.Sprintf("logFiles[%d].", i)
		d.LogFiles = append(d.LogFiles, LogFile{
			Bucket:          p.required(name+"s3Bucket", f.S3Bucket),
			Object:          p.required(name+"s3Object", f.S3Object),
			HashValue:       p.required(name+"hashValue", f.HashValue),
			HashAlgorithm:   p.optional(name+"hashAlgorithm", f.HashAlgorithm),
			NewestEventTime: p.optionalTime(name+"newestEventTime", f.NewestEventTime),
			OldestEventTime: p.optionalTime(name+"oldestEventTime", f.OldestEventTime),
		})
	}
	return d, p.err
}

// fieldParser converts fields and keeps the first error, so fromWire
// reads as a list of fields.
type fieldParser struct{ err error }

func (p *fieldParser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf(format, args...)
	}
}

func (p *fieldParser) required(name string, s *string) string {
	if s == nil || *s == "" {
		p.fail("%s is missing", name)
		return ""
	}
	return *s
}

// optional maps null to "". An empty string is refused because it would
// encode as null and so change the signed bytes.
func (p *fieldParser) optional(name string, s *string) string {
	if s != nil && *s == "" {
		p.fail("%s is an empty string", name)
	}
	if s == nil {
		return ""
	}
	return *s
}

func (p *fieldParser) requiredTime(name string, s *string) time.Time {
	if s == nil {
		p.fail("%s is missing", name)
		return time.Time{}
	}
	return p.optionalTime(name, s)
}

func (p *fieldParser) optionalTime(name string, s *string) time.Time {
	if s == nil {
		return time.Time{}
	}
	t, err := ParseTime(*s)
	if err != nil {
		p.fail("%s: %v", name, err)
	}
	return t
}

// ParseTime parses a digest timestamp, accepting only [TimeLayout] exactly
// (time.Parse alone would also accept fractional seconds).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil || t.Format(TimeLayout) != s {
		return time.Time{}, fmt.Errorf("timestamp %q is not in the form YYYY-MM-DDTHH:MM:SSZ", s)
	}
	return t, nil
}

// FormatTime formats t as a digest timestamp (UTC, whole seconds).
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

func timeString(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := FormatTime(t)
	return &s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
