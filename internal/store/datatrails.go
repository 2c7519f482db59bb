package store

import (
	"context"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/delivery"
)

// DataTrails is the delivery.FilterStore of a DB: the logging trails, the
// members of their organizations, and the trail_config version that
// tells a filter in any process when to read them again.
type DataTrails struct{ *DB }

var _ delivery.FilterStore = DataTrails{}

// LocalChanges implements delivery.FilterStore.
func (s DataTrails) LocalChanges() uint64 { return s.trailChanges.Load() }

// TrailsVersion implements delivery.FilterStore: one primary-key read.
func (s DataTrails) TrailsVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.q(ctx).QueryRowContext(ctx, `SELECT version FROM trail_config WHERE id = 1`).Scan(&v)
	return v, err
}

// LoggingTrails implements delivery.FilterStore. Trails are few (five per
// account and region), and this runs only when the version moved.
func (s DataTrails) LoggingTrails(ctx context.Context) ([]*cloudtrail.Trail, error) {
	trails, err := all[cloudtrail.Trail](ctx, s.q(ctx), `SELECT data FROM trails ORDER BY arn`)
	if err != nil {
		return nil, err
	}
	logging := trails[:0]
	for _, t := range trails {
		if t.Status.IsLogging {
			logging = append(logging, t)
		}
	}
	return logging, nil
}

// Members implements delivery.FilterStore.
func (s DataTrails) Members(ctx context.Context, orgID string) ([]string, error) {
	return collect(ctx, s.q(ctx), scanString, `SELECT id FROM accounts WHERE org_id = ?`, orgID)
}

// trailsChanged bumps the trail_config version in the transaction of ctx
// and, once that commits, this process's hint: filters here see the
// change at once, those of other processes within their TTL.
func (db *DB) trailsChanged(ctx context.Context) error {
	_, err := db.w(ctx).ExecContext(ctx, `UPDATE trail_config SET version = version + 1 WHERE id = 1`)
	if err == nil {
		afterCommit(ctx, func() { db.trailChanges.Add(1) })
	}
	return err
}
