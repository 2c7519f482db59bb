package fs_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/fs"
	"github.com/deploytrail/deploytrail/internal/objstore/objstoretest"
)

var benchSizes = []int{1 << 20, 64 << 20}

// benchBucket is a bucket of a store that seals objects, or writes them
// in plaintext, to price the encryption.
func benchBucket(b *testing.B, sealed bool) objstore.Streamer {
	s := mustOpen(b, b.TempDir())
	if !sealed {
		fs.Plaintext(s)
	}
	return mustCreate(b, s, "bench").(objstore.Streamer)
}

func benchModes(b *testing.B, fn func(b *testing.B, bucket objstore.Streamer, body []byte)) {
	for _, sealed := range []bool{true, false} {
		for _, size := range benchSizes {
			name := fmt.Sprintf("%s/%dMiB", map[bool]string{true: "sealed", false: "plain"}[sealed], size>>20)
			b.Run(name, func(b *testing.B) {
				body := randomBody(size)
				b.SetBytes(int64(size))
				fn(b, benchBucket(b, sealed), body)
			})
		}
	}
}

// BenchmarkStageCommit writes one object per iteration, fsyncs included.
func BenchmarkStageCommit(b *testing.B) {
	benchModes(b, func(b *testing.B, bucket objstore.Streamer, body []byte) {
		for i := 0; b.Loop(); i++ {
			objstoretest.MustStage(b, bucket, fmt.Sprintf("o%d", i%4), bytes.NewReader(body), int64(len(body)), objstore.PutOptions{})
		}
	})
}

// BenchmarkOpen reads one whole object per iteration (from the page cache).
func BenchmarkOpen(b *testing.B) {
	benchModes(b, func(b *testing.B, bucket objstore.Streamer, body []byte) {
		objstoretest.MustStage(b, bucket, "o", bytes.NewReader(body), int64(len(body)), objstore.PutOptions{})
		for b.Loop() {
			_, rc, err := bucket.Open(b.Context(), "o", 0, -1)
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, rc); err != nil || n != int64(len(body)) {
				b.Fatalf("read %d bytes (%v), want %d", n, err, len(body))
			}
			rc.Close()
		}
	})
}
