package digest

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEncodeParse_RoundTrip(t *testing.T) {
	chained := vectorDigest()
	chained.Chain(Link{Bucket: "old-bucket", Object: "a/b.json.gz", HashValue: vectorHash, Signature: "ab12"})
	empty := vectorDigest()
	empty.LogFiles, empty.NewestEventTime, empty.OldestEventTime = nil, time.Time{}, time.Time{}
	amp := vectorDigest()
	amp.Object = "p&q<r>/AWSLogs/x.json.gz"

	for name, d := range map[string]*Digest{"Start": vectorDigest(), "Chained": chained, "Empty": empty, "HTML": amp} {
		t.Run(name, func(t *testing.T) {
			raw, body, err := Encode(d)
			if err != nil {
				t.Fatal(err)
			}
			got, gotRaw, err := Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotRaw, raw) {
				t.Fatalf("raw=%s, want %s", gotRaw, raw)
			}
			want := *d
			if want.LogFiles == nil {
				want.LogFiles = nil
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Fatalf("Parse(Encode(d)) mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarshal_Nulls(t *testing.T) {
	d := vectorDigest()
	d.LogFiles, d.NewestEventTime, d.OldestEventTime = nil, time.Time{}, time.Time{}
	raw, err := Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"newestEventTime":null`, `"oldestEventTime":null`,
		`"previousDigestSignature":null`, `"logFiles":[]}`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("Marshal=%s, missing %s", raw, want)
		}
	}
	if strings.Contains(string(raw), "\\u0026") || bytes.HasSuffix(raw, []byte("\n")) {
		t.Errorf("Marshal=%q: HTML-escaped or trailing newline", raw)
	}
}

func TestMarshal_PreviousFields(t *testing.T) {
	d := vectorDigest()
	d.Chain(Link{Bucket: "b", Object: "o", HashValue: "h", Signature: "s"})
	raw, _ := Marshal(d)
	want := `"previousDigestS3Bucket":"b","previousDigestS3Object":"o","previousDigestHashValue":"h",` +
		`"previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":"s","logFiles":`
	if !strings.Contains(string(raw), want) {
		t.Fatalf("Marshal=%s, want it to contain %s", raw, want)
	}
	if d.IsStart() || d.Previous().Object != "o" {
		t.Fatalf("IsStart=%v Previous=%+v", d.IsStart(), d.Previous())
	}
	d.Chain(Link{})
	if !d.IsStart() || d.PreviousHashAlgorithm != "" {
		t.Fatalf("Chain(Link{}) left %+v", d.Previous())
	}
}

func TestParse_Errors(t *testing.T) {
	good := mustRead(t, "testdata/appendix_c_digest.json")
	body := Gzip(good)
	replace := func(old, new string) []byte { return Gzip([]byte(strings.Replace(string(good), old, new, 1))) }
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"Empty", nil, ErrTruncated},
		{"NotGzip", good, ErrNotGzip},
		{"Truncated", body[:len(body)-5], ErrTruncated},
		{"TruncatedHeader", body[:5], ErrTruncated},
		{"TrailingData", append(bytes.Clone(body), 0), ErrTrailingData},
		{"TwoMembers", append(bytes.Clone(body), body...), ErrTrailingData},
		{"BadChecksum", flipByte(body, len(body)-6), ErrCorrupt},
		{"NotJSON", Gzip([]byte("hello")), ErrInvalidFormat},
		{"JSONArray", Gzip([]byte("[]")), ErrInvalidFormat},
		{"JSONNull", Gzip([]byte("null")), ErrInvalidFormat},
		{"TrailingJSON", Gzip(append(bytes.Clone(good), []byte("{}")...)), ErrInvalidFormat},
		{"MissingEndTime", replace(`"digestEndTime":"2025-01-02T03:15:00Z",`, ""), ErrInvalidFormat},
		{"NullObject", replace(`"digestS3Object":"`+vectorDigestKey+`"`, `"digestS3Object":null`), ErrInvalidFormat},
		{"FractionalTime", replace(`03:15:00Z`, `03:15:00.5Z`), ErrInvalidFormat},
		{"OffsetTime", replace(`03:15:00Z`, `03:15:00+00:00`), ErrInvalidFormat},
		{"WrongType", replace(`"logFiles":[`, `"logFiles":{"a":[`), ErrInvalidFormat},
		{"EmptyPrevious", replace(`"previousDigestSignature":null`, `"previousDigestSignature":""`), ErrInvalidFormat},
		{"LogFileMissingHash", replace(`"hashValue":"`+vectorLogHash+`",`, ""), ErrInvalidFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _, err := Parse(tt.body)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse err=%v (digest %v), want %v", err, d != nil, tt.want)
			}
		})
	}
}

func TestParse_UnknownFieldsAllowed(t *testing.T) {
	good := mustRead(t, "testdata/appendix_c_digest.json")
	raw := []byte(`{"futureField":1,` + string(good[1:]))
	if _, _, err := Parse(Gzip(raw)); err != nil {
		t.Fatalf("Parse with an unknown field: %v", err)
	}
}

func TestGunzip_Limit(t *testing.T) {
	body := Gzip(make([]byte, 1000))
	if err := Gunzip(&bytes.Buffer{}, bytes.NewReader(body), 999); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err=%v, want ErrTooLarge", err)
	}
	if err := Gunzip(&bytes.Buffer{}, bytes.NewReader(body), 1000); err != nil {
		t.Fatalf("err=%v at the limit", err)
	}
}

func TestHashGzip(t *testing.T) {
	got, err := HashGzip(bytes.NewReader(Gzip([]byte(`{"Records":[]}`))))
	if err != nil || got != vectorLogHash {
		t.Fatalf("HashGzip=%s, %v, want %s", got, err, vectorLogHash)
	}
	if _, err := HashGzip(bytes.NewReader(append(Gzip([]byte("x")), 'y'))); !errors.Is(err, ErrTrailingData) {
		t.Fatalf("trailing data: err=%v", err)
	}
}

func flipByte(b []byte, i int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 0xff
	return b
}
