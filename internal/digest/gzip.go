package digest

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Errors of [Parse], [Gunzip] and [HashGzip]; test with errors.Is. The
// texts are the reasons validate-logs prints.
var (
	ErrNotGzip       = errors.New("not a gzip file")
	ErrTruncated     = errors.New("truncated compressed stream")
	ErrCorrupt       = errors.New("corrupt compressed data")
	ErrTrailingData  = errors.New("unexpected data after end of compressed stream")
	ErrTooLarge      = errors.New("uncompressed size over the limit")
	ErrInvalidFormat = errors.New("invalid format")
)

// MaxDigestSize bounds an uncompressed digest, so that a hostile object
// cannot make Parse allocate without limit. Real digests are kilobytes.
const MaxDigestSize = 64 << 20

// Encode returns the uncompressed bytes of d (see [Marshal]) and their
// gzip form: a single member, as stored.
func Encode(d *Digest) (raw, body []byte, err error) {
	raw, err = Marshal(d)
	if err != nil {
		return nil, nil, err
	}
	return raw, Gzip(raw), nil
}

// Gzip compresses b as one gzip member.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b) // writes to a bytes.Buffer cannot fail
	zw.Close()
	return buf.Bytes()
}

// Parse decodes a stored digest object: exactly one gzip member holding
// the JSON of [Unmarshal]. It returns the digest and its uncompressed
// bytes, which [Hash], [SigningString] and [Verify] need. It never panics;
// errors wrap one of the Err* values of this package.
func Parse(body []byte) (*Digest, []byte, error) {
	var raw bytes.Buffer
	if err := Gunzip(&raw, bytes.NewReader(body), MaxDigestSize); err != nil {
		return nil, nil, err
	}
	d, err := Unmarshal(raw.Bytes())
	if err != nil {
		return nil, nil, err
	}
	return d, raw.Bytes(), nil
}

// Gunzip writes the content of the single gzip member in r to w, and fails
// if more than limit bytes come out (limit <= 0: no limit) or anything
// follows the member: the CLI refuses trailing bytes (§7.2), so we do too.
func Gunzip(w io.Writer, r io.Reader, limit int64) error {
	g := gunzippers.Get().(*gunzipper)
	defer g.release()
	g.br.Reset(r)
	if err := g.reset(); err != nil {
		return gzipError(err)
	}
	g.zr.Multistream(false)
	src := io.Reader(g.zr)
	if limit > 0 {
		src = io.LimitReader(g.zr, limit+1)
	}
	n, err := io.CopyBuffer(w, src, g.buf)
	if err != nil {
		return gzipError(err)
	}
	if limit > 0 && n > limit {
		return fmt.Errorf("%w (%d bytes)", ErrTooLarge, limit)
	}
	if _, err := g.br.ReadByte(); err != io.EOF {
		return ErrTrailingData
	}
	return nil
}

// gunzipper is the state of one inflation, reused: made anew, it is some
// 75 KB (read buffer, inflater and its window, copy buffer) for every log
// file, which is a few KB, and validate-logs inflates thousands.
type gunzipper struct {
	br  *bufio.Reader
	zr  *gzip.Reader // nil until a first header was read
	buf []byte
}

var gunzippers = sync.Pool{New: func() any {
	return &gunzipper{br: bufio.NewReader(nil), buf: make([]byte, 32<<10)}
}}

// reset reads the gzip header of the stream g.br now reads.
func (g *gunzipper) reset() error {
	if g.zr == nil {
		zr, err := gzip.NewReader(g.br)
		if err != nil {
			return err
		}
		g.zr = zr
		return nil
	}
	return g.zr.Reset(g.br)
}

// release returns g to the pool, holding no reference to the stream.
func (g *gunzipper) release() {
	g.br.Reset(nil)
	gunzippers.Put(g)
}

// gzipError names what is wrong with a gzip stream.
func gzipError(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrTruncated
	case errors.Is(err, gzip.ErrHeader):
		return ErrNotGzip
	case errors.Is(err, gzip.ErrChecksum), errors.As(err, &corrupt):
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return err // an I/O error of the underlying reader
}

// Hash is the lowercase hex SHA-256 of b. Applied to a log file's
// uncompressed bytes it is the log file's hashValue (§9.6); applied to a
// digest's uncompressed bytes it is the next digest's
// previousDigestHashValue (§9.3) and the H of the signing string (§9.5).
func Hash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// LogFileHash is the hashValue of a log file whose uncompressed content
// is b (§9.6).
func LogFileHash(b []byte) string { return Hash(b) }

// HashGzip is the SHA-256 (hex) of the content of the single gzip member
// in r, computed while streaming: the uncompressed bytes are never held.
// Errors are those of [Gunzip].
func HashGzip(r io.Reader) (string, error) {
	h := sha256.New()
	if err := Gunzip(h, r, 0); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
