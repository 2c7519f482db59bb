package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/checksum"
	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/s3api"
	"github.com/deploytrail/deploytrail/internal/sigv4"
)

// maxS3HeaderBytes bounds an S3 request's headers (names and values):
// S3's own limit is 8 KiB of headers besides user metadata's 2 KiB.
const maxS3HeaderBytes = 16 << 10

// s3Request is what the S3 path knows of a request besides request.
type s3Request struct {
	target *s3api.Target
	hostID string
	owner  string // the bucket's owner, once authorized
	resp   *s3api.Response
	// committed is set once the response's change and its event are.
	committed bool
	// bytesIn counts the body as sent; body is the payload it carries,
	// verified against the signature as it is read.
	bytesIn *countingReader
	body    *sigv4.Body
}

// IsS3 tells an S3 request from the other services' calls, from the
// headers alone: one signed for s3 (header or presigned URL), one that
// names a bucket in its Host (virtual-hosted style), any path other
// than "/" (no other API has one), and a GET or HEAD of "/" that names
// no Action (ListBuckets).
func (s *Server) IsS3(r *http.Request) bool {
	if s.S3 == nil || strings.HasPrefix(r.URL.Path, "/_deploytrail/") || r.Header.Get("X-Amz-Target") != "" {
		return false // S3 never sends X-Amz-Target; the JSON services' calls are not parsed twice
	}
	if sig, err := sigv4.Parse(r); err == nil {
		return sig.Scope.Service == "s3"
	}
	if r.URL.Path != "/" && r.URL.Path != "" {
		return true
	}
	if r.URL.Query().Has("Action") {
		return false
	}
	return r.Method == http.MethodGet || r.Method == http.MethodHead || s3api.HostBucket(r.Host, s.S3Domain) != ""
}

// IsS3Signed reports whether r is signed for S3.
func (s *Server) IsS3Signed(r *http.Request) bool {
	sig, err := sigv4.Parse(r)
	return s.S3 != nil && err == nil && sig.Scope.Service == "s3"
}

// serveS3 serves one S3 request: route, authenticate (the body is
// verified as it streams), authorize with IAM and the bucket policy,
// run, and record the call (audited in s3audit.go).
func (s *Server) serveS3(w http.ResponseWriter, r *http.Request) {
	req := &request{w: w, r: r, id: newRequestID(), start: s.now(), svc: s3api.AWSService,
		s3: &s3Request{hostID: newHostID()}}
	defer s.recoverPanic(req)
	defer func() {
		if resp := req.s3.resp; resp != nil && resp.Abort != nil && !req.s3.committed {
			resp.Abort()
		}
	}()
	defer req.releaseBody()
	s.s3Call(r.Context(), req)
	s.logRequest(req)
}

func (s *Server) s3Call(ctx context.Context, req *request) {
	if !s.routeS3(req) || !s.authenticateS3(ctx, req) || !s.s3Body(req) {
		return
	}
	ctx = awsproto.NewContext(ctx, req.call)
	if err := s.auditedS3(ctx, req); err != nil {
		s.fail(req, err)
		return
	}
	s.respondS3(req)
}

// routeS3 finds the operation and applies the bounds that need no
// credentials.
func (s *Server) routeS3(req *request) bool {
	size := 0
	for k, vs := range req.r.Header {
		for _, v := range vs {
			size += len(k) + len(v)
		}
	}
	if size > maxS3HeaderBytes {
		s.rejectS3(req, s3api.Errorf("RequestHeaderSectionTooLarge", "Your request header section exceeds the maximum allowed size."))
		return false
	}
	t, err := s3api.Route(req.r, s.S3Domain)
	if err != nil {
		s.rejectS3(req, err)
		return false
	}
	req.s3.target, req.opName = t, t.Op.Name
	return true
}

