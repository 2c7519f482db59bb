package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Credentials are the keys a client signs with.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string // sent as X-Amz-Security-Token when not empty
}

// optionalSigned are the headers Sign includes when the request has them,
// besides host and x-amz-date which it always signs. They are the headers
// whose tampering changes what an AWS API call means.
var optionalSigned = []string{"content-type", "x-amz-content-sha256", "x-amz-security-token", "x-amz-target"}

// Sign signs r for region and service at time now: it sets X-Amz-Date,
// X-Amz-Security-Token (when creds has a session token) and Authorization.
// body must be the bytes r will send. The payload hash is the
// X-Amz-Content-Sha256 header when set (it must then be the body's SHA-256 or
// UNSIGNED-PAYLOAD, else Sign fails), otherwise the body's SHA-256. Sign does
// not rewrite r.URL; the server canonicalizes the query as sent.
func Sign(r *http.Request, body []byte, creds Credentials, region, service string, now time.Time) error {
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return errors.New("sigv4: sign request: missing access key id or secret access key")
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	now = now.UTC()
	r.Header.Set("X-Amz-Date", now.Format(timeFormat))
	if creds.SessionToken != "" {
		r.Header.Set("X-Amz-Security-Token", creds.SessionToken)
	}
	s := &Signature{
		AccessKeyID:   creds.AccessKeyID,
		Date:          now,
		Scope:         Scope{Date: now.Format(dateFormat), Region: region, Service: service},
		SignedHeaders: headersToSign(r.Header),
	}
	payload, err := payloadHash(r.Header, body)
	if err != nil {
		return err
	}
	headers, err := canonicalHeaders(r, s.SignedHeaders)
	if err != nil {
		return err
	}
	creq := canonicalRequest(r.Method, uriEncode(requestPath(r), true), canonicalQuery(r.URL.RawQuery, false),
		headers, strings.Join(s.SignedHeaders, ";"), payload)
	s.signature = s.compute(signingKey(creds.SecretAccessKey, s.Scope), creq)
	r.Header.Set("Authorization", s.authorization())
	return nil
}

// headersToSign lists, sorted, host, x-amz-date and those optionalSigned
// headers that h carries.
func headersToSign(h http.Header) []string {
	names := []string{"host", "x-amz-date"}
	for _, n := range optionalSigned {
		if len(h.Values(n)) > 0 {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// authorization formats the Authorization header the way aws-sdk-go-v2 does.
func (s *Signature) authorization() string {
	return algorithm + " Credential=" + s.AccessKeyID + "/" + s.Scope.String() +
		", SignedHeaders=" + strings.Join(s.SignedHeaders, ";") +
		", Signature=" + s.signature
}

// compute returns the hex signature of a canonical request under key.
func (s *Signature) compute(key []byte, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	toSign := algorithm + "\n" + s.Date.UTC().Format(timeFormat) + "\n" + s.Scope.String() + "\n" + hex.EncodeToString(sum[:])
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

// deriveSigningKey derives the SigV4 signing key for scope. It is the only
// place the secret is used; signingKey (keycache.go) wraps it in a cache.
func deriveSigningKey(secret string, scope Scope) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), scope.Date)
	k = hmacSHA256(k, scope.Region)
	k = hmacSHA256(k, scope.Service)
	return hmacSHA256(k, terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
