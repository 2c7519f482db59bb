package digest

import (
	"bytes"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// survives a Marshal round trip unchanged in meaning.
func FuzzParse(f *testing.F) {
	good := mustRead(f, "testdata/appendix_c_digest.json")
	f.Add(Gzip(good))
	f.Add(good)
	f.Add(Gzip([]byte(`{}`)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		d, raw, err := Parse(body)
		if err != nil {
			return
		}
		if d == nil || raw == nil {
			t.Fatal("Parse returned nil without an error")
		}
		again, err := Marshal(d)
		if err != nil {
			t.Fatalf("Marshal of a parsed digest: %v", err)
		}
		d2, err := Unmarshal(again)
		if err != nil {
			t.Fatalf("Unmarshal(Marshal(Parse(x))): %v", err)
		}
		if again2, _ := Marshal(d2); !bytes.Equal(again, again2) {
			t.Fatalf("not stable:\n%s\n%s", again, again2)
		}
	})
}
