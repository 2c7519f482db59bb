package s3api

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// Op is one S3 operation: its name (CloudTrail's eventName), the IAM
// action it is authorized as, and how it is recorded.
type Op struct {
	Name     string
	Action   string
	ReadOnly bool
	// Data marks object-level operations: CloudTrail data events.
	Data bool
	// On says what the operation acts on: the account's buckets, a
	// bucket, or an object.
	On Level
}

// Level is what an operation acts on.
type Level int

// Levels of operations.
const (
	OnService Level = iota
	OnBucket
	OnObject
)

// The operations served (multipart upload's are in multipart.go).
var (
	opListBuckets        = &Op{Name: "ListBuckets", Action: "s3:ListAllMyBuckets", ReadOnly: true, On: OnService}
	opCreateBucket       = &Op{Name: "CreateBucket", Action: "s3:CreateBucket", On: OnBucket}
	opDeleteBucket       = &Op{Name: "DeleteBucket", Action: "s3:DeleteBucket", On: OnBucket}
	opHeadBucket         = &Op{Name: "HeadBucket", Action: "s3:ListBucket", ReadOnly: true, On: OnBucket}
	opGetBucketLocation  = &Op{Name: "GetBucketLocation", Action: "s3:GetBucketLocation", ReadOnly: true, On: OnBucket}
	opGetBucketPolicy    = &Op{Name: "GetBucketPolicy", Action: "s3:GetBucketPolicy", ReadOnly: true, On: OnBucket}
	opPutBucketPolicy    = &Op{Name: "PutBucketPolicy", Action: "s3:PutBucketPolicy", On: OnBucket}
	opDeleteBucketPolicy = &Op{Name: "DeleteBucketPolicy", Action: "s3:DeleteBucketPolicy", On: OnBucket}
	opListObjects        = &Op{Name: "ListObjects", Action: "s3:ListBucket", ReadOnly: true, On: OnBucket}
	opListObjectsV2      = &Op{Name: "ListObjectsV2", Action: "s3:ListBucket", ReadOnly: true, On: OnBucket}
	opDeleteObjects      = &Op{Name: "DeleteObjects", Action: "s3:DeleteObject", Data: true, On: OnBucket}
	opPutObject          = &Op{Name: "PutObject", Action: "s3:PutObject", Data: true, On: OnObject}
	opCopyObject         = &Op{Name: "CopyObject", Action: "s3:PutObject", Data: true, On: OnObject}
	opGetObject          = &Op{Name: "GetObject", Action: "s3:GetObject", ReadOnly: true, Data: true, On: OnObject}
	opHeadObject         = &Op{Name: "HeadObject", Action: "s3:GetObject", ReadOnly: true, Data: true, On: OnObject}
	opDeleteObject       = &Op{Name: "DeleteObject", Action: "s3:DeleteObject", Data: true, On: OnObject}
)

// Target is a routed request: the operation and what it names.
type Target struct {
	Op     *Op
	Bucket string
	Key    string
	// VirtualHost is set when the bucket came from the Host header.
	VirtualHost bool
}

// Resource is the ARN the operation is authorized on.
func (t *Target) Resource() string {
	switch {
	case t.Op.On == OnService:
		return "*"
	case t.Op.On == OnObject:
		return BucketARN(t.Bucket) + "/" + t.Key
	}
	return BucketARN(t.Bucket)
}

// BucketARN is a bucket's ARN.
func BucketARN(bucket string) string { return "arn:aws:s3:::" + bucket }

// unsupported are S3 subresources deploytrail does not serve; a request
// naming one is NotImplemented, never mistaken for a plain object or
// bucket call.
var unsupported = []string{"acl", "accelerate", "analytics", "attributes", "cors", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "lifecycle", "logging", "metadataTable", "metrics",
	"notification", "object-lock", "ownershipControls", "partNumber", "policyStatus", "publicAccessBlock",
	"replication", "requestPayment", "restore", "retention", "select", "session", "tagging", "torrent",
	"versioning", "versions", "website"}

