package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/deploytrail/deploytrail/internal/bucketpolicy"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// BucketPolicies is the bucketpolicy.Store of a DB.
type BucketPolicies struct{ *DB }

var _ bucketpolicy.Store = BucketPolicies{}

func (s BucketPolicies) BucketPolicy(ctx context.Context, bucket string) (*bucketpolicy.Record, error) {
	r := &bucketpolicy.Record{Bucket: bucket}
	var sse string
	err := s.q(ctx).QueryRowContext(ctx, `SELECT owner, policy, sse_algorithm, kms_key_id FROM bucket_policies WHERE bucket = ?`,
		bucket).Scan(&r.Owner, &r.Policy, &sse, &r.Encryption.KMSKeyID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bucketpolicy.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.Encryption.Mode = objstore.SSEMode(sse)
	return r, nil
}

func (s BucketPolicies) PutBucketPolicy(ctx context.Context, r *bucketpolicy.Record) error {
	_, err := s.exec1(ctx, `INSERT INTO bucket_policies (bucket, owner, policy, sse_algorithm, kms_key_id) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (bucket) DO UPDATE SET owner = excluded.owner, policy = excluded.policy,
		sse_algorithm = excluded.sse_algorithm, kms_key_id = excluded.kms_key_id`,
		r.Bucket, r.Owner, r.Policy, string(r.Encryption.Mode), r.Encryption.KMSKeyID)
	return err
}

func (s BucketPolicies) DeleteBucketPolicy(ctx context.Context, bucket string) error {
	_, err := s.exec1(ctx, `DELETE FROM bucket_policies WHERE bucket = ?`, bucket)
	return err
}
