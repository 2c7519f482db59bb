package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
)

// hashReader passes a body through and, at its end, checks it against the
// hex SHA-256 the request was signed with.
type hashReader struct {
	r    io.Reader
	want string
	h    hash.Hash
	err  error // sticky
}

func newHashReader(r io.Reader, want string) *hashReader {
	return &hashReader{r: r, want: want, h: sha256.New()}
}

// Read returns io.EOF at the end only if the body matched; else an *Error
// of KindPayloadMismatch, from then on.
func (r *hashReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	if err == io.EOF && hex.EncodeToString(r.h.Sum(nil)) != r.want {
		err = newError(KindPayloadMismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	if err != nil {
		r.err = err
	}
	return n, err
}
