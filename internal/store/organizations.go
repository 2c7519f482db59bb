package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/organizations"
)

// Organizations is the organizations.Store of a DB. Accounts and roles are
// IAM records: it reads and writes them through IAM's repository.
type Organizations struct{ *DB }

var _ organizations.Store = Organizations{}

// orgErr turns the IAM repository's and SQL's not-found and duplicate
// errors into the organizations package's.
func orgErr(err error) error {
	switch {
	case errors.Is(err, sql.ErrNoRows), errors.Is(err, iam.ErrNotFound):
		return organizations.ErrNotFound
	case errors.Is(err, iam.ErrExists), isUnique(err):
		return organizations.ErrExists
	}
	return err
}

func (s Organizations) Account(ctx context.Context, id string) (*iam.Account, error) {
	a, err := IAM{s.DB}.Account(ctx, id)
	return a, orgErr(err)
}

func (s Organizations) InsertAccount(ctx context.Context, a *iam.Account) error {
	return orgErr(IAM{s.DB}.InsertAccount(ctx, a))
}

func (s Organizations) EmailInUse(ctx context.Context, orgID, email string) (bool, error) {
	var n int
	err := s.q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE org_id = ? AND lower(email) = lower(?)`, orgID, email).Scan(&n)
	return n > 0, err
}

func (s Organizations) InsertRole(ctx context.Context, role *iam.Entity, policyARNs ...string) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		if err := (IAM{s.DB}).InsertEntity(ctx, role); err != nil {
			return orgErr(err)
		}
		for _, arn := range policyARNs {
			if err := (IAM{s.DB}).Attach(ctx, role.ID, arn); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s Organizations) Org(ctx context.Context, id string) (*organizations.Org, error) {
	var o organizations.Org
	var created int64
	err := s.q(ctx).QueryRowContext(ctx, `SELECT id, management_account, feature_set, created FROM organizations WHERE id = ?`, id).
		Scan(&o.ID, &o.ManagementAccount, &o.FeatureSet, &created)
	if err != nil {
		return nil, orgErr(err)
	}
	o.Created = fromNanos(created)
	return &o, nil
}

func (s Organizations) InsertOrg(ctx context.Context, o *organizations.Org) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		_, err := s.wTry(ctx).ExecContext(ctx, `INSERT INTO organizations (id, management_account, feature_set, created) VALUES (?, ?, ?, ?)`,
			o.ID, o.ManagementAccount, o.FeatureSet, nanos(o.Created))
		if err != nil {
			return orgErr(err)
		}
		res, err := s.w(ctx).ExecContext(ctx, `UPDATE accounts SET org_id = ? WHERE id = ? AND org_id IS NULL`, o.ID, o.ManagementAccount)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, organizations.ErrExists)
		}
		return s.trailsChanged(ctx) // the management account joined: organization trails cover it
	})
}

// members selects the accounts of an organization (the one parameter)
// with their join time: the organization's creation for its management
// account, the account's creation for the others.
const members = `SELECT * FROM (
	SELECT a.id, a.name, a.email, a.alias, a.status, a.joined_method, a.created, a.org_id,
		CASE WHEN a.id = o.management_account THEN o.created ELSE a.created END AS joined
	FROM accounts a JOIN organizations o ON o.id = a.org_id
	WHERE a.org_id = ?) m`

func scanMember(row rowScanner) (*organizations.Member, error) {
	var m organizations.Member
	var alias, org sql.NullString
	var created, joined int64
	err := row.Scan(&m.ID, &m.Name, &m.Email, &alias, &m.Status, &m.JoinedMethod, &created, &org, &joined)
	if err != nil {
		return nil, orgErr(err)
	}
	m.Alias, m.OrgID, m.Created, m.Joined = alias.String, org.String, fromNanos(created), fromNanos(joined)
	return &m, nil
}

func (s Organizations) Member(ctx context.Context, orgID, account string) (*organizations.Member, error) {
	return scanMember(s.q(ctx).QueryRowContext(ctx, members+` WHERE id = ?`, orgID, account))
}

func (s Organizations) Members(ctx context.Context, orgID string, after organizations.Cursor, max int) ([]*organizations.Member, bool, error) {
	joined := nanos(after.Joined)
	list, err := collect(ctx, s.q(ctx), scanMember, members+` WHERE joined > ? OR (joined = ? AND id > ?) ORDER BY joined, id LIMIT ?`,
		orgID, joined, joined, after.ID, max+1)
	if err != nil {
		return nil, false, err
	}
	if len(list) > max {
		return list[:max], true, nil
	}
	return list, false, nil
}

func (s Organizations) InsertCreateAccountRequest(ctx context.Context, r *organizations.CreateAccountRequest) error {
	_, err := s.exec1(ctx, `INSERT INTO create_account_requests
		(id, org_id, account_name, state, requested, completed, account_id, failure_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.OrgID, r.AccountName, r.State, nanos(r.Requested), nanos(r.Completed), r.AccountID, r.FailureReason)
	return orgErr(err)
}

func (s Organizations) CreateAccountRequest(ctx context.Context, orgID, id string) (*organizations.CreateAccountRequest, error) {
	var r organizations.CreateAccountRequest
	var requested, completed int64
	err := s.q(ctx).QueryRowContext(ctx, `SELECT id, org_id, account_name, state, requested, completed, account_id, failure_reason
		FROM create_account_requests WHERE org_id = ? AND id = ?`, orgID, id).
		Scan(&r.ID, &r.OrgID, &r.AccountName, &r.State, &requested, &completed, &r.AccountID, &r.FailureReason)
	if err != nil {
		return nil, orgErr(err)
	}
	r.Requested, r.Completed = fromNanos(requested), fromNanos(completed)
	return &r, nil
}
