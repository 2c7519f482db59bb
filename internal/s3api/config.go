package s3api

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"time"

	"github.com/deploytrail/deploytrail/internal/checksum"
	"github.com/deploytrail/deploytrail/internal/lifecycle"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// Bucket configuration: lifecycle rules (kept by lifecycle.Rules, which
// deploytrail enforces on the directory buckets), default encryption
// (kept with the bucket's owner and policy by bucketpolicy; see
// encryption.go) and versioning (never kept).
var (
	opGetBucketLifecycle     = &Op{Name: "GetBucketLifecycle", Action: "s3:GetLifecycleConfiguration", ReadOnly: true, On: OnBucket}
	opPutBucketLifecycle     = &Op{Name: "PutBucketLifecycle", Action: "s3:PutLifecycleConfiguration", On: OnBucket}
	opDeleteBucketLifecycle  = &Op{Name: "DeleteBucketLifecycle", Action: "s3:PutLifecycleConfiguration", On: OnBucket}
	opGetBucketEncryption    = &Op{Name: "GetBucketEncryption", Action: "s3:GetEncryptionConfiguration", ReadOnly: true, On: OnBucket}
	opPutBucketEncryption    = &Op{Name: "PutBucketEncryption", Action: "s3:PutEncryptionConfiguration", On: OnBucket}
	opDeleteBucketEncryption = &Op{Name: "DeleteBucketEncryption", Action: "s3:PutEncryptionConfiguration", On: OnBucket}
	opGetBucketVersioning    = &Op{Name: "GetBucketVersioning", Action: "s3:GetBucketVersioning", ReadOnly: true, On: OnBucket}
	opPutBucketVersioning    = &Op{Name: "PutBucketVersioning", Action: "s3:PutBucketVersioning", On: OnBucket}
)

// bucketConfigs are the bucket subresources served, by method.
var bucketConfigs = map[string]map[string]*Op{
	"lifecycle":  {http.MethodGet: opGetBucketLifecycle, http.MethodPut: opPutBucketLifecycle, http.MethodDelete: opDeleteBucketLifecycle},
	"encryption": {http.MethodGet: opGetBucketEncryption, http.MethodPut: opPutBucketEncryption, http.MethodDelete: opDeleteBucketEncryption},
	"versioning": {http.MethodGet: opGetBucketVersioning, http.MethodPut: opPutBucketVersioning},
}

// bucketConfigOp routes a bucket-level request naming one of
// bucketConfigs; ok is false for any other request.
func bucketConfigOp(r *http.Request, t *Target, has func(string) bool) (op *Op, ok bool, err error) {
	if t.Key != "" || t.Bucket == "" {
		return nil, false, nil
	}
	for sub, byMethod := range bucketConfigs {
		if has(sub) {
			if op := byMethod[r.Method]; op != nil {
				return op, true, nil
			}
			return nil, true, methodNotAllowed(r.Method)
		}
	}
	return nil, false, nil
}

// configParams are a bucket configuration call's requestParameters.
func configParams(req *Request, sub string) map[string]any {
	p := baseParams(req)
	p[sub] = ""
	return p
}

// readConfig reads a configuration's XML body, verified against its
// Content-MD5 or checksum.
func readConfig(req *Request, v any) error {
	want, err := checksum.FromHeaders(req.HTTP.Header)
	if err != nil {
		return checksumError(err)
	}
	body, err := readSmall(checksum.NewReader(req.Body, want), MaxXMLBytes)
	if errors.Is(err, errTooLarge) {
		return malformedXML()
	}
	if err != nil {
		return checksumError(bodyError(err))
	}
	return decodeXML(body, v)
}

func (s *Service) lifecycleStore() (lifecycle.Rules, error) {
	if s.Lifecycle == nil {
		return nil, notImplemented("Lifecycle configuration")
	}
	return s.Lifecycle, nil
}

// GetBucketLifecycleConfiguration: the rules in S3's XML, or
// NoSuchLifecycleConfiguration.
func (s *Service) getBucketLifecycle(ctx context.Context, req *Request) (*Response, error) {
	store, err := s.lifecycleStore()
	if err != nil {
		return nil, err
	}
	cfg, err := store.Get(ctx, req.Target.Bucket)
	if err != nil {
		return nil, err
	}
	resp := s.xmlResponse(req, marshal(lifecycleToXML(cfg)))
	resp.RequestParameters = configParams(req, "lifecycle")
	return resp, nil
}

