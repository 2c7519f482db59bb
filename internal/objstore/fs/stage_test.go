package fs_test

import (
	"crypto/md5"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/fs"
	"github.com/deploytrail/deploytrail/internal/objstore/objstoretest"
)

// TestStage_CrashSwept: a stage never committed (the process died) is
// invisible, and the next Open of the store sweeps its temp files once
// they are older than fs.StaleTempAge, and not before.
func TestStage_CrashSwept(t *testing.T) {
	dir := t.TempDir()
	s, err := fs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := mustCreate(t, s, "logs")
	st, err := b.(objstore.Streamer).Stage(t.Context(), "AWSLogs/f.json.gz", strings.NewReader("partial"), 7, objstore.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = st // never committed nor aborted: the crash
	s.Close()
	tmp := filepath.Join(dir, "logs", ".deploytrail", "tmp")
	if n := countFiles(t, tmp); n != 2 {
		t.Fatalf("temp dir holds %d files, want the staged body and sidecar", n)
	}
	b = mustBucket(t, mustOpen(t, dir), "logs")
	if _, err := b.Head(t.Context(), "AWSLogs/f.json.gz"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("Head of an uncommitted stage: %v, want ErrNotFound", err)
	}
	if list, err := b.List(t.Context(), "", "", 0); err != nil || len(list) != 0 {
		t.Fatalf("List=%v, %v, want nothing", list, err)
	}
	if n := countFiles(t, tmp); n != 2 {
		t.Fatalf("a fresh temp file was swept: %d left, want 2", n)
	}
	old := time.Now().Add(-fs.StaleTempAge - time.Minute)
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		if err := os.Chtimes(filepath.Join(tmp, e.Name()), old, old); err != nil {
			t.Fatal(err)
		}
	}
	mustOpen(t, dir)
	if n := countFiles(t, tmp); n != 0 {
		t.Fatalf("temp dir holds %d files after reopening, want the stale ones swept", n)
	}
}

// TestStage_TooLarge: a declared size over fs.MaxPutSize is refused
// before a byte is read.
func TestStage_TooLarge(t *testing.T) {
	b := mustCreate(t, mustOpen(t, t.TempDir()), "logs").(objstore.Streamer)
	_, err := b.Stage(t.Context(), "big", strings.NewReader(""), 5<<40, objstore.PutOptions{})
	if !errors.Is(err, objstore.ErrEntityTooLarge) {
		t.Fatalf("Stage of 5 TiB: %v, want ErrEntityTooLarge", err)
	}
}

// TestStage_BoundedMemory streams a 64 MiB object in and out: the bytes
// allocated stay far below the object's size.
func TestStage_BoundedMemory(t *testing.T) {
	const size = 64 << 20
	b := mustCreate(t, mustOpen(t, t.TempDir()), "logs").(objstore.Streamer)
	want := md5.New()
	io.Copy(want, io.LimitReader(zeroish{}, size))

	before := allocated()
	info := objstoretest.MustStage(t, b, "big.bin", io.LimitReader(zeroish{}, size), size, objstore.PutOptions{})
	_, rc, err := b.Open(t.Context(), "big.bin", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	got := md5.New()
	n, err := io.Copy(got, rc)
	rc.Close()
	grew := allocated() - before
	if err != nil || n != size || string(got.Sum(nil)) != string(want.Sum(nil)) || info.Size != size {
		t.Fatalf("read back %d bytes (%v), want the %d staged", n, err, size)
	}
	if grew > 4<<20 {
		t.Errorf("staging and reading 64 MiB allocated %d MiB, want under 4", grew>>20)
	}
	t.Logf("staging and reading 64 MiB allocated %d KiB", grew>>10)
}

// allocated is the bytes allocated so far (runtime.MemStats.TotalAlloc),
// which a whole object held in memory would raise by its size.
func allocated() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// zeroish is an endless body that costs no memory.
type zeroish struct{}

func (zeroish) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i)
	}
	return len(p), nil
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return len(entries)
}
