package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/deploytrail/deploytrail/internal/bucketpolicy"
)

// BucketPolicies is the bucketpolicy.Store of a DB.
type BucketPolicies struct{ *DB }

var _ bucketpolicy.Store = BucketPolicies{}

func (s BucketPolicies) BucketPolicy(ctx context.Context, bucket string) (*bucketpolicy.Record, error) {
	r := &bucketpolicy.Record{Bucket: bucket}
	err := s.q(ctx).QueryRowContext(ctx, `SELECT owner, policy FROM bucket_policies WHERE bucket = ?`, bucket).Scan(&r.Owner, &r.Policy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bucketpolicy.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (s BucketPolicies) PutBucketPolicy(ctx context.Context, r *bucketpolicy.Record) error {
	_, err := s.w(ctx).ExecContext(ctx, `INSERT INTO bucket_policies (bucket, owner, policy) VALUES (?, ?, ?)
		ON CONFLICT (bucket) DO UPDATE SET owner = excluded.owner, policy = excluded.policy`, r.Bucket, r.Owner, r.Policy)
	return err
}

func (s BucketPolicies) DeleteBucketPolicy(ctx context.Context, bucket string) error {
	_, err := s.w(ctx).ExecContext(ctx, `DELETE FROM bucket_policies WHERE bucket = ?`, bucket)
	return err
}
