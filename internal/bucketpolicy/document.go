package bucketpolicy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/deploytrail/deploytrail/internal/iam/policy"
)

// The shape of a policy Default writes, in the order AWS documents it.
type (
	document struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}
	statement struct {
		Sid       string                       `json:"Sid"`
		Effect    string                       `json:"Effect"`
		Principal map[string]string            `json:"Principal"`
		Action    string                       `json:"Action"`
		Resource  any                          `json:"Resource"`
		Condition map[string]map[string]string `json:"Condition"`
	}
)

// Default is AWS's documented CloudTrail bucket policy (spec §7.5) for a
// bucket owned by account: CloudTrail may read the bucket's ACL and put
// objects, with the bucket-owner-full-control ACL, under
// AWSLogs/<account>/ and, when account manages organization orgID, under
// AWSLogs/<orgID>/ (organization trails), each also below any key prefix
// (AWS's policy names one prefix; deploytrail's buckets are made before
// their trails, so it grants any); both only for account's own trails
// (aws:SourceAccount). Other accounts' trails need a policy that names
// their paths too (spec §10.2).
func Default(bucket, account, orgID string) string {
	principal := map[string]string{"Service": ServicePrincipal}
	var paths []string
	for _, id := range []string{account, orgID} {
		if id != "" {
			paths = append(paths, BucketARN(bucket)+"/AWSLogs/"+id+"/*", BucketARN(bucket)+"/*/AWSLogs/"+id+"/*")
		}
	}
	doc := document{Version: policy.Version2012, Statement: []statement{
		{Sid: "AWSCloudTrailAclCheck20150319", Effect: "Allow", Principal: principal, Action: "s3:GetBucketAcl",
			Resource: BucketARN(bucket), Condition: map[string]map[string]string{"StringEquals": {"aws:SourceAccount": account}}},
		{Sid: "AWSCloudTrailWrite20150319", Effect: "Allow", Principal: principal, Action: "s3:PutObject", Resource: paths,
			Condition: map[string]map[string]string{"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": account}}},
	}}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err) // maps and strings always marshal
	}
	return string(out)
}

// Parse reads a bucket policy the way S3's PutBucketPolicy checks it: at
// most MaxPolicyBytes, a valid resource-based policy (every statement
// names a principal and a resource), and every resource in bucket.
func Parse(bucket, text string) (*policy.Document, error) {
	if len(text) > MaxPolicyBytes {
		return nil, fmt.Errorf("policy exceeds the maximum allowed document size of %d bytes", MaxPolicyBytes)
	}
	doc, err := policy.Parse(text, policy.ResourceBased)
	if err != nil {
		return nil, err
	}
	for _, st := range doc.Statements {
		for _, r := range append(st.Resource, st.NotResource...) {
			if r != BucketARN(bucket) && !strings.HasPrefix(r, BucketARN(bucket)+"/") {
				return nil, fmt.Errorf("policy has invalid resource %q: it must be bucket %s or objects in it", r, bucket)
			}
		}
	}
	return doc, nil
}
