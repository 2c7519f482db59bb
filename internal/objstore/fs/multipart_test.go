package fs_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/objstoretest"
)

// TestMultipart_DurableSealed: parts are sealed on disk, survive a
// restart (a new Store on the directory), and complete there; the object
// they make is sealed too.
func TestMultipart_DurableSealed(t *testing.T) {
	dir := t.TempDir()
	b := mustCreate(t, mustOpen(t, dir), "logs").(objstore.Multipart)
	const key = "big.log"
	id := objstoretest.MustCreateUpload(t, b, key, objstore.PutOptions{})
	p1 := bytes.Repeat([]byte("part one is plaintext "), objstore.MinPartSize/20)
	p2 := []byte("part two is plaintext")
	e1 := objstoretest.MustUploadPart(t, b, key, id, 1, p1).ETag
	e2 := objstoretest.MustUploadPart(t, b, key, id, 2, p2).ETag
	files, _ := filepath.Glob(filepath.Join(dir, "logs", ".deploytrail", "uploads", id, "0000*"))
	if len(files) != 2 {
		t.Fatalf("found part files %q, want 2", files)
	}
	for _, f := range files {
		if raw, err := os.ReadFile(f); err != nil || bytes.Contains(raw, []byte("plaintext")) {
			t.Errorf("part file %s holds the plaintext (%v)", f, err)
		}
	}

	b = mustBucket(t, mustOpen(t, dir), "logs").(objstore.Multipart) // the restart
	st, err := b.Complete(t.Context(), key, id, []objstore.CompletedPart{{Number: 1, ETag: e1}, {Number: 2, ETag: e2}})
	if err != nil {
		t.Fatalf("Complete after a restart: %v", err)
	}
	if err := st.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := objstoretest.MustGet(t, b, key); !bytes.Equal(got.Body, append(p1, p2...)) || !strings.HasSuffix(got.ETag, `-2"`) {
		t.Fatalf("Get: %d bytes, ETag %s; want the two parts and a multipart ETag", len(got.Body), got.ETag)
	}
	if raw, err := os.ReadFile(filepath.Join(dir, "logs", key)); err != nil || bytes.Contains(raw, []byte("plaintext")) {
		t.Errorf("the completed object's file holds the plaintext (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "logs", ".deploytrail", "uploads", id)); !os.IsNotExist(err) {
		t.Errorf("the upload's directory outlived Complete: %v", err)
	}
}

// TestMultipart_BoundedMemory completes a 65 MiB upload of 13 parts: the
// bytes allocated by Complete and Commit stay far below the object's size.
func TestMultipart_BoundedMemory(t *testing.T) {
	const parts, partSize = 13, objstore.MinPartSize
	b := mustCreate(t, mustOpen(t, t.TempDir()), "logs").(objstore.Multipart)
	id := objstoretest.MustCreateUpload(t, b, "big.bin", objstore.PutOptions{})
	var list []objstore.CompletedPart
	for n := 1; n <= parts; n++ {
		p, err := b.UploadPart(t.Context(), "big.bin", id, n, io.LimitReader(zeroish{}, partSize), partSize)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, objstore.CompletedPart{Number: n, ETag: p.ETag})
	}
	before := allocated()
	st, err := b.Complete(t.Context(), "big.bin", id, list)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	grew := allocated() - before
	if info, err := b.Head(t.Context(), "big.bin"); err != nil || info.Size != parts*partSize {
		t.Fatalf("Head=%+v, %v; want %d bytes", info, err, parts*partSize)
	}
	if grew > 4<<20 {
		t.Errorf("completing 65 MiB allocated %d MiB, want under 4", grew>>20)
	}
	t.Logf("completing 65 MiB allocated %d KiB", grew>>10)
}
