package sigv4

import (
	"crypto/hmac"
	"net/http"
	"strings"
	"time"
)

// VerifyS3 checks s against r the way S3 computes SigV4, which differs from
// the other services in two ways: the canonical URI is the path exactly as
// sent (S3 clients encode each key once and S3 does not encode it again),
// and the payload hash is the one the client claims, X-Amz-Content-Sha256
// (UNSIGNED-PAYLOAD for a presigned URL), because S3 bodies stream: the
// caller verifies the body against payload as it reads it. Errors are
// *Error of KindExpired or KindMismatch.
func (s *Signature) VerifyS3(r *http.Request, payload, secret string, now time.Time) error {
	if err := s.checkTime(now); err != nil {
		return err
	}
	if err := s.checkScopeDate(); err != nil {
		return err
	}
	headers, err := canonicalHeaders(r, s.SignedHeaders)
	if err != nil {
		return err
	}
	creq := canonicalRequest(r.Method, requestPath(r), canonicalQuery(r.URL.RawQuery, s.Presigned), headers,
		strings.Join(s.SignedHeaders, ";"), payload)
	if hmac.Equal([]byte(s.compute(signingKey(secret, s.Scope), creq)), []byte(s.signature)) {
		return nil
	}
	return newError(KindMismatch, msgMismatch)
}
