// Package bucketpolicy keeps the owning account, the bucket policy and the
// default encryption of each bucket trails deliver to, and decides from that policy whether
// CloudTrail may write there (spec §7.5): the policy must let the service
// principal cloudtrail.amazonaws.com read the bucket's ACL and put objects
// under the trail's AWSLogs/<account>/ (or AWSLogs/<o-id>/) path.
//
// deploytrail's buckets are directories, or buckets on an S3-compatible
// service whose own policies (MinIO's) know nothing of CloudTrail, so
// deploytrail keeps its own record of owner and policy for every bucket,
// in S3's bucket policy format, and evaluates it with IAM's evaluator.
//
// A bucket without a record, or a record without an owner or a policy,
// belongs to the management account and has the default policy (Default):
// buckets made before bucket policies existed, or directly on the S3
// service, can be written by the management account's trails only.
//
// It imports iam/policy and objstore (ErrAccessDenied); the store
// implements Store.
package bucketpolicy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/deploytrail/deploytrail/internal/iam/policy"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// ServicePrincipal is the principal CloudTrail writes to buckets as.
const ServicePrincipal = "cloudtrail.amazonaws.com"

// MaxPolicyBytes is S3's limit on a bucket policy's size.
const MaxPolicyBytes = 20 << 10

// ErrNotFound is what Store.BucketPolicy returns for a bucket without a
// record.
var ErrNotFound = errors.New("bucketpolicy: no record of the bucket")

// Record is a bucket's owner and policy as stored.
type Record struct {
	Bucket string
	// Owner is the owning account's id; "" stands for the management
	// account.
	Owner string
	// Policy is the bucket policy (JSON, S3's format); "" stands for the
	// owner's default policy.
	Policy string
	// Encryption is the bucket's default encryption (PutBucketEncryption)
	// as put: KMSKeyID is KMSMasterKeyID unnormalized. The zero value is
	// S3's default, SSE-S3.
	Encryption objstore.Encryption
}

// Store keeps the records.
type Store interface {
	// BucketPolicy returns bucket's record. Errors: ErrNotFound.
	BucketPolicy(ctx context.Context, bucket string) (*Record, error)
	// PutBucketPolicy creates or replaces r's record.
	PutBucketPolicy(ctx context.Context, r *Record) error
	// DeleteBucketPolicy removes bucket's record, if any.
	DeleteBucketPolicy(ctx context.Context, bucket string) error
}

// Accounts names the accounts a default policy is written for.
type Accounts interface {
	// ManagementAccount is the id of the server's management account.
	ManagementAccount(ctx context.Context) (string, error)
	// ManagedOrganization is the id of the organization account manages,
	// "" when it manages none.
	ManagedOrganization(ctx context.Context, account string) (string, error)
}

// Policies reads, writes and applies bucket policies.
type Policies struct {
	store    Store
	accounts Accounts
}

// New returns the bucket policies of store.
func New(store Store, accounts Accounts) *Policies {
	return &Policies{store: store, accounts: accounts}
}

// Effective returns bucket's owner and policy, with the management account
// and the default policy filled in where the record leaves them out.
func (p *Policies) Effective(ctx context.Context, bucket string) (*Record, error) {
	r, err := p.store.BucketPolicy(ctx, bucket)
	if errors.Is(err, ErrNotFound) {
		r, err = &Record{Bucket: bucket}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the policy of bucket %s: %w", bucket, err)
	}
	if r.Owner == "" {
		if r.Owner, err = p.accounts.ManagementAccount(ctx); err != nil {
			return nil, fmt.Errorf("read the management account: %w", err)
		}
	}
	if r.Policy == "" {
		org, err := p.accounts.ManagedOrganization(ctx, r.Owner)
		if err != nil {
			return nil, fmt.Errorf("read the organization of %s: %w", r.Owner, err)
		}
		r.Policy = Default(bucket, r.Owner, org)
	}
	return r, nil
}

// Put validates r's policy (when it has one) and stores r.
func (p *Policies) Put(ctx context.Context, r *Record) error {
	if r.Owner != "" && !IsAccountID(r.Owner) {
		return fmt.Errorf("owner %q is not a 12-digit account id", r.Owner)
	}
	if r.Policy != "" {
		if _, err := Parse(r.Bucket, r.Policy); err != nil {
			return err
		}
	}
	return p.store.PutBucketPolicy(ctx, r)
}

