package version

import "testing"

// TestGet: a test binary has build information, whose main module is
// this one built from source.
func TestGet(t *testing.T) {
	if v := Get(); v.Version == "" || v.Version == "(unknown)" {
		t.Fatalf("Version=%q, want the build's", v.Version)
	}
}