// authenticateS3 verifies the signature with S3's rules before the body
// is read (sigv4.VerifyStream): the body it hands on checks, as it is
// read, the payload hash the client signed, or decodes aws-chunked
// bodies checking each chunk's signature and the trailer.
func (s *Server) authenticateS3(ctx context.Context, req *request) bool {
	sig, err := sigv4.Parse(req.r)
	req.sig, req.sigErr = sig, err
	if err != nil {
		s.refuseS3(req, s3AuthError(err))
		return false
	}
	if sig.Scope.Service != "s3" {
		s.refuseS3(req, s3api.Errorf(s3api.CodeAuthorizationMalformed, "The authorization header is malformed; incorrect service %q. This endpoint belongs to \"s3\".", awserr.Cut(sig.Scope.Service, 64)))
		return false
	}
	cred, err := s.IAM.Credential(ctx, sig.AccessKeyID)
	if err != nil {
		s.refuseS3(req, s3CredentialError(err, true))
		return false
	}
	req.s3.bytesIn = &countingReader{r: req.r.Body}
	if req.s3.body, err = sig.VerifyStream(withBody(req.r, req.s3.bytesIn), cred.Secret(), s.now()); err != nil {
		s.refuseS3(req, s3AuthError(err))
		return false
	}
	if err := cred.CheckToken(sig.SecurityToken, s.IAM.Now()); err != nil {
		s.refuseS3(req, s3CredentialError(err, false))
		return false
	}
	req.call = &awsproto.Call{RequestID: req.id, Service: s3api.AWSService, Operation: req.opName, Region: sig.Scope.Region,
		Time: req.start, SourceIP: s.sourceIP(req.r), UserAgent: req.r.UserAgent(), TLS: tlsDetails(req.r),
		Principal: cred.Principal, Auth: cred}
	if err := s.IAM.NoteKeyUse(ctx, cred, "s3", sig.Scope.Region); err != nil {
		s.Logger.Warn("record access key use", "request_id", req.id, "err", err)
	}
	return true
}

// refuseS3 refuses a request that failed authentication without reading
// its body.
func (s *Server) refuseS3(req *request, err error) {
	s.endBody(req)
	s.refuse(req, err)
}

// endBody stops the connection's reads when a body is left unread, so
// that no stalled client holds it. A request without a body keeps its
// connection: a read deadline in the past would fail net/http's
// background read and cancel the next request's context on the
// connection.
func (s *Server) endBody(req *request) {
	if req.r.ContentLength != 0 {
		http.NewResponseController(req.w).SetReadDeadline(time.Now())
	}
}

// rejectS3 answers a request it will not serve without reading its body.
func (s *Server) rejectS3(req *request, err error) {
	s.endBody(req)
	s.fail(req, err)
}

// withBody is r reading body instead: the verifier reads the body
// through the server's counting, timeout-aware reader.
func withBody(r *http.Request, body io.Reader) *http.Request {
	c := *r
	c.Body = io.NopCloser(body)
	return &c
}

