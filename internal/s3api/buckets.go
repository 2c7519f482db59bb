package s3api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/deploytrail/deploytrail/internal/bucketpolicy"
)

// ListBuckets: the caller's account's buckets, by name.
func (s *Service) listBuckets(ctx context.Context, req *Request) (*Response, error) {
	all, err := s.Registry.Buckets(ctx)
	if err != nil {
		return nil, err
	}
	account := req.Call.Account()
	out := &listAllMyBucketsResult{Xmlns: Namespace, Owner: Owner{ID: CanonicalUserID(account)}, Buckets: []bucketItem{}}
	for _, b := range all {
		rec, err := s.Policies.Effective(ctx, b.Name)
		if err != nil {
			return nil, err
		}
		if rec.Owner == account {
			out.Buckets = append(out.Buckets, bucketItem{Name: b.Name, CreationDate: xmlTime(b.Created), BucketRegion: s.region()})
		}
	}
	slices.SortFunc(out.Buckets, func(a, b bucketItem) int { return strings.Compare(a.Name, b.Name) })
	return s.xmlResponse(req, marshal(out)), nil
}

// CreateBucket: a new bucket owned by the caller's account. A name taken
// by the caller is BucketAlreadyOwnedByYou (409) in every region,
// us-east-1 included, where AWS answers 200 for legacy reasons; a name
// taken by another account is BucketAlreadyExists.
func (s *Service) createBucket(ctx context.Context, req *Request) (*Response, error) {
	params := baseParams(req)
	if err := s.checkLocation(req, params); err != nil {
		return nil, err
	}
	name := req.Target.Bucket
	b, err := s.Buckets.Bucket(name)
	if err != nil {
		return nil, Errorf(CodeInvalidBucketName, "The specified bucket is not valid.")
	}
	existed, err := b.Exists(ctx)
	if err != nil {
		return nil, err
	}
	account := req.Call.Account()
	resp := &Response{Status: http.StatusOK, Header: http.Header{"Location": {"/" + name}}, RequestParameters: params}
	resp.Commit = func(ctx context.Context) error {
		if err := s.claim(ctx, name, account, existed); err != nil {
			return err
		}
		return b.Create(ctx)
	}
	resp.Abort = func() {
		if !existed {
			// The transaction rolled the claim back: the directory made
			// in it must not outlive it as the management account's.
			s.Registry.RemoveBucket(context.WithoutCancel(ctx), name)
		}
	}
	return resp, nil
}

