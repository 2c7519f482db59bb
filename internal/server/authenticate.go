package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/sigv4"
)

// Authentication error codes, as JSON services name them; queryCodes
// gives the Query protocol's names.
const (
	codeMissingToken     = "MissingAuthenticationTokenException"
	codeIncomplete       = "IncompleteSignatureException"
	codeInvalidSignature = "InvalidSignatureException"
	codeUnrecognized     = "UnrecognizedClientException"
	codeExpiredToken     = "ExpiredTokenException"
	codeRequestExpired   = "RequestExpired" // Query's name for a stale signature
)

func authFailure(code, msg string) error {
	return awserr.New(code, msg).WithStatus(http.StatusForbidden)
}

// authError answers a SigV4 failure.
func authError(err error) error {
	var e *sigv4.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Kind {
	case sigv4.KindMissing:
		return authFailure(codeMissingToken, "Missing Authentication Token")
	case sigv4.KindIncomplete: // a malformed request, not a refused one: 400
		return awserr.New(codeIncomplete, e.Message)
	case sigv4.KindExpired:
		return authFailure(codeRequestExpired, e.Message)
	}
	return authFailure(codeInvalidSignature, e.Message)
}

// authenticate verifies the request's signature against the credential
// it names and puts the caller into the request's call.
func (s *Server) authenticate(ctx context.Context, req *request) bool {
	if req.anonymous {
		return s.authenticateAnonymous(req)
	}
	if req.sigErr != nil {
		s.refuse(req, authError(req.sigErr))
		return false
	}
	sig := req.sig
	if sig.Scope.Service != req.svc.Name {
		s.refuse(req, authFailure(codeInvalidSignature, "Credential should be scoped to correct service: '"+req.svc.Name+"'. "))
		return false
	}
	cred, err := s.IAM.Credential(ctx, sig.AccessKeyID)
	if err == nil {
		err = authError(sig.Verify(req.r, req.body, cred.Secret(), s.now()))
	}
	if err == nil {
		err = cred.CheckToken(sig.SecurityToken, s.IAM.Now())
	}
	if err != nil {
		s.refuse(req, credentialError(err))
		return false
	}
	req.call = &awsproto.Call{RequestID: req.id, Service: req.svc, Operation: req.opName, Region: sig.Scope.Region,
		Time: req.start, SourceIP: s.sourceIP(req.r), UserAgent: req.r.UserAgent(), TLS: tlsDetails(req.r),
		Principal: cred.Principal, Auth: cred}
	if err := s.IAM.NoteKeyUse(ctx, cred, req.svc.Name, sig.Scope.Region); err != nil {
		s.Logger.Warn("record access key use", "request_id", req.id, "err", err)
	}
	return true
}

// authenticateAnonymous admits an unsigned call whose params name the
// account it acts in (the topic's owner, whose history records it); any
// other unsigned call is refused as unauthenticated.
func (s *Server) authenticateAnonymous(req *request) bool {
	params, err := s.decode(req)
	var account, region string
	ok := err == nil
	if ok {
		account, region, ok = req.op.Anonymous(params)
	}
	if !ok {
		s.refuse(req, authError(req.sigErr))
		return false
	}
	req.call = &awsproto.Call{RequestID: req.id, Service: req.svc, Operation: req.opName, Region: region,
		Time: req.start, SourceIP: s.sourceIP(req.r), UserAgent: req.r.UserAgent(), TLS: tlsDetails(req.r),
		Principal: awsproto.Anonymous(), Recipient: account}
	return true
}

func credentialError(err error) error {
	switch {
	case errors.Is(err, iam.ErrExpiredToken):
		return authFailure(codeExpiredToken, "The security token included in the request is expired")
	case errors.Is(err, iam.ErrInvalidToken):
		return authFailure(codeUnrecognized, "The security token included in the request is invalid.")
	}
	return err
}

// refuse answers a request that failed authentication and counts it; the
// log gets a summary per code at most every authLogInterval, with the
// last refused peer (never the credentials). Stray requests (see
// isAPICall) are refused but not counted.
func (s *Server) refuse(req *request, err error) {
	if code, pub := req.wireError(err); pub.Code != awserr.CodeInternalFailure && req.isAPICall() {
		req.authFailure = code
		if counts := s.authFailures.note(code, s.now()); counts != nil {
			s.Logger.Warn("requests failed authentication", "by_code", counts, "total", s.authFailures.Total(),
				"last_source_ip", s.sourceIP(req.r))
		}
	}
	s.fail(req, err)
}
