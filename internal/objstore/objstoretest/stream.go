package objstoretest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// streamTests run for backends that implement objstore.Streamer; for the
// others they are skipped.
var streamTests = []optionalTest[objstore.Streamer]{
	{"StageCommit", testStageCommit},
	{"StageAbort", testStageAbort},
	{"StageIncomplete", testStageIncomplete},
	{"OpenRange", testOpenRange},
}

// MustStage stages and commits body under key or fails the test.
func MustStage(tb testing.TB, b objstore.Streamer, key string, body io.Reader, size int64, opts objstore.PutOptions) *objstore.ObjectInfo {
	tb.Helper()
	st, err := b.Stage(tb.Context(), key, body, size, opts)
	if err != nil {
		tb.Fatalf("Stage(%q): %v", key, err)
	}
	info := st.Info()
	if err := st.Commit(tb.Context()); err != nil {
		tb.Fatalf("Commit(%q): %v", key, err)
	}
	return info
}

// testStageCommit: a staged object is invisible until Commit, then reads
// back like a Put, with the size and ETag Stage reported; an unknown size
// (-1) works too.
func testStageCommit(t *testing.T, b objstore.Streamer) {
	body := randomBytes(300 << 10)
	opts := objstore.PutOptions{ContentType: "application/zip", Metadata: map[string]string{"m": "v"}}
	for _, size := range []int64{int64(len(body)), -1} {
		key := fmt.Sprintf("staged/%d.zip", size)
		st, err := b.Stage(t.Context(), key, bytes.NewReader(body), size, opts)
		if err != nil {
			t.Fatalf("Stage: %v", err)
		}
		_, err = b.Head(t.Context(), key)
		checkErr(t, "Head before Commit", err, objstore.ErrNotFound)
		if err := st.Commit(t.Context()); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		want := objstore.ObjectInfo{
			Key: key, Size: int64(len(body)), ContentType: "application/zip", Metadata: map[string]string{"m": "v"},
			Encryption: objstore.Encryption{Mode: objstore.SSES3}, ETag: objstore.ETagOf(body),
		}
		checkInfo(t, "Staged Info", st.Info(), &want)
		obj := MustGet(t, b, key)
		checkInfo(t, "Get", &obj.ObjectInfo, &want)
		if !bytes.Equal(obj.Body, body) {
			t.Fatalf("Get: %d bytes differ from the %d staged", len(obj.Body), len(body))
		}
		if err := st.Abort(); err != nil {
			t.Errorf("Abort after Commit: %v, want nil", err)
		}
	}
}

// testStageAbort: an aborted stage leaves the old object in place and no
// new one.
func testStageAbort(t *testing.T, b objstore.Streamer) {
	MustPut(t, b, "kept", []byte("old"), objstore.PutOptions{})
	for _, key := range []string{"kept", "never"} {
		st, err := b.Stage(t.Context(), key, strings.NewReader("new"), 3, objstore.PutOptions{})
		if err != nil {
			t.Fatalf("Stage: %v", err)
		}
		if err := st.Abort(); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		if err := st.Commit(t.Context()); err == nil {
			t.Errorf("Commit after Abort succeeded, want an error")
		}
	}
	if got := MustGet(t, b, "kept").Body; string(got) != "old" {
		t.Errorf("kept=%q after an aborted overwrite, want %q", got, "old")
	}
	_, err := b.Head(t.Context(), "never")
	checkErr(t, "Head of an aborted new key", err, objstore.ErrNotFound)
}

// testStageIncomplete: a body shorter or longer than declared, or one
// that fails, stages nothing.
func testStageIncomplete(t *testing.T, b objstore.Streamer) {
	failing := errors.New("connection reset")
	tests := []struct {
		name string
		body io.Reader
		size int64
		want error
	}{
		{"Short", strings.NewReader("12345"), 6, objstore.ErrIncompleteBody},
		{"Long", strings.NewReader("1234567"), 6, objstore.ErrIncompleteBody},
		{"ReadError", io.MultiReader(strings.NewReader("123"), iotestErr{failing}), 6, failing},
	}
	for _, tt := range tests {
		_, err := b.Stage(t.Context(), tt.name, tt.body, tt.size, objstore.PutOptions{})
		checkErr(t, tt.name, err, tt.want)
		_, err = b.Head(t.Context(), tt.name)
		checkErr(t, tt.name+": Head", err, objstore.ErrNotFound)
	}
}

type iotestErr struct{ err error }

func (r iotestErr) Read([]byte) (int, error) { return 0, r.err }

// testOpenRange reads ranges that start, end and cross 64 KiB boundaries
// (where a backend may cut its storage) and ranges cut at the end.
func testOpenRange(t *testing.T, b objstore.Streamer) {
	const seg = 64 << 10
	body := randomBytes(3*seg + 123)
	size := int64(len(body))
	MustStage(t, b, "ranged", bytes.NewReader(body), size, objstore.PutOptions{})
	tests := []struct{ off, n, wantOff, wantN int64 }{
		{0, -1, 0, size}, {0, 1, 0, 1}, {seg - 1, 2, seg - 1, 2}, {seg, seg, seg, seg},
		{seg - 5, 2*seg + 10, seg - 5, 2*seg + 10}, {size - 1, 5, size - 1, 1}, {size - 200, -1, size - 200, 200},
		{3 * seg, 0, 3 * seg, 0}, {size, -1, size, 0},
	}
	for _, tt := range tests {
		info, rc, err := b.Open(t.Context(), "ranged", tt.off, tt.n)
		if err != nil {
			t.Fatalf("Open(%d, %d): %v", tt.off, tt.n, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if want := body[tt.wantOff : tt.wantOff+tt.wantN]; err != nil || !bytes.Equal(got, want) {
			t.Errorf("Open(%d, %d): %d bytes (%v), want bytes [%d, %d)", tt.off, tt.n, len(got), err, tt.wantOff, tt.wantOff+tt.wantN)
		}
		if info.Size != size || info.ETag != objstore.ETagOf(body) {
			t.Errorf("Open(%d, %d) info: Size %d ETag %s, want the whole object's %d %s", tt.off, tt.n, info.Size, info.ETag, size, objstore.ETagOf(body))
		}
	}
	_, _, err := b.Open(t.Context(), "missing", 0, -1)
	checkErr(t, "Open of a missing key", err, objstore.ErrNotFound)
}

func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}