// s3AuthError is a SigV4 or body verification failure in S3's words,
// as sigv4's doc says: the request's, a chunk's or the trailer's bad
// signature is SignatureDoesNotMatch (403), broken framing IncompleteBody,
// the others 400s of their own. A trailer checksum that does not match is
// checksum's BadDigest. Other errors are returned as they are.
func s3AuthError(err error) error {
	var ce *checksum.Error
	if errors.As(err, &ce) {
		return s3api.Errorf(ce.Code, "%s", ce.Message)
	}
	var e *sigv4.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Kind {
	case sigv4.KindMissing:
		return s3api.Errorf(s3api.CodeAccessDenied, "Access Denied. Anonymous requests are not served: sign the request with SigV4.")
	case sigv4.KindIncomplete:
		return s3api.Errorf(s3api.CodeAuthorizationMalformed, "%s", e.Message)
	case sigv4.KindExpired:
		return s3api.Errorf(s3api.CodeAccessDenied, "%s", e.Message)
	case sigv4.KindInvalidRequest:
		return s3api.Errorf(s3api.CodeInvalidRequest, "%s", e.Message)
	case sigv4.KindPayloadMismatch:
		return s3api.Errorf(s3api.CodeContentSHA256Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	case sigv4.KindIncompleteBody, sigv4.KindMalformedChunk:
		return s3api.Errorf(s3api.CodeIncompleteBody, "%s", e.Message)
	case sigv4.KindInvalidChunkSize:
		return s3api.Errorf(s3api.CodeInvalidChunkSize, "%s", e.Message)
	case sigv4.KindMalformedTrailer:
		return s3api.Errorf(s3api.CodeMalformedTrailer, "%s", e.Message)
	}
	return s3api.Errorf(s3api.CodeSignatureDoesNotMatch, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
}

// s3CredentialError is a credential lookup (lookup) or token check
// failure in S3's words.
func s3CredentialError(err error, lookup bool) error {
	switch {
	case errors.Is(err, iam.ErrExpiredToken):
		return s3api.Errorf(s3api.CodeExpiredToken, "The provided token has expired.")
	case errors.Is(err, iam.ErrInvalidToken) && lookup:
		return s3api.Errorf(s3api.CodeInvalidAccessKeyID, "The AWS Access Key Id you provided does not exist in our records.")
	case errors.Is(err, iam.ErrInvalidToken):
		return s3api.Errorf(s3api.CodeInvalidToken, "The provided token is malformed or otherwise invalid.")
	}
	return err
}

// s3Body prepares the body: an object of more than S3's 5 GiB is refused
// from its Content-Length before a byte is read, a write of an object
// needs a length, and the body must arrive by a deadline set by its size.
// The body the operation reads is the verifier's (authenticateS3).
func (s *Server) s3Body(req *request) bool {
	n, op := req.r.ContentLength, req.s3.target.Op.Name
	if n > s3api.MaxObjectSize+maxChunkFraming(n) {
		s.rejectS3(req, s3api.Errorf(s3api.CodeEntityTooLarge, "Your proposed upload exceeds the maximum allowed size"))
		return false
	}
	if n < 0 && (op == "PutObject" || op == "UploadPart") {
		s.rejectS3(req, s3api.Errorf(s3api.CodeMissingContentLength, "You must provide the Content-Length HTTP header."))
		return false
	}
	if n < 0 {
		n = s3api.MaxXMLBytes
	}
	http.NewResponseController(req.w).SetReadDeadline(s.bodyDeadline(n))
	return true
}

// maxChunkFraming is how much of an aws-chunked body of n bytes may be
// chunk headers and trailer rather than payload: the decoder bounds the
// payload itself at 5 GiB, so the Content-Length bound allows for its
// framing (at most 1 KiB per 64 KiB, the smallest chunk clients send
// past the first, and 64 KiB for the trailer).
func maxChunkFraming(n int64) int64 { return n/64 + 64<<10 }

// payloadLength is the payload's declared length: Content-Length, or
// x-amz-decoded-content-length for an aws-chunked body (-1: unknown).
func (req *request) payloadLength() int64 {
	if req.s3.body.Chunked() {
		return req.s3.body.DecodedLength()
	}
	return req.r.ContentLength
}

// countingReader counts the body's bytes (additionalEventData's
// bytesTransferredIn) and turns a body that stalls past its deadline
// into RequestTimeout.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) && isTimeout(err) {
		return n, s3api.Errorf(s3api.CodeRequestTimeout, "Your socket connection to the server was not read from or written to within the timeout period.")
	}
	return n, err
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// respondS3 writes a successful answer: the body, or the object's stream.
func (s *Server) respondS3(req *request) {
	resp := req.s3.resp
	h := req.w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	s.s3Headers(req)
	if resp.Stream != nil {
		defer resp.Stream.Close()
		req.w.WriteHeader(resp.Status)
		req.status = resp.Status
		if _, err := io.Copy(req.w, resp.Stream); err != nil {
			s.Logger.Warn("send object", "request_id", req.id, "err", err)
		}
		return
	}
	if h.Get("Content-Length") == "" {
		h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	}
	req.w.WriteHeader(resp.Status)
	req.status = resp.Status
	if req.r.Method != http.MethodHead {
		req.w.Write(resp.Body)
	}
}

// failS3 answers err as S3's XML error (no body for HEAD, as S3).
func (s *Server) failS3(req *request, err error) {
	if awserr.As(err) == nil {
		s.Logger.Error("internal failure", "request_id", req.id, "operation", req.opName, "err", err)
	}
	code, msg, status := s3ErrorCode(err)
	req.errCode = code
	s.s3Headers(req)
	var bucket, key string
	if t := req.s3.target; t != nil {
		bucket, key = t.Bucket, t.Key
	}
	body := s3api.EncodeError(code, cutMessage(msg), bucket, key, req.id, req.s3.hostID)
	h := req.w.Header()
	if status == http.StatusNotModified || req.r.Method == http.MethodHead {
		body = nil
	} else {
		h.Set("Content-Type", "application/xml")
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	req.w.WriteHeader(status)
	req.w.Write(body)
	req.status = status
}

// s3ErrorCode is err in S3's codes, with its status.
func s3ErrorCode(err error) (code, msg string, status int) { return s3api.ErrorCode(err) }

// s3Headers are the ids every S3 answer carries.
func (s *Server) s3Headers(req *request) {
	h := req.w.Header()
	h.Set("X-Amz-Request-Id", req.id)
	h.Set("X-Amz-Id-2", req.s3.hostID)
	h.Set("Server", "deploytrail")
}

// newHostID is an x-amz-id-2: an opaque id of the answering host and
// request, as S3 sends.
func newHostID() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
