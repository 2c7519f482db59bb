package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/deploytrail/deploytrail/internal/lifecycle"
)

// Lifecycle is the lifecycle.Rules of a DB: each directory bucket's
// lifecycle configuration, the lifecycle package's JSON, in
// bucket_lifecycle. A call made with a transaction's ctx (S3's
// PutBucketLifecycleConfiguration) commits with that call's event.
type Lifecycle struct{ *DB }

var _ lifecycle.Rules = Lifecycle{}

func (s Lifecycle) Put(ctx context.Context, bucket string, cfg *lifecycle.Configuration) error {
	data, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encode lifecycle configuration: %w", err)
	}
	_, err = s.exec1(ctx, `INSERT INTO bucket_lifecycle (bucket, config, updated) VALUES (?, ?, ?)
		ON CONFLICT (bucket) DO UPDATE SET config = excluded.config, updated = excluded.updated`,
		bucket, string(data), time.Now().UnixNano())
	return err
}

func (s Lifecycle) Get(ctx context.Context, bucket string) (*lifecycle.Configuration, error) {
	var data string
	err := s.q(ctx).QueryRowContext(ctx, `SELECT config FROM bucket_lifecycle WHERE bucket = ?`, bucket).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, lifecycle.ErrNoSuchConfiguration
	}
	if err != nil {
		return nil, fmt.Errorf("read lifecycle configuration of %s: %w", bucket, err)
	}
	cfg, err := lifecycle.Parse([]byte(data))
	if err != nil {
		return nil, fmt.Errorf("lifecycle configuration of %s: %w", bucket, err)
	}
	return cfg, nil
}

func (s Lifecycle) Delete(ctx context.Context, bucket string) error {
	_, err := s.exec1(ctx, `DELETE FROM bucket_lifecycle WHERE bucket = ?`, bucket)
	return err
}

// Buckets sorts in Go: collations differ between backends.
func (s Lifecycle) Buckets(ctx context.Context) ([]string, error) {
	names, err := collect(ctx, s.q(ctx), scanString, `SELECT bucket FROM bucket_lifecycle`)
	slices.Sort(names)
	return names, err
}