// claim records account as the new bucket's owner, or says who has it.
func (s *Service) claim(ctx context.Context, name, account string, existed bool) error {
	rec, err := s.Policies.Effective(ctx, name)
	if err != nil {
		return err
	}
	_, recErr := s.Policies.Stored(ctx, name)
	if recErr != nil && !errors.Is(recErr, bucketpolicy.ErrNotFound) {
		return recErr
	}
	// A record without its directory (a deletion whose commit failed
	// after the directory went) still reserves the name for its owner,
	// who may create the bucket again.
	switch {
	case existed && rec.Owner == account:
		return Errorf(CodeBucketAlreadyOwnedByYou, "Your previous request to create the named bucket succeeded and you already own it.")
	case (existed || recErr == nil) && rec.Owner != account:
		return Errorf(CodeBucketAlreadyExists, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
	}
	return s.Policies.Claim(ctx, name, account)
}

// checkLocation applies S3's rules to CreateBucketConfiguration: the
// buckets live in one region, whose name S3 refuses as a constraint
// (us-east-1 is the absence of one); any other region is not this
// endpoint's.
func (s *Service) checkLocation(req *Request, params map[string]any) error {
	body, err := readSmall(req.Body, MaxXMLBytes)
	if errors.Is(err, errTooLarge) {
		return malformedXML()
	}
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	var conf createBucketConfiguration
	if err := decodeXML(body, &conf); err != nil {
		return err
	}
	lc := conf.LocationConstraint
	params["CreateBucketConfiguration"] = map[string]any{"xmlns": Namespace, "LocationConstraint": cut(lc)}
	switch {
	case lc == "":
		return nil
	case lc == DefaultRegion && s.region() == DefaultRegion:
		return Errorf(CodeInvalidLocation, "The specified location-constraint is not valid")
	case lc != s.region():
		return Errorf(CodeIllegalLocation, "The %s location constraint is incompatible for the region specific endpoint this request was sent to.", cut(lc))
	}
	return nil
}

// DeleteBucket: only an empty bucket; its owner and policy go with it.
func (s *Service) deleteBucket(ctx context.Context, req *Request) (*Response, error) {
	name := req.Target.Bucket
	b, err := s.existingBucket(ctx, name)
	if err != nil {
		return nil, err
	}
	resp := &Response{Status: http.StatusNoContent, RequestParameters: baseParams(req)}
	resp.Commit = func(ctx context.Context) error {
		release := s.locks.hold(name, true)
		defer release()
		objs, err := b.List(ctx, "", "", 1)
		if err != nil {
			return err
		}
		if len(objs) > 0 {
			return Errorf(CodeBucketNotEmpty, "The bucket you tried to delete is not empty")
		}
		if err := s.Policies.Forget(ctx, name); err != nil {
			return err
		}
		return s.Registry.RemoveBucket(ctx, name)
	}
	return resp, nil
}

// HeadBucket: 200 with the bucket's region.
func (s *Service) headBucket(ctx context.Context, req *Request) (*Response, error) {
	h := http.Header{"X-Amz-Bucket-Region": {s.region()}}
	return &Response{Status: http.StatusOK, Header: h, RequestParameters: baseParams(req)}, nil
}

// GetBucketLocation: empty for us-east-1, as S3 answers.
func (s *Service) getBucketLocation(ctx context.Context, req *Request) (*Response, error) {
	out := &locationConstraint{Xmlns: Namespace}
	if s.region() != DefaultRegion {
		out.Region = s.region()
	}
	resp := s.xmlResponse(req, marshal(out))
	resp.RequestParameters["location"] = ""
	return resp, nil
}

// GetBucketPolicy: the policy in force. Every bucket has one: a bucket
// without a policy of its own has CloudTrail's default for its owner
// (bucketpolicy.Default), which is what governs delivery there.
func (s *Service) getBucketPolicy(ctx context.Context, req *Request) (*Response, error) {
	rec, err := s.Policies.Effective(ctx, req.Target.Bucket)
	if err != nil {
		return nil, err
	}
	params := baseParams(req)
	params["policy"] = ""
	h := http.Header{"Content-Type": {"application/json"}}
	return &Response{Status: http.StatusOK, Header: h, Body: []byte(rec.Policy), RequestParameters: params}, nil
}

// PutBucketPolicy: S3's checks (size, grammar, resources in the bucket),
// answered MalformedPolicy.
func (s *Service) putBucketPolicy(ctx context.Context, req *Request) (*Response, error) {
	body, err := readSmall(req.Body, bucketpolicy.MaxPolicyBytes)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, Errorf(CodeMalformedPolicy, "Policies must be less than %d bytes", bucketpolicy.MaxPolicyBytes)
		}
		return nil, err
	}
	text := string(body)
	if _, err := bucketpolicy.Parse(req.Target.Bucket, text); err != nil {
		return nil, Errorf(CodeMalformedPolicy, "%s", cut(err.Error()))
	}
	params := baseParams(req)
	params["policy"] = ""
	params["bucketPolicy"] = text
	resp := &Response{Status: http.StatusNoContent, RequestParameters: params}
	resp.Commit = func(ctx context.Context) error { return s.Policies.SetPolicy(ctx, req.Target.Bucket, text) }
	return resp, nil
}

// DeleteBucketPolicy: the bucket falls back to CloudTrail's default
// policy for its owner (see getBucketPolicy).
func (s *Service) deleteBucketPolicy(ctx context.Context, req *Request) (*Response, error) {
	params := baseParams(req)
	params["policy"] = ""
	resp := &Response{Status: http.StatusNoContent, RequestParameters: params}
	resp.Commit = func(ctx context.Context) error { return s.Policies.SetPolicy(ctx, req.Target.Bucket, "") }
	return resp, nil
}

// xmlResponse is a 200 with an XML body.
func (s *Service) xmlResponse(req *Request, body []byte) *Response {
	return &Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/xml"}}, Body: body,
		RequestParameters: baseParams(req)}
}

// baseParams are the requestParameters CloudTrail records for every S3
// call: the bucket, the key and the Host the client sent.
func baseParams(req *Request) map[string]any {
	p := map[string]any{"Host": cut(req.HTTP.Host)}
	if req.Target.Bucket != "" {
		p["bucketName"] = req.Target.Bucket
	}
	if req.Target.Key != "" {
		p["key"] = req.Target.Key
	}
	return p
}

// errTooLarge is a small body over its limit.
var errTooLarge = errors.New("body too large")

// readSmall reads a body of at most max bytes (an XML or JSON document).
func readSmall(r io.Reader, max int64) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > max {
		return nil, errTooLarge
	}
	return body, nil
}
