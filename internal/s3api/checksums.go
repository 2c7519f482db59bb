package s3api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/deploytrail/deploytrail/internal/checksum"
)

// trailered is a body whose trailing headers are known once it has been
// read to its end: the server's verifier of aws-chunked bodies.
type trailered interface{ Trailer() http.Header }

// checksumError is an integrity failure (package checksum's, from the
// headers or a verified trailer) as S3 answers it; other errors as they
// are.
func checksumError(err error) error {
	var ce *checksum.Error
	if errors.As(err, &ce) {
		return Errorf(ce.Code, "%s", ce.Message)
	}
	return err
}

// declaresTrailerChecksum reports whether the request's x-amz-trailer
// names an x-amz-checksum-* trailer, which the verifier checks at the
// body's end.
func declaresTrailerChecksum(h http.Header) bool {
	for _, v := range h.Values("X-Amz-Trailer") {
		for name := range strings.SplitSeq(v, ",") {
			if checksum.IsChecksumHeader(strings.TrimSpace(name)) {
				return true
			}
		}
	}
	return false
}

// setChecksumHeader answers with the x-amz-checksum-* value the body was
// verified against, from the request's headers or from its trailer, as
// S3 does.
func setChecksumHeader(h http.Header, req *Request, want []checksum.Expected) {
	for _, e := range want {
		if e.Algorithm != checksum.MD5 {
			h.Set(e.Algorithm.Header(), checksum.Encode(e.Value))
		}
	}
	tb, ok := req.Body.(trailered)
	if !ok {
		return
	}
	for name, vs := range tb.Trailer() {
		if _, ok := checksum.ParseHeader(name); ok && len(vs) > 0 {
			h.Set(name, strings.TrimSpace(vs[0]))
		}
	}
}
