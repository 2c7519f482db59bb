package checksum

import (
	"errors"
	"hash"
	"io"
	"slices"
)

// Reader hashes a body as it streams and checks the claimed digests at EOF.
// Bytes it returns are unverified until Read returns io.EOF: a caller stages
// them and commits only then.
type Reader struct {
	r      io.Reader
	want   []Expected
	algs   []Algorithm
	hashes []hash.Hash
	err    error // sticky: io.EOF once verified, or the failure
}

// NewReader returns a Reader of r that verifies want and also computes
// the digests of the extra algorithms (an ETag's MD5, a checksum to
// return), available from Sum after EOF.
func NewReader(r io.Reader, want []Expected, extra ...Algorithm) *Reader {
	cr := &Reader{r: r, want: want}
	for _, e := range want {
		cr.add(e.Algorithm)
	}
	for _, a := range extra {
		cr.add(a)
	}
	return cr
}

func (r *Reader) add(a Algorithm) {
	if !slices.Contains(r.algs, a) {
		r.algs = append(r.algs, a)
		r.hashes = append(r.hashes, a.New())
	}
}

// Read reads from the underlying reader. At its EOF it returns io.EOF if
// every claim matches, else an *Error (BadDigest) for the first that does
// not; errors are sticky.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.r.Read(p)
	for _, h := range r.hashes {
		h.Write(p[:n])
	}
	if errors.Is(err, io.EOF) {
		err = r.verify()
	}
	if err != nil {
		r.err = err
	}
	return n, err
}

func (r *Reader) verify() error {
	for _, e := range r.want {
		if err := e.Check(r.Sum(e.Algorithm)); err != nil {
			return err
		}
	}
	return io.EOF
}

// Sum returns the digest of the bytes read so far for a, or nil if the
// Reader does not compute a. Call it after EOF for the body's digest.
func (r *Reader) Sum(a Algorithm) []byte {
	if i := slices.Index(r.algs, a); i >= 0 {
		return r.hashes[i].Sum(nil)
	}
	return nil
}
