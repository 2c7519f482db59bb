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
	if _, err := s.Get("trail-logs"); !errors.Is(err, ErrNoSuchConfiguration) {
		t.Fatalf("Get before Put: %v, want ErrNoSuchConfiguration", err)
	}
	if names, err := s.Buckets(); err != nil || len(names) != 0 {
		t.Fatalf("Buckets before Put=%q, %v", names, err)
	}
	cfg, err := Parse([]byte(testRules))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"trail-logs", "audit.example"} {
		if err := s.Put(b, cfg); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Get("trail-logs")
	if err != nil || len(got.Rules) != 3 || got.Rules[0].ID != "logs" {
		t.Fatalf("Get=%+v, %v", got, err)
	}
	if names, _ := s.Buckets(); !slices.Equal(names, []string{"audit.example", "trail-logs"}) {
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
		if err := s.Delete("trail-logs"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Get("trail-logs"); !errors.Is(err, ErrNoSuchConfiguration) {
		t.Fatalf("Get after Delete: %v", err)
	}
}

func TestStore_Invalid(t *testing.T) {
	s := NewStore(t.TempDir())
	cfg, _ := Parse([]byte(testRules))
	if err := s.Put("../escape", cfg); !errors.Is(err, objstore.ErrInvalidBucketName) {
		t.Fatalf("Put(../escape)=%v, want ErrInvalidBucketName", err)
	}
	if err := s.Put("trail-logs", &Configuration{}); err == nil {
		t.Fatal("Put saved an invalid configuration")
	}
}
