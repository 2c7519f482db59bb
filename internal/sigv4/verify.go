package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// MaxSkew is how far a header-signed request's date may be from the server
// clock, in either direction, as on AWS.
const MaxSkew = 15 * time.Minute

// unsignedPayload is the payload hash clients send when they do not sign the
// body.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// Verify checks s against r and body using the caller's secret key at time
// now. It checks the clock first, then the scope date, the payload hash and
// finally the signature, compared in constant time. Errors are *Error of
// KindExpired or KindMismatch.
func (s *Signature) Verify(r *http.Request, body []byte, secret string, now time.Time) error {
	if err := s.checkTime(now); err != nil {
		return err
	}
	if err := s.checkScopeDate(); err != nil {
		return err
	}
	payload, err := payloadHash(r.Header, body)
	if err != nil {
		return err
	}
	headers, err := canonicalHeaders(r, s.SignedHeaders)
	if err != nil {
		return err
	}
	query := canonicalQuery(r.URL.RawQuery, s.Presigned)
	signed := strings.Join(s.SignedHeaders, ";")
	key := signingKey(secret, s.Scope)
	for _, uri := range canonicalURIs(requestPath(r)) {
		creq := canonicalRequest(r.Method, uri, query, headers, signed, payload)
		if hmac.Equal([]byte(s.compute(key, creq)), []byte(s.signature)) {
			return nil
		}
	}
	return newError(KindMismatch, msgMismatch)
}

// checkTime applies AWS's rules: header signatures are valid within MaxSkew
// of now; presigned URLs from their date until date+Expires, and (like
// header signatures) not more than MaxSkew ahead of the server clock.
func (s *Signature) checkTime(now time.Time) error {
	now = now.UTC()
	if s.Presigned && now.After(s.Date.Add(s.Expires)) {
		return newError(KindExpired, "Request has expired")
	}
	if earliest := now.Add(-MaxSkew); !s.Presigned && s.Date.Before(earliest) {
		return errorf(KindExpired, "Signature expired: %s is now earlier than %s (%s - 15 min.)",
			s.Date.Format(timeFormat), earliest.Format(timeFormat), now.Format(timeFormat))
	}
	if latest := now.Add(MaxSkew); s.Date.After(latest) {
		return errorf(KindExpired, "Signature not yet current: %s is still later than %s (%s + 15 min.)",
			s.Date.Format(timeFormat), latest.Format(timeFormat), now.Format(timeFormat))
	}
	return nil
}

// checkScopeDate rejects a key derived for a different day than the request
// claims, which the signature alone would not catch.
func (s *Signature) checkScopeDate() error {
	if d := s.Date.UTC().Format(dateFormat); s.Scope.Date != d {
		return errorf(KindMismatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			s.Scope.Date, d, s.Date.UTC().Format(timeFormat))
	}
	return nil
}

// payloadHash returns the payload hash the client signed: the
// X-Amz-Content-Sha256 header when present (which must then be the body's
// hash or UNSIGNED-PAYLOAD), otherwise the body's hash.
func payloadHash(h http.Header, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	computed := hex.EncodeToString(sum[:])
	claimed := h.Get("X-Amz-Content-Sha256")
	switch claimed {
	case "":
		return computed, nil
	case unsignedPayload, computed:
		return claimed, nil
	}
	return "", newError(KindMismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
}