// PutBucketLifecycleConfiguration: checked with the lifecycle package's
// rules and S3's codes; stored when the call's event is.
func (s *Service) putBucketLifecycle(ctx context.Context, req *Request) (*Response, error) {
	store, err := s.lifecycleStore()
	if err != nil {
		return nil, err
	}
	var in lifecycleXML
	if err := readConfig(req, &in); err != nil {
		return nil, err
	}
	cfg, err := in.configuration()
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	resp := &Response{Status: http.StatusOK, RequestParameters: configParams(req, "lifecycle")}
	resp.Commit = func(ctx context.Context) error { return store.Put(ctx, req.Target.Bucket, cfg) }
	return resp, nil
}

// DeleteBucketLifecycle: removes the rules (none is no error, as S3).
func (s *Service) deleteBucketLifecycle(ctx context.Context, req *Request) (*Response, error) {
	store, err := s.lifecycleStore()
	if err != nil {
		return nil, err
	}
	resp := &Response{Status: http.StatusNoContent, RequestParameters: configParams(req, "lifecycle")}
	resp.Commit = func(ctx context.Context) error { return store.Delete(ctx, req.Target.Bucket) }
	return resp, nil
}

// GetBucketEncryption: the default encryption put, or SSE-S3 (AES256),
// S3's default for every bucket.
func (s *Service) getBucketEncryption(ctx context.Context, req *Request) (*Response, error) {
	rec, err := s.Policies.Effective(ctx, req.Target.Bucket)
	if err != nil {
		return nil, err
	}
	def := &encryptionDefault{Algorithm: string(objstore.SSES3)}
	if rec.Encryption.Mode == objstore.SSEKMS {
		def = &encryptionDefault{Algorithm: string(objstore.SSEKMS), KMSKeyID: rec.Encryption.KMSKeyID}
	}
	out := &encryptionXML{Xmlns: Namespace, Rules: []encryptionRule{{Default: def}}}
	resp := s.xmlResponse(req, marshal(out))
	resp.RequestParameters = configParams(req, "encryption")
	return resp, nil
}

// PutBucketEncryption: AES256, or aws:kms with an optional
// KMSMasterKeyID (kept as put, resolved in the owner's account when an
// object gets it); stored when the call's event is. DSSE-KMS is refused.
func (s *Service) putBucketEncryption(ctx context.Context, req *Request) (*Response, error) {
	var in encryptionXML
	if err := readConfig(req, &in); err != nil {
		return nil, err
	}
	if len(in.Rules) != 1 || in.Rules[0].Default == nil {
		return nil, malformedXML()
	}
	def := in.Rules[0].Default
	var enc objstore.Encryption
	switch def.Algorithm {
	case string(objstore.SSES3):
		if def.KMSKeyID != "" {
			return nil, invalidArgument("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse")
		}
	case string(objstore.SSEKMS):
		if _, err := kmsEncryption(s.region(), callerAccount(req), def.KMSKeyID); err != nil {
			return nil, err
		}
		enc = objstore.Encryption{Mode: objstore.SSEKMS, KMSKeyID: def.KMSKeyID}
	case "aws:kms:dsse":
		return nil, notImplemented("Default encryption with DSSE-KMS (aws:kms:dsse)")
	default:
		return nil, malformedXML()
	}
	return s.setBucketEncryption(req, enc, http.StatusOK), nil
}

// DeleteBucketEncryption: the bucket's default goes back to SSE-S3.
func (s *Service) deleteBucketEncryption(ctx context.Context, req *Request) (*Response, error) {
	return s.setBucketEncryption(req, objstore.Encryption{}, http.StatusNoContent), nil
}

// setBucketEncryption answers with status and stores enc as the bucket's
// default when the call's event is.
func (s *Service) setBucketEncryption(req *Request, enc objstore.Encryption, status int) *Response {
	resp := &Response{Status: status, RequestParameters: configParams(req, "encryption")}
	resp.Commit = func(ctx context.Context) error { return s.Policies.SetEncryption(ctx, req.Target.Bucket, enc) }
	return resp
}

// GetBucketVersioning: a bucket whose versioning was never enabled has
// no Status.
func (s *Service) getBucketVersioning(ctx context.Context, req *Request) (*Response, error) {
	resp := s.xmlResponse(req, marshal(&versioningXML{Xmlns: Namespace}))
	resp.RequestParameters = configParams(req, "versioning")
	return resp, nil
}

// PutBucketVersioning: Suspended changes nothing (versioning is never
// on); Enabled is refused, since the buckets keep one version per key.
func (s *Service) putBucketVersioning(ctx context.Context, req *Request) (*Response, error) {
	var in versioningXML
	if err := readConfig(req, &in); err != nil {
		return nil, err
	}
	switch in.Status {
	case "Enabled":
		return nil, Errorf(CodeNotImplemented, "Versioning is not kept on deploytrail's built-in buckets: each key has one version (\"null\").")
	case "Suspended", "":
	default:
		return nil, malformedXML()
	}
	resp := &Response{Status: http.StatusOK, RequestParameters: configParams(req, "versioning")}
	resp.Commit = func(context.Context) error { return nil }
	return resp, nil
}