// Route finds the operation of an S3 request. Buckets are named in the
// path (/bucket/key) or, when domain is set, by a Host of
// <bucket>.<domain> (virtual-hosted style). The key is the decoded path
// after the bucket.
func Route(r *http.Request, domain string) (*Target, error) {
	t := &Target{}
	path := r.URL.Path
	if b := HostBucket(r.Host, domain); b != "" {
		t.Bucket, t.VirtualHost = b, true
		t.Key = strings.TrimPrefix(path, "/")
	} else {
		rest := strings.TrimPrefix(path, "/")
		t.Bucket, t.Key, _ = strings.Cut(rest, "/")
	}
	if err := checkNames(t); err != nil {
		return nil, err
	}
	q := r.URL.Query()
	if op, ok, err := multipartOp(r, t, q); ok && err != nil {
		return nil, err
	} else if ok {
		t.Op = op
		return t, nil
	}
	if op, ok, err := bucketConfigOp(r, t, q.Has); ok && err != nil {
		return nil, err
	} else if ok {
		t.Op = op
		return t, nil
	}
	for _, sub := range unsupported {
		if q.Has(sub) {
			return nil, notImplemented("The ?" + sub + " subresource")
		}
	}
	op, err := pickOp(r, t, q)
	if err != nil {
		return nil, err
	}
	t.Op = op
	return t, nil
}

// HostBucket is the bucket a virtual-hosted request names in its Host, or
// "" for a path-style request.
func HostBucket(host, domain string) string {
	if domain == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	b, ok := strings.CutSuffix(host, "."+strings.ToLower(domain))
	if !ok {
		return ""
	}
	return b
}

// checkNames refuses bucket names and keys no bucket can hold, before
// anything else looks at them.
func checkNames(t *Target) error {
	if t.Bucket == "" {
		if t.Key != "" {
			return Errorf(CodeInvalidBucketName, "The specified bucket is not valid.")
		}
		return nil
	}
	if objstore.ValidateBucketName(t.Bucket) != nil {
		return Errorf(CodeInvalidBucketName, "The specified bucket is not valid.")
	}
	if len(t.Key) > objstore.MaxKeyLen {
		return Errorf(CodeKeyTooLong, "Your key is too long")
	}
	if t.Key != "" && objstore.ValidateKey(t.Key) != nil {
		return invalidArgument("Object key %q is not supported: deploytrail's buckets take UTF-8 keys without NUL, "+
			"empty, \".\" or \"..\" segments, or a leading, trailing or doubled \"/\".", cut(t.Key))
	}
	return nil
}

// pickOp chooses the operation by method and level.
func pickOp(r *http.Request, t *Target, q url.Values) (*Op, error) {
	switch {
	case t.Bucket == "":
		return serviceOp(r.Method)
	case t.Key == "":
		return bucketOp(r.Method, q)
	}
	return objectOp(r, q)
}

func serviceOp(method string) (*Op, error) {
	if method == http.MethodGet {
		return opListBuckets, nil
	}
	return nil, methodNotAllowed(method)
}

func bucketOp(method string, q url.Values) (*Op, error) {
	switch method {
	case http.MethodGet:
		switch {
		case q.Has("location"):
			return opGetBucketLocation, nil
		case q.Has("policy"):
			return opGetBucketPolicy, nil
		case q.Get("list-type") == "2":
			return opListObjectsV2, nil
		}
		return opListObjects, nil
	case http.MethodHead:
		return opHeadBucket, nil
	case http.MethodPut:
		if q.Has("policy") {
			return opPutBucketPolicy, nil
		}
		return opCreateBucket, nil
	case http.MethodDelete:
		if q.Has("policy") {
			return opDeleteBucketPolicy, nil
		}
		return opDeleteBucket, nil
	case http.MethodPost:
		if q.Has("delete") {
			return opDeleteObjects, nil
		}
	}
	return nil, methodNotAllowed(method)
}

func objectOp(r *http.Request, q url.Values) (*Op, error) {
	switch r.Method {
	case http.MethodGet:
		return opGetObject, nil
	case http.MethodHead:
		return opHeadObject, nil
	case http.MethodPut:
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			return opCopyObject, nil
		}
		return opPutObject, nil
	case http.MethodDelete:
		return opDeleteObject, nil
	}
	return nil, methodNotAllowed(r.Method)
}

func methodNotAllowed(method string) error {
	return Errorf(CodeMethodNotAllowed, "The specified method is not allowed against this resource.")
}

// cut bounds a client's value repeated in a message.
func cut(s string) string { return awserr.Cut(s, awserr.EchoLimit) }
