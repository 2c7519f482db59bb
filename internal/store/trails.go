package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
)

// CloudTrail is the cloudtrail.Store of a DB: the event history (Events)
// and trails. A trail is stored whole as JSON in a data column.
type CloudTrail struct{ Events }

var _ cloudtrail.Store = CloudTrail{}

// ctErr maps SQL outcomes to cloudtrail's errors.
func ctErr(err error) error {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return cloudtrail.ErrNotFound
	case isUnique(err):
		return cloudtrail.ErrExists
	}
	return err
}

func (s CloudTrail) Trail(ctx context.Context, arn string) (*cloudtrail.Trail, error) {
	t, err := one[cloudtrail.Trail](ctx, s.q(ctx), `SELECT data FROM trails WHERE arn = ?`, arn)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cloudtrail.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return t, s.loadDelivery(ctx, t)
}

func (s CloudTrail) Trails(ctx context.Context, account, orgID string) ([]*cloudtrail.Trail, error) {
	trails, err := all[cloudtrail.Trail](ctx, s.q(ctx), `SELECT data FROM trails WHERE account = ? OR (org_id = ? AND org_id <> '') ORDER BY arn`, account, orgID)
	if err != nil {
		return nil, err
	}
	return trails, s.loadDelivery(ctx, trails...)
}

func (s CloudTrail) InsertTrail(ctx context.Context, t *cloudtrail.Trail) error {
	data, err := doc(t)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context) error {
		_, err := s.wTry(ctx).ExecContext(ctx, `INSERT INTO trails (arn, account, home_region, name, org_id, data) VALUES (?, ?, ?, ?, ?, ?)`,
			t.ARN, t.Account, t.HomeRegion, t.Config.Name, t.OrgID, data)
		if err != nil {
			return ctErr(err)
		}
		return s.trailsChanged(ctx)
	})
}

func (s CloudTrail) UpdateTrail(ctx context.Context, t *cloudtrail.Trail) error {
	data, err := doc(t)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context) error {
		res, err := s.w(ctx).ExecContext(ctx, `UPDATE trails SET org_id = ?, data = ? WHERE arn = ?`, t.OrgID, data, t.ARN)
		if err != nil {
			return ctErr(err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, cloudtrail.ErrNotFound)
		}
		if err := s.trailsChanged(ctx); err != nil {
			return err
		}
		return s.syncDelivery(ctx, t)
	})
}

func (s CloudTrail) DeleteTrail(ctx context.Context, arn string) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		if err := s.deleteDelivery(ctx, arn); err != nil {
			return err
		}
		if _, err := s.w(ctx).ExecContext(ctx, `DELETE FROM trails WHERE arn = ?`, arn); err != nil {
			return err
		}
		return s.trailsChanged(ctx)
	})
}

// Organization reads the organization of account from the accounts and
// organizations tables.
func (s CloudTrail) Organization(ctx context.Context, account string) (*cloudtrail.Organization, error) {
	var o cloudtrail.Organization
	err := s.q(ctx).QueryRowContext(ctx, `SELECT o.id, o.management_account, o.feature_set
		FROM accounts a JOIN organizations o ON o.id = a.org_id WHERE a.id = ?`, account).
		Scan(&o.ID, &o.ManagementAccount, &o.FeatureSet)
	if err != nil {
		return nil, ctErr(err)
	}
	return &o, nil
}
