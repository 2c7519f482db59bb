package lifecycle

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

func TestStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lifecycle")
	s := NewStore(dir)
	if _, err := s.Get(t.Context(), "trail-logs"); !errors.Is(err, ErrNoSuchConfiguration) {
		t.Fatalf("Get before Put: %v, want ErrNoSuchConfiguration", err)
	}
	if names, err := s.Buckets(t.Context()); err != nil || len(names) != 0 {
		t.Fatalf("Buckets before Put=%q, %v", names, err)
	}
	cfg, err := Parse([]byte(testRules))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"trail-logs", "audit.example"} {
		if err := s.Put(t.Context(), b, cfg); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Get(t.Context(), "trail-logs")
	if err != nil || len(got.Rules) != 3 || got.Rules[0].ID != "logs" {
		t.Fatalf("Get=%+v, %v", got, err)
	}
	if names, _ := s.Buckets(t.Context()); !slices.Equal(names, []string{"audit.example", "trail-logs"}) {
		t.Fatalf("Buckets=%q", names)
	}
	st, err := os.Stat(filepath.Join(dir, "trail-logs.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file: %v, %v, want 0600", st, err)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode=%v, want 0700", st.Mode().Perm())
	}
	for range 2 { // deleting twice is fine
		if err := s.Delete(t.Context(), "trail-logs"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Get(t.Context(), "trail-logs"); !errors.Is(err, ErrNoSuchConfiguration) {
		t.Fatalf("Get after Delete: %v", err)
	}
}

func TestStore_Invalid(t *testing.T) {
	s := NewStore(t.TempDir())
	cfg, _ := Parse([]byte(testRules))
	if err := s.Put(t.Context(), "../escape", cfg); !errors.Is(err, objstore.ErrInvalidBucketName) {
		t.Fatalf("Put(../escape)=%v, want ErrInvalidBucketName", err)
	}
	if err := s.Put(t.Context(), "trail-logs", &Configuration{}); err == nil {
		t.Fatal("Put saved an invalid configuration")
	}
}

// TestImport moves file configurations into other rules once: a rule
// deleted after the import does not come back on the next.
func TestImport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lifecycle")
	files, to := NewStore(dir), NewStore(t.TempDir())
	cfg, _ := Parse([]byte(testRules))
	for _, b := range []string{"trail-logs", "audit.example"} {
		if err := files.Put(t.Context(), b, cfg); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := Import(t.Context(), files, to); n != 2 || err != nil {
		t.Fatalf("Import=%d, %v; want 2", n, err)
	}
	if names, _ := to.Buckets(t.Context()); !slices.Equal(names, []string{"audit.example", "trail-logs"}) {
		t.Fatalf("imported %q, want both buckets", names)
	}
	to.Delete(t.Context(), "trail-logs")
	if n, err := Import(t.Context(), files, to); n != 0 || err != nil {
		t.Fatalf("Import again=%d, %v; want nothing left to import", n, err)
	}
	if _, err := to.Get(t.Context(), "trail-logs"); !errors.Is(err, ErrNoSuchConfiguration) {
		t.Fatalf("Get of a deleted rule after the second import: %v, want ErrNoSuchConfiguration", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "trail-logs.json.imported")); err != nil {
		t.Fatalf("the imported file is not kept as a record: %v", err)
	}
}
