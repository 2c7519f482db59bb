package fs_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/fs"
	"github.com/deploytrail/deploytrail/internal/objstore/objstoretest"
)

// TestSSE_OnDisk: what reaches the disk is not the plaintext, while Get,
// Head and List report the plaintext and its size.
func TestSSE_OnDisk(t *testing.T) {
	dir := t.TempDir()
	b := mustCreate(t, mustOpen(t, dir), "logs")
	body := []byte(strings.Repeat(`{"eventName":"CreateDeployment","secret":"s3kr1t"}`, 3000))
	objstoretest.MustPut(t, b, "AWSLogs/f.json", body, objstore.PutOptions{})
	raw, err := os.ReadFile(filepath.Join(dir, "logs", "AWSLogs", "f.json"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("s3kr1t")) || bytes.Contains(raw, []byte("eventName")) {
		t.Fatalf("the file on disk holds the plaintext")
	}
	if int64(len(raw)) != fs.SealedSize(len(body)) {
		t.Errorf("file is %d bytes, want %d (header and one tag per 64 KiB)", len(raw), fs.SealedSize(len(body)))
	}
	if got := objstoretest.MustGet(t, b, "AWSLogs/f.json"); !bytes.Equal(got.Body, body) || got.Size != int64(len(body)) {
		t.Errorf("Get: %d bytes (Size %d), want the %d put", len(got.Body), got.Size, len(body))
	}
	list, err := b.List(t.Context(), "", "", 0)
	if err != nil || len(list) != 1 || list[0].Size != int64(len(body)) {
		t.Errorf("List=%+v, %v; want one object of %d bytes", list, err, len(body))
	}
}

// TestSSE_Tamper: changing, truncating, reordering or moving sealed bytes,
// or opening them under another master key, fails the read instead of
// returning wrong bytes.
func TestSSE_Tamper(t *testing.T) {
	body := randomBody(3*fs.SegmentSize + 100)
	seg := func(i int) int64 { return int64(fs.HeaderLen + i*fs.SealedSegment) }
	tests := []struct {
		name   string
		tamper func(t *testing.T, file, other string)
	}{
		{"FlipByte", func(t *testing.T, file, _ string) {
			edit(t, file, func(p []byte) []byte { p[seg(1)+10] ^= 1; return p })
		}},
		{"FlipHeader", func(t *testing.T, file, _ string) { edit(t, file, func(p []byte) []byte { p[20] ^= 1; return p }) }},
		{"TruncateSegment", func(t *testing.T, file, _ string) {
			edit(t, file, func(p []byte) []byte { return p[:seg(3)] })
		}},
		{"TruncateByte", func(t *testing.T, file, _ string) { edit(t, file, func(p []byte) []byte { return p[:len(p)-1] }) }},
		{"SwapSegments", func(t *testing.T, file, _ string) {
			edit(t, file, func(p []byte) []byte {
				s0, s1 := slicesOf(p, seg(0), fs.SealedSegment), slicesOf(p, seg(1), fs.SealedSegment)
				tmp := bytes.Clone(s0)
				copy(s0, s1)
				copy(s1, tmp)
				return p
			})
		}},
		{"MovedFromOtherKey", func(t *testing.T, file, other string) {
			if err := os.Rename(other, file); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			b := mustCreate(t, mustOpen(t, dir), "logs")
			objstoretest.MustPut(t, b, "a", body, objstore.PutOptions{})
			objstoretest.MustPut(t, b, "b", body, objstore.PutOptions{})
			tt.tamper(t, filepath.Join(dir, "logs", "a"), filepath.Join(dir, "logs", "b"))
			if obj, err := b.Get(t.Context(), "a"); err == nil {
				t.Fatalf("Get of a tampered object returned %d bytes, want an error", len(obj.Body))
			}
		})
	}
}

// TestSSE_OtherMasterKey: a store with another master key cannot read the
// objects, and says why.
func TestSSE_OtherMasterKey(t *testing.T) {
	dir := t.TempDir()
	b := mustCreate(t, mustOpen(t, dir), "logs")
	objstoretest.MustPut(t, b, "k", []byte("body"), objstore.PutOptions{})
	other := mustOpen(t, dir, fs.WithMasterKeyFile(filepath.Join(t.TempDir(), "other.key")))
	_, err := mustBucket(t, other, "logs").Get(t.Context(), "k")
	if err == nil || !strings.Contains(err.Error(), "master key") {
		t.Fatalf("Get under another master key: %v, want an error naming the master key", err)
	}
}

// TestSSE_MasterKeyFile: the key file is created 0600 in a 0700 directory,
// the same key reads the objects after a restart, and a key file others
// can read is refused.
func TestSSE_MasterKeyFile(t *testing.T) {
	data := t.TempDir()
	keyFile := filepath.Join(data, "keys", "s3-master.key")
	s, err := fs.Open(filepath.Join(data, "buckets"), fs.WithMasterKeyFile(keyFile))
	if err != nil {
		t.Fatal(err)
	}
	objstoretest.MustPut(t, mustCreate(t, s, "logs"), "k", []byte("body"), objstore.PutOptions{})
	s.Close()
	for p, want := range map[string]os.FileMode{keyFile: 0o600, filepath.Dir(keyFile): os.ModeDir | 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode() != want {
			t.Errorf("%s: %v (%v), want mode %v", p, fi.Mode(), err, want)
		}
	}
	s = mustOpen(t, filepath.Join(data, "buckets"), fs.WithMasterKeyFile(keyFile))
	if got := objstoretest.MustGet(t, mustBucket(t, s, "logs"), "k"); string(got.Body) != "body" {
		t.Errorf("Get after reopening=%q, want %q", got.Body, "body")
	}
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Open(filepath.Join(data, "buckets"), fs.WithMasterKeyFile(keyFile)); err == nil {
		t.Fatal("Open with a world-readable master key succeeded, want an error")
	}
}

// TestSSE_Legacy: objects written before encryption (plaintext files with
// a sidecar that names no sealed format) still read, whole and by range.
func TestSSE_Legacy(t *testing.T) {
	dir := t.TempDir()
	b := mustCreate(t, mustOpen(t, dir), "logs")
	body := randomBody(200 << 10)
	key := "AWSLogs/old.json.gz"
	sidecar, err := json.Marshal(map[string]string{ // the sidecar of before, without "sealed"
		"key": key, "contentEncoding": "gzip", "serverSideEncryption": "AES256", "eTag": objstore.ETagOf(body),
	})
	if err != nil {
		t.Fatal(err)
	}
	writeLegacy(t, filepath.Join(dir, "logs"), key, body, sidecar)
	obj := objstoretest.MustGet(t, b, key)
	if !bytes.Equal(obj.Body, body) || obj.ContentEncoding != "gzip" || obj.ETag != objstore.ETagOf(body) {
		t.Fatalf("Get of a legacy object: %d bytes, %+v", len(obj.Body), obj.ObjectInfo)
	}
	_, rc, err := b.(objstore.Streamer).Open(t.Context(), key, 70000, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, body[70000:70010]) {
		t.Errorf("Open range of a legacy object=%x (%v), want %x", got, err, body[70000:70010])
	}
	list, err := b.List(t.Context(), "", "", 0)
	if err != nil || len(list) != 1 || list[0].Size != int64(len(body)) {
		t.Errorf("List=%+v, %v; want the legacy object's plaintext size", list, err)
	}
}

// writeLegacy writes a plaintext object and its sidecar the way the
// backend did before encryption.
func writeLegacy(t *testing.T, bucketDir, key string, body, sidecar []byte) {
	t.Helper()
	p := filepath.Join(bucketDir, key)
	sc := filepath.Join(bucketDir, fs.SidecarPath(key))
	for _, d := range []string{filepath.Dir(p), filepath.Dir(sc)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(p, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sc, sidecar, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSSE_StrippedEncryption: a plaintext file where the sidecar says the
// object was sealed is refused, not served.
func TestSSE_StrippedEncryption(t *testing.T) {
	dir := t.TempDir()
	b := mustCreate(t, mustOpen(t, dir), "logs")
	objstoretest.MustPut(t, b, "k", []byte("sealed body"), objstore.PutOptions{})
	if err := os.WriteFile(filepath.Join(dir, "logs", "k"), []byte("planted plaintext"), 0o600); err != nil {
		t.Fatal(err)
	}
	if obj, err := b.Get(t.Context(), "k"); err == nil {
		t.Fatalf("Get=%q, want an error", obj.Body)
	}
}

func edit(t *testing.T, file string, fn func([]byte) []byte) {
	t.Helper()
	p, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, fn(p), 0o600); err != nil {
		t.Fatal(err)
	}
}

func slicesOf(p []byte, off int64, n int) []byte { return p[off : off+int64(n)] }

func randomBody(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 1))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// TestSSE_CopyRanges: io.Copy of an opened range (which goes through the
// reader's WriteTo, as the S3 GetObject path does) gives exactly the
// range's plaintext, whole segments and cut ones alike.
func TestSSE_CopyRanges(t *testing.T) {
	b := mustCreate(t, mustOpen(t, t.TempDir()), "bkt").(objstore.Streamer)
	seg := int64(fs.SegmentSize)
	body := randomBody(int(3*seg + 100))
	objstoretest.MustStage(t, b, "k", bytes.NewReader(body), int64(len(body)), objstore.PutOptions{})
	size := int64(len(body))
	for _, r := range []struct{ off, n int64 }{{0, -1}, {1, 2 * seg}, {seg - 1, 2}, {seg, seg}, {size - 5, -1}, {size, -1}, {0, 0}} {
		_, rc, err := b.Open(t.Context(), "k", r.off, r.n)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		n, err := io.Copy(&got, rc)
		rc.Close()
		end := size
		if r.n >= 0 {
			end = min(r.off+r.n, size)
		}
		if want := body[r.off:end]; err != nil || n != int64(len(want)) || !bytes.Equal(got.Bytes(), want) {
			t.Errorf("range %d+%d: copied %d bytes (%v), want the %d of the body", r.off, r.n, n, err, len(want))
		}
	}
}

// TestSSE_CopyWriterFails: a writer's error ends the copy with that error.
func TestSSE_CopyWriterFails(t *testing.T) {
	b := mustCreate(t, mustOpen(t, t.TempDir()), "bkt").(objstore.Streamer)
	body := randomBody(3 * fs.SegmentSize)
	objstoretest.MustStage(t, b, "k", bytes.NewReader(body), int64(len(body)), objstore.PutOptions{})
	_, rc, err := b.Open(t.Context(), "k", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	w := &failingWriter{after: 1}
	n, err := io.Copy(w, rc)
	if !errors.Is(err, errClientGone) || n != fs.SegmentSize || w.writes != 2 {
		t.Errorf("copy = %d, %v after %d writes; want one segment (%d bytes), then the writer's error", n, err, w.writes, fs.SegmentSize)
	}
}

var errClientGone = errors.New("client went away")

// failingWriter accepts after writes, then fails.
type failingWriter struct{ after, writes int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.writes++
	if w.writes > w.after {
		return 0, errClientGone
	}
	return len(p), nil
}