type encryptionXML struct {
	XMLName xml.Name         `xml:"ServerSideEncryptionConfiguration"`
	Xmlns   string           `xml:"xmlns,attr,omitempty"`
	Rules   []encryptionRule `xml:"Rule"`
}

type encryptionRule struct {
	Default          *encryptionDefault `xml:"ApplyServerSideEncryptionByDefault"`
	BucketKeyEnabled bool               `xml:"BucketKeyEnabled"`
}

type encryptionDefault struct {
	Algorithm string `xml:"SSEAlgorithm"`
	KMSKeyID  string `xml:"KMSMasterKeyID,omitempty"`
}

type versioningXML struct {
	XMLName xml.Name `xml:"VersioningConfiguration"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Status  string   `xml:"Status,omitempty"`
}

// lifecycleXML is S3's LifecycleConfiguration document.
type lifecycleXML struct {
	XMLName xml.Name             `xml:"LifecycleConfiguration"`
	Xmlns   string               `xml:"xmlns,attr,omitempty"`
	Rules   []lifecycleRuleXML   `xml:"Rule"`
	Other   []unsupportedElement `xml:",any"`
}

type lifecycleRuleXML struct {
	ID          string               `xml:"ID,omitempty"`
	Filter      *lifecycleFilterXML  `xml:"Filter"`
	Prefix      *string              `xml:"Prefix"`
	Status      string               `xml:"Status"`
	Transitions []transitionXML      `xml:"Transition"`
	Expiration  *expirationXML       `xml:"Expiration"`
	Other       []unsupportedElement `xml:",any"`
}

type lifecycleFilterXML struct {
	Prefix *string              `xml:"Prefix"`
	Other  []unsupportedElement `xml:",any"`
}

type transitionXML struct {
	Days         *int       `xml:"Days"`
	Date         *time.Time `xml:"Date"`
	StorageClass string     `xml:"StorageClass"`
}

type expirationXML struct {
	Days  *int                 `xml:"Days"`
	Date  *time.Time           `xml:"Date"`
	Other []unsupportedElement `xml:",any"`
}

// unsupportedElement catches elements deploytrail's rules do not model
// (tag and size filters, noncurrent-version actions, …).
type unsupportedElement struct {
	XMLName xml.Name
}

// configuration converts the document into the lifecycle package's
// rules; an element they do not model is NotImplemented, by name.
func (x *lifecycleXML) configuration() (*lifecycle.Configuration, error) {
	if err := unsupportedIn(x.Other); err != nil {
		return nil, err
	}
	cfg := &lifecycle.Configuration{}
	for _, r := range x.Rules {
		rule := lifecycle.Rule{ID: r.ID, Status: r.Status, Prefix: r.Prefix}
		if err := unsupportedIn(r.Other); err != nil {
			return nil, err
		}
		if r.Filter != nil {
			if err := unsupportedIn(r.Filter.Other); err != nil {
				return nil, err
			}
			rule.Filter = &lifecycle.Filter{Prefix: r.Filter.Prefix}
		}
		if e := r.Expiration; e != nil {
			if err := unsupportedIn(e.Other); err != nil {
				return nil, err
			}
			rule.Expiration = &lifecycle.Expiration{Days: e.Days, Date: e.Date}
		}
		for _, t := range r.Transitions {
			rule.Transitions = append(rule.Transitions, lifecycle.Transition{Days: t.Days, Date: t.Date, StorageClass: t.StorageClass})
		}
		cfg.Rules = append(cfg.Rules, rule)
	}
	return cfg, nil
}

func unsupportedIn(els []unsupportedElement) error {
	if len(els) == 0 {
		return nil
	}
	return notImplemented("The lifecycle element " + cut(els[0].XMLName.Local))
}

// lifecycleToXML is the document GetBucketLifecycleConfiguration returns.
func lifecycleToXML(cfg *lifecycle.Configuration) *lifecycleXML {
	out := &lifecycleXML{Xmlns: Namespace}
	for _, r := range cfg.Rules {
		x := lifecycleRuleXML{ID: r.ID, Status: r.Status, Prefix: r.Prefix}
		if r.Filter != nil {
			x.Filter = &lifecycleFilterXML{Prefix: r.Filter.Prefix}
		}
		if e := r.Expiration; e != nil {
			x.Expiration = &expirationXML{Days: e.Days, Date: e.Date}
		}
		for _, t := range r.Transitions {
			x.Transitions = append(x.Transitions, transitionXML{Days: t.Days, Date: t.Date, StorageClass: t.StorageClass})
		}
		out.Rules = append(out.Rules, x)
	}
	return out
}