// CheckPut returns nil when bucket's policy lets CloudTrail, writing for
// trailARN, read the bucket's ACL and put the object key (which may end
// in "*" to ask for a whole path). Otherwise the error wraps
// objstore.ErrAccessDenied, or says why the policy could not be read.
func (p *Policies) CheckPut(ctx context.Context, bucket, key, trailARN string) error {
	r, err := p.Effective(ctx, bucket)
	if err != nil {
		return err
	}
	doc, err := Parse(bucket, r.Policy)
	if err != nil {
		// A stored policy was valid when put; one that no longer parses
		// grants nothing.
		return fmt.Errorf("%w: the policy of bucket %s cannot be read: %v", objstore.ErrAccessDenied, bucket, err)
	}
	return Check(doc, bucket, key, trailARN)
}

// Check evaluates doc, bucket's policy, for CloudTrail writing key for
// trailARN: s3:GetBucketAcl on the bucket and s3:PutObject on the object
// with the bucket-owner-full-control ACL, with aws:SourceArn and
// aws:SourceAccount (the trail's account) set, as CloudTrail sends them.
func Check(doc *policy.Document, bucket, key, trailARN string) error {
	base := map[string][]string{"aws:SourceArn": {trailARN}, "aws:SourceAccount": {accountOf(trailARN)}}
	put := map[string][]string{"s3:x-amz-acl": {"bucket-owner-full-control"}}
	for k, v := range base {
		put[k] = v
	}
	who := policy.Principal{Service: ServicePrincipal}
	for _, req := range []*policy.Request{
		{Action: "s3:GetBucketAcl", Resource: BucketARN(bucket), Principal: who, Context: base},
		{Action: "s3:PutObject", Resource: BucketARN(bucket) + "/" + key, Principal: who, Context: put},
	} {
		if policy.Evaluate(req, doc) != policy.Allow {
			return fmt.Errorf("%w: %s may not perform %s on %s for %s", objstore.ErrAccessDenied, ServicePrincipal, req.Action, req.Resource, trailARN)
		}
	}
	return nil
}

// BucketARN is a bucket's ARN.
func BucketARN(bucket string) string { return "arn:aws:s3:::" + bucket }

// accountOf is the account field of an ARN, "" if it has none.
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// IsAccountID reports whether s is a 12-digit account id.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Claim records a new bucket as owner's ("" for the management account)
// with the default policy. A bucket with a record keeps it, policy
// included; claiming it for another account is an error.
func (p *Policies) Claim(ctx context.Context, bucket, owner string) error {
	r, err := p.store.BucketPolicy(ctx, bucket)
	if errors.Is(err, ErrNotFound) {
		return p.Put(ctx, &Record{Bucket: bucket, Owner: owner})
	}
	if err != nil {
		return fmt.Errorf("read the policy of bucket %s: %w", bucket, err)
	}
	if owner == "" || owner == r.Owner {
		return nil
	}
	current, err := p.Effective(ctx, bucket)
	if err != nil {
		return err
	}
	if current.Owner != owner {
		return fmt.Errorf("bucket %s already belongs to account %s", bucket, current.Owner)
	}
	return nil
}

// SetPolicy replaces bucket's policy with text, S3's bucket policy JSON
// ("" for the owner's default policy); the owner stays.
func (p *Policies) SetPolicy(ctx context.Context, bucket, text string) error {
	r, err := p.store.BucketPolicy(ctx, bucket)
	if errors.Is(err, ErrNotFound) {
		r, err = &Record{Bucket: bucket}, nil
	}
	if err != nil {
		return fmt.Errorf("read the policy of bucket %s: %w", bucket, err)
	}
	r.Policy = text
	return p.Put(ctx, r)
}

// SetEncryption replaces bucket's default encryption (the zero value:
// S3's default, SSE-S3); owner and policy stay.
func (p *Policies) SetEncryption(ctx context.Context, bucket string, enc objstore.Encryption) error {
	r, err := p.store.BucketPolicy(ctx, bucket)
	if errors.Is(err, ErrNotFound) {
		r, err = &Record{Bucket: bucket}, nil
	}
	if err != nil {
		return fmt.Errorf("read the record of bucket %s: %w", bucket, err)
	}
	r.Encryption = enc
	return p.Put(ctx, r)
}

// Forget removes bucket's record (the bucket is gone): a bucket of the
// same name made later starts with a new owner and the default policy.
func (p *Policies) Forget(ctx context.Context, bucket string) error {
	return p.store.DeleteBucketPolicy(ctx, bucket)
}

// Stored returns bucket's record as stored, without defaults. Errors:
// ErrNotFound.
func (p *Policies) Stored(ctx context.Context, bucket string) (*Record, error) {
	return p.store.BucketPolicy(ctx, bucket)
}
