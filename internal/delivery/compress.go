package delivery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// gzipLevel is the log files' compression level: gzip -6's, which
// klauspost/compress implements with its own level-6 encoder, faster
// than the standard library's at a similar size (BENCHMARKS.md).
const gzipLevel = 6

// gzipWriters keeps a gzip.Writer per compressing goroutine: a new one
// allocates its window and tables (hundreds of KiB) for every file.
var gzipWriters = sync.Pool{New: func() any {
	zw, err := gzip.NewWriterLevel(io.Discard, gzipLevel)
	if err != nil {
		panic(err) // gzipLevel is a valid level
	}
	return zw
}}

// body is a log file: one gzip member of {"Records":[…]}, the records
// as stored, and the hex SHA-256 of the uncompressed bytes (what a
// digest lists, spec §9.6). Its bytes depend only on the records, so a
// redone delivery writes the same object.
func body(records []string) ([]byte, string, error) {
	var buf bytes.Buffer
	buf.Grow(compressedGuess(records))
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	sum := sha256.New()
	w := io.MultiWriter(zw, sum)
	io.WriteString(w, `{"Records":[`)
	for i, r := range records {
		if i > 0 {
			w.Write([]byte{','})
		}
		io.WriteString(w, r)
	}
	io.WriteString(w, `]}`)
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), hex.EncodeToString(sum.Sum(nil)), nil
}

// compressedGuess is a starting capacity for a file's gzip bytes: CloudTrail
// records compress 12–17 fold, so an eighth of the JSON rarely grows.
func compressedGuess(records []string) int {
	n := 0
	for _, r := range records {
		n += len(r) + 1
	}
	return n/8 + 512
}

// compressed is one log file's body made by compressFiles.
type compressed struct {
	body []byte
	hash string
	err  error
}

// compressFiles compresses the files whose records are files[i] on up to
// GOMAXPROCS goroutines, in order, and returns the channel each file's
// body arrives on. The caller takes them in order and calls next after
// each: at most GOMAXPROCS files are compressing or waiting to be taken,
// which bounds the memory to that many compressed files beside the
// batch's records. Closing stop ends the work early (on an error).
func compressFiles(files [][]string, stop <-chan struct{}) (out []chan compressed, next func()) {
	out = make([]chan compressed, len(files))
	for i := range out {
		out[i] = make(chan compressed, 1) // a finished worker never waits
	}
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	go func() {
		for i, recs := range files {
			select {
			case slots <- struct{}{}:
			case <-stop:
				return
			}
			go func() {
				b, hash, err := body(recs)
				out[i] <- compressed{body: b, hash: hash, err: err}
			}()
		}
	}()
	return out, func() { <-slots }
}

// takeCompressed waits for the next compressed file, or for ctx to end.
func takeCompressed(ctx context.Context, c <-chan compressed) compressed {
	select {
	case r := <-c:
		return r
	case <-ctx.Done():
		return compressed{err: ctx.Err()}
	}
}
