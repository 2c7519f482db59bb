package fs_test

import (
	"bytes"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/fs"
	"github.com/deploytrail/deploytrail/internal/objstore/objstoretest"
)

func TestBucket(t *testing.T) {
	store := mustOpen(t, t.TempDir())
	var n atomic.Int64
	objstoretest.Run(t, func(t *testing.T) objstore.Bucket {
		return mustBucket(t, store, fmt.Sprintf("bucket-%d", n.Add(1)))
	})
}

func TestBucket_Modes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "buckets")
	b := mustCreate(t, mustOpen(t, dir), "logs")
	objstoretest.MustPut(t, b, "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/23/f.json.gz", []byte("x"),
		objstore.PutOptions{Metadata: map[string]string{"signature": "ab"}})
	var files, dirs int
	err := filepath.WalkDir(dir, func(p string, d iofs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := iofs.FileMode(0o600)
		if d.IsDir() {
			want, dirs = iofs.ModeDir|0o700, dirs+1
		} else {
			files++
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != 3 { // the object, its sidecar and the store's master key
		t.Errorf("found %d files, want 3", files)
	}
}

// TestBucket_Atomic overwrites one key with two bodies of different sizes
// while readers check they only ever see one of them whole, with its own
// metadata, both through Get and through the file's size.
func TestBucket_Atomic(t *testing.T) {
	dir := t.TempDir()
	b := mustCreate(t, mustOpen(t, dir), "logs")
	bodies := map[string][]byte{"a": bytes.Repeat([]byte("a"), 1<<20), "b": bytes.Repeat([]byte("b"), 3<<20)}
	const key = "AWSLogs/f.json.gz"
	put := func(v string) error {
		return b.Put(t.Context(), key, bodies[v], objstore.PutOptions{Metadata: map[string]string{"v": v}})
	}
	if err := put("a"); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		defer stop.Store(true)
		for i := range 40 {
			if err := put(string("ab"[i%2])); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				checkWhole(t, b, filepath.Join(dir, "logs", key), bodies)
			}
		})
	}
	wg.Wait()
	tmp, err := os.ReadDir(filepath.Join(dir, "logs", ".deploytrail", "tmp"))
	if err != nil || len(tmp) != 0 {
		t.Fatalf("temp dir holds %d files (%v), want none left", len(tmp), err)
	}
}

func checkWhole(t *testing.T, b objstore.Bucket, file string, bodies map[string][]byte) {
	obj, err := b.Get(t.Context(), "AWSLogs/f.json.gz")
	if err != nil {
		t.Errorf("Get: %v", err)
		return
	}
	if v := obj.Metadata["v"]; !bytes.Equal(obj.Body, bodies[v]) {
		t.Errorf("Get: %d bytes with metadata v=%q, want all of body %q", len(obj.Body), v, v)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Size() != fs.SealedSize(len(bodies["a"])) && fi.Size() != fs.SealedSize(len(bodies["b"])) {
		t.Errorf("file: %d bytes (%v), want one whole sealed body", fi.Size(), err)
	}
}

func TestBucket_KeyEscape(t *testing.T) {
	dir := t.TempDir()
	store := mustOpen(t, dir)
	b := mustCreate(t, store, "logs")
	mustCreate(t, store, "other")
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A symlink planted in the bucket must not lead out of it.
	if err := os.Symlink(outside, filepath.Join(dir, "logs", "evil")); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, key := range []string{"../other/x", "evil/secret", "evil/new", ".deploytrail/tmp/x", "/abs"} {
		if err := b.Put(ctx, key, []byte("x"), objstore.PutOptions{}); err == nil {
			t.Errorf("Put(%q) succeeded, want an error", key)
		}
		if obj, err := b.Get(ctx, key); err == nil {
			t.Errorf("Get(%q)=%q, want an error", key, obj.Body)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "new")); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("a Put wrote outside the bucket: %v", err)
	}
	if keys, err := b.List(ctx, "", "", 0); err != nil || len(keys) != 0 {
		t.Errorf("List=%v, %v; want nothing (symlinks are not objects)", keys, err)
	}
}

func TestBucket_KeyConflicts(t *testing.T) {
	b := mustCreate(t, mustOpen(t, t.TempDir()), "logs")
	objstoretest.MustPut(t, b, "a/b", []byte("x"), objstore.PutOptions{})
	for _, key := range []string{"a/b/c", "a", ".deploytrail", strings.Repeat("s", 256)} {
		if err := b.Put(t.Context(), key, []byte("y"), objstore.PutOptions{}); !errors.Is(err, objstore.ErrInvalidKey) {
			t.Errorf("Put(%q) err=%v, want ErrInvalidKey", key, err)
		}
	}
	if err := b.Delete(t.Context(), "a"); err != nil {
		t.Errorf("Delete of a prefix directory: %v, want nil", err)
	}
	if got := objstoretest.MustGet(t, b, "a/b"); string(got.Body) != "x" {
		t.Errorf("a/b=%q after the refused puts, want %q", got.Body, "x")
	}
}

// TestBucket_HandPlaced: files an operator copies into a bucket are objects
// with default properties.
func TestBucket_HandPlaced(t *testing.T) {
	dir := t.TempDir()
	b := mustCreate(t, mustOpen(t, dir), "logs")
	if err := os.WriteFile(filepath.Join(dir, "logs", "copied.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	obj := objstoretest.MustGet(t, b, "copied.json")
	if string(obj.Body) != "{}" || obj.Encryption.Mode != objstore.SSES3 || obj.Metadata != nil {
		t.Fatalf("Get=%+v, want the file with default properties", obj)
	}
}

func mustOpen(tb testing.TB, dir string, opts ...fs.Option) *fs.Store {
	tb.Helper()
	s, err := fs.Open(dir, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func mustBucket(tb testing.TB, s *fs.Store, name string) objstore.Bucket {
	tb.Helper()
	b, err := s.Bucket(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustCreate(tb testing.TB, s *fs.Store, name string) objstore.Bucket {
	tb.Helper()
	b := mustBucket(tb, s, name)
	if err := b.Create(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	return b
}
