package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/deploytrail/deploytrail/internal/bucketpolicy"
	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/s3api"
	"github.com/deploytrail/deploytrail/internal/store"
)

// bucketAccounts names the accounts default bucket policies are written
// for, from the store.
type bucketAccounts struct{ db *store.DB }

func (a bucketAccounts) ManagementAccount(ctx context.Context) (string, error) {
	id, err := iam.New(store.IAM{DB: a.db}).ManagementAccount(ctx)
	if errors.Is(err, iam.ErrNotFound) {
		return "", errors.New("there is no management account yet: start the server once")
	}
	return id, err
}

func (a bucketAccounts) ManagedOrganization(ctx context.Context, account string) (string, error) {
	org, err := store.CloudTrail{Events: store.Events{DB: a.db}}.Organization(ctx, account)
	if errors.Is(err, cloudtrail.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if org.ManagementAccount != account {
		return "", nil
	}
	return org.ID, nil
}

// bucketOwners tells delivery who owns a bucket, for the data events of
// CloudTrail's writes: the owner its policy record names, the management
// account by default.
type bucketOwners struct{ policies *bucketpolicy.Policies }

func (o bucketOwners) Owner(ctx context.Context, bucket string) (string, error) {
	r, err := o.policies.Effective(ctx, bucket)
	if err != nil {
		return "", err
	}
	return r.Owner, nil
}

// newBucketPolicies returns the bucket policies kept in db.
func newBucketPolicies(db *store.DB) *bucketpolicy.Policies {
	return bucketpolicy.New(store.BucketPolicies{DB: db}, bucketAccounts{db})
}

// OpenBucketPolicies opens the store of cfg's data directory for the
// bucket policies, for commands run without a server; close the DB after.
func OpenBucketPolicies(ctx context.Context, cfg Config) (*bucketpolicy.Policies, *store.DB, error) {
	db, err := store.Open(ctx, cfg.Database())
	if err != nil {
		return nil, nil, err
	}
	return newBucketPolicies(db), db, nil
}

// CreateBucket creates a bucket for trails and gives it to owner ("" for
// the management account) with CloudTrail's default bucket policy for
// that account (bucketpolicy.Default). `deploytrail buckets create` and
// the tests make buckets this way. An existing bucket keeps its objects,
// owner and policy.
func CreateBucket(ctx context.Context, buckets objstore.Provider, policies *bucketpolicy.Policies, name, owner string) error {
	if owner != "" && !bucketpolicy.IsAccountID(owner) {
		return fmt.Errorf("account %q is not a 12-digit account id", owner)
	}
	b, err := buckets.Bucket(name)
	if err != nil {
		return fmt.Errorf("bucket %s: %w", name, err)
	}
	if err := b.Create(ctx); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return policies.Claim(ctx, name, owner)
}

// bucketDirs is the S3 API's view of the directory store's buckets: the
// subdirectories of <data>/buckets.
type bucketDirs struct{ dir string }

var _ s3api.Registry = bucketDirs{}

// Buckets lists the bucket directories; a directory's modification time
// stands for the bucket's creation date (the store keeps no other).
func (d bucketDirs) Buckets(ctx context.Context) ([]s3api.BucketEntry, error) {
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	var out []s3api.BucketEntry
	for _, e := range entries {
		if !e.IsDir() || objstore.ValidateBucketName(e.Name()) != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, s3api.BucketEntry{Name: e.Name(), Created: info.ModTime()})
	}
	return out, nil
}

// RemoveBucket removes an empty bucket's directory with what the fs
// backend keeps beside objects (emptied key directories, the metadata
// directory); the caller made sure it holds no object.
func (d bucketDirs) RemoveBucket(ctx context.Context, name string) error {
	if err := objstore.ValidateBucketName(name); err != nil {
		return err
	}
	root, err := os.OpenRoot(d.dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return root.RemoveAll(name)
}
