package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/iam"
)

// IAM is the iam.Store of a DB.
type IAM struct{ *DB }

var _ iam.Store = IAM{}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return iam.ErrNotFound
	}
	return err
}

// mustAffect turns "no row changed" into ErrNotFound.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(err, iam.ErrNotFound)
	}
	return nil
}

func (s IAM) Account(ctx context.Context, id string) (*iam.Account, error) {
	return s.account(ctx, `id = ?`, id)
}

func (s IAM) AccountByAlias(ctx context.Context, alias string) (*iam.Account, error) {
	return s.account(ctx, `alias = ?`, alias)
}

func (s IAM) account(ctx context.Context, where, arg string) (*iam.Account, error) {
	var a iam.Account
	var alias, org sql.NullString
	var created int64
	err := s.q(ctx).QueryRowContext(ctx, `SELECT id, name, email, alias, status, joined_method, created, org_id FROM accounts WHERE `+where, arg).
		Scan(&a.ID, &a.Name, &a.Email, &alias, &a.Status, &a.JoinedMethod, &created, &org)
	if err != nil {
		return nil, notFound(err)
	}
	a.Alias, a.OrgID, a.Created = alias.String, org.String, fromNanos(created)
	return &a, nil
}

func (s IAM) InsertAccount(ctx context.Context, a *iam.Account) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		_, err := s.wTry(ctx).ExecContext(ctx, `INSERT INTO accounts (id, name, email, alias, status, joined_method, created, org_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Name, a.Email, nullString(a.Alias), a.Status, a.JoinedMethod, nanos(a.Created), nullString(a.OrgID))
		if isUnique(err) {
			return iam.ErrExists
		}
		if err != nil || a.OrgID == "" {
			return err
		}
		return s.trailsChanged(ctx) // a new member: its organization's trails cover it
	})
}

func (s IAM) SetAccountAlias(ctx context.Context, account, alias string) error {
	_, err := s.exec1Try(ctx, `UPDATE accounts SET alias = ? WHERE id = ?`, nullString(alias), account)
	if isUnique(err) {
		return iam.ErrExists
	}
	return err
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const entityColumns = `id, account, kind, name, path, created, data`

func scanEntity(row rowScanner) (*iam.Entity, error) {
	var e iam.Entity
	var created int64
	var data string
	if err := row.Scan(&e.ID, &e.Account, &e.Kind, &e.Name, &e.Path, &created, &data); err != nil {
		return nil, notFound(err)
	}
	e.Created = fromNanos(created)
	if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
		return nil, fmt.Errorf("decode entity %s: %w", e.ID, err)
	}
	return &e, nil
}

func (s IAM) Entity(ctx context.Context, account string, kind iam.Kind, name string) (*iam.Entity, error) {
	return scanEntity(s.q(ctx).QueryRowContext(ctx, `SELECT `+entityColumns+` FROM entities WHERE account = ? AND kind = ? AND name_key = ?`,
		account, kind, strings.ToLower(name)))
}

func (s IAM) EntityByID(ctx context.Context, id string) (*iam.Entity, error) {
	return scanEntity(s.q(ctx).QueryRowContext(ctx, `SELECT `+entityColumns+` FROM entities WHERE id = ?`, id))
}

func (s IAM) InsertEntity(ctx context.Context, e *iam.Entity) error {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return err
	}
	_, err = s.exec1Try(ctx, `INSERT INTO entities (`+entityColumns+`, name_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Account, e.Kind, e.Name, e.Path, nanos(e.Created), string(data), strings.ToLower(e.Name))
	if isUnique(err) {
		return iam.ErrExists
	}
	return err
}

func (s IAM) UpdateEntity(ctx context.Context, e *iam.Entity) error {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return err
	}
	res, err := s.exec1Try(ctx, `UPDATE entities SET name = ?, name_key = ?, path = ?, data = ? WHERE id = ?`,
		e.Name, strings.ToLower(e.Name), e.Path, string(data), e.ID)
	if isUnique(err) {
		return iam.ErrExists
	}
	return mustAffect(res, err)
}

func (s IAM) DeleteEntity(ctx context.Context, id string) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		if _, err := s.w(ctx).ExecContext(ctx, `DELETE FROM access_keys WHERE user_id = ?`, id); err != nil {
			return err
		}
		return mustAffect(s.w(ctx).ExecContext(ctx, `DELETE FROM entities WHERE id = ?`, id))
	})
}

func (s IAM) ListEntities(ctx context.Context, account string, kind iam.Kind, pathPrefix, marker string, max int) ([]*iam.Entity, bool, error) {
	list, err := collect(ctx, s.q(ctx), scanEntity, `SELECT `+entityColumns+` FROM entities
		WHERE account = ? AND kind = ? AND name_key > ? AND substr(path, 1, ?) = ?
		ORDER BY name_key LIMIT ?`,
		account, kind, strings.ToLower(marker), len(pathPrefix), pathPrefix, max+1)
	if err != nil {
		return nil, false, err
	}
	if len(list) > max {
		return list[:max], true, nil
	}
	return list, false, nil
}

func (s IAM) AddGroupMember(ctx context.Context, groupID, userID string) error {
	_, err := s.exec1(ctx, `INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, groupID, userID)
	return err
}

func (s IAM) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	return mustAffect(s.exec1(ctx, `DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, userID))
}

func (s IAM) GroupMembers(ctx context.Context, groupID string) ([]*iam.Entity, error) {
	return s.entitiesWhere(ctx, `id IN (SELECT user_id FROM group_members WHERE group_id = ?)`, groupID)
}

func (s IAM) UserGroups(ctx context.Context, userID string) ([]*iam.Entity, error) {
	return s.entitiesWhere(ctx, `id IN (SELECT group_id FROM group_members WHERE user_id = ?)`, userID)
}

func (s IAM) entitiesWhere(ctx context.Context, where string, args ...any) ([]*iam.Entity, error) {
	return collect(ctx, s.q(ctx), scanEntity, `SELECT `+entityColumns+` FROM entities WHERE `+where+` ORDER BY name_key`, args...)
}

func (s IAM) PutInlinePolicy(ctx context.Context, ownerID, name, document string) error {
	_, err := s.exec1(ctx, `INSERT INTO inline_policies (owner_id, name, name_key, document) VALUES (?, ?, ?, ?)
		ON CONFLICT (owner_id, name_key) DO UPDATE SET name = excluded.name, document = excluded.document`,
		ownerID, name, strings.ToLower(name), document)
	return err
}

func (s IAM) InlinePolicy(ctx context.Context, ownerID, name string) (string, error) {
	var doc string
	err := s.q(ctx).QueryRowContext(ctx, `SELECT document FROM inline_policies WHERE owner_id = ? AND name_key = ?`, ownerID, strings.ToLower(name)).Scan(&doc)
	return doc, notFound(err)
}

func (s IAM) DeleteInlinePolicy(ctx context.Context, ownerID, name string) error {
	return mustAffect(s.exec1(ctx, `DELETE FROM inline_policies WHERE owner_id = ? AND name_key = ?`, ownerID, strings.ToLower(name)))
}

func (s IAM) InlinePolicies(ctx context.Context, ownerID string) (map[string]string, error) {
	rows, err := s.q(ctx).QueryContext(ctx, `SELECT name, document FROM inline_policies WHERE owner_id = ?`, ownerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, doc string
		if err := rows.Scan(&name, &doc); err != nil {
			return nil, err
		}
		out[name] = doc
	}
	return out, rows.Err()
}

func (s IAM) PutPolicyVersion(ctx context.Context, policyID string, v *iam.PolicyVersion) error {
	_, err := s.exec1Try(ctx, `INSERT INTO policy_versions (policy_id, version_id, document, created) VALUES (?, ?, ?, ?)`,
		policyID, v.ID, v.Document, nanos(v.Created))
	if isUnique(err) {
		return iam.ErrExists
	}
	return err
}

func (s IAM) PolicyVersion(ctx context.Context, policyID, versionID string) (*iam.PolicyVersion, error) {
	v := iam.PolicyVersion{ID: versionID}
	var created int64
	err := s.q(ctx).QueryRowContext(ctx, `SELECT document, created FROM policy_versions WHERE policy_id = ? AND version_id = ?`, policyID, versionID).
		Scan(&v.Document, &created)
	if err != nil {
		return nil, notFound(err)
	}
	v.Created = fromNanos(created)
	return &v, nil
}

func (s IAM) PolicyVersions(ctx context.Context, policyID string) ([]*iam.PolicyVersion, error) {
	return collect(ctx, s.q(ctx), func(r rowScanner) (*iam.PolicyVersion, error) {
		var v iam.PolicyVersion
		var created int64
		err := r.Scan(&v.ID, &v.Document, &created)
		v.Created = fromNanos(created)
		return &v, err
	}, `SELECT version_id, document, created FROM policy_versions WHERE policy_id = ? ORDER BY created DESC`, policyID)
}

func (s IAM) DeletePolicyVersion(ctx context.Context, policyID, versionID string) error {
	return mustAffect(s.exec1(ctx, `DELETE FROM policy_versions WHERE policy_id = ? AND version_id = ?`, policyID, versionID))
}

func (s IAM) Attach(ctx context.Context, ownerID, policyARN string) error {
	_, err := s.exec1(ctx, `INSERT INTO policy_attachments (owner_id, policy_arn) VALUES (?, ?) ON CONFLICT DO NOTHING`, ownerID, policyARN)
	return err
}

func (s IAM) Detach(ctx context.Context, ownerID, policyARN string) error {
	return mustAffect(s.exec1(ctx, `DELETE FROM policy_attachments WHERE owner_id = ? AND policy_arn = ?`, ownerID, policyARN))
}

func (s IAM) AttachedPolicies(ctx context.Context, ownerID string) ([]string, error) {
	return collect(ctx, s.q(ctx), scanString, `SELECT policy_arn FROM policy_attachments WHERE owner_id = ? ORDER BY policy_arn`, ownerID)
}

func (s IAM) PolicyAttachments(ctx context.Context, account, policyARN string) ([]*iam.Entity, error) {
	return s.entitiesWhere(ctx, `account = ? AND id IN (SELECT owner_id FROM policy_attachments WHERE policy_arn = ?)`, account, policyARN)
}

const accessKeyColumns = `id, account, user_id, secret, status, created, last_used, last_used_service, last_used_region`

func scanAccessKey(row rowScanner) (*iam.AccessKey, error) {
	var k iam.AccessKey
	var created, used int64
	if err := row.Scan(&k.ID, &k.Account, &k.UserID, &k.Secret, &k.Status, &created, &used, &k.LastUsedService, &k.LastUsedRegion); err != nil {
		return nil, notFound(err)
	}
	k.Created, k.LastUsed = fromNanos(created), fromNanos(used)
	return &k, nil
}

func (s IAM) InsertAccessKey(ctx context.Context, k *iam.AccessKey) error {
	_, err := s.exec1Try(ctx, `INSERT INTO access_keys (`+accessKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Account, k.UserID, k.Secret, k.Status, nanos(k.Created), nanos(k.LastUsed), k.LastUsedService, k.LastUsedRegion)
	if isUnique(err) {
		return iam.ErrExists
	}
	return err
}

func (s IAM) AccessKey(ctx context.Context, id string) (*iam.AccessKey, error) {
	return scanAccessKey(s.q(ctx).QueryRowContext(ctx, `SELECT `+accessKeyColumns+` FROM access_keys WHERE id = ?`, id))
}

func (s IAM) UpdateAccessKey(ctx context.Context, k *iam.AccessKey) error {
	return mustAffect(s.exec1(ctx, `UPDATE access_keys SET status = ? WHERE id = ?`, k.Status, k.ID))
}

func (s IAM) TouchAccessKey(ctx context.Context, id string, at time.Time, service, region string) error {
	_, err := s.exec1(ctx, `UPDATE access_keys SET last_used = ?, last_used_service = ?, last_used_region = ? WHERE id = ?`,
		nanos(at), service, region, id)
	return err
}

func (s IAM) DeleteAccessKey(ctx context.Context, id string) error {
	return mustAffect(s.exec1(ctx, `DELETE FROM access_keys WHERE id = ?`, id))
}

func (s IAM) AccessKeys(ctx context.Context, account, userID string) ([]*iam.AccessKey, error) {
	return collect(ctx, s.q(ctx), scanAccessKey, `SELECT `+accessKeyColumns+` FROM access_keys WHERE account = ? AND user_id = ? ORDER BY created`, account, userID)
}

func (s IAM) PutLoginProfile(ctx context.Context, p *iam.LoginProfile) error {
	_, err := s.exec1(ctx, `INSERT INTO login_profiles (user_id, password_hash, reset_required, created) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, reset_required = excluded.reset_required`,
		p.UserID, p.PasswordHash, p.ResetRequired, nanos(p.Created))
	return err
}

func (s IAM) LoginProfile(ctx context.Context, userID string) (*iam.LoginProfile, error) {
	p := iam.LoginProfile{UserID: userID}
	var created int64
	err := s.q(ctx).QueryRowContext(ctx, `SELECT password_hash, reset_required, created FROM login_profiles WHERE user_id = ?`, userID).
		Scan(&p.PasswordHash, &p.ResetRequired, &created)
	if err != nil {
		return nil, notFound(err)
	}
	p.Created = fromNanos(created)
	return &p, nil
}

func (s IAM) DeleteLoginProfile(ctx context.Context, userID string) error {
	return mustAffect(s.exec1(ctx, `DELETE FROM login_profiles WHERE user_id = ?`, userID))
}

func (s IAM) InsertSession(ctx context.Context, sess *iam.Session) error {
	data, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	_, err = s.exec1Try(ctx, `INSERT INTO sessions (access_key_id, account, expires, data) VALUES (?, ?, ?, ?)`,
		sess.AccessKeyID, sess.Account, nanos(sess.Expires), string(data))
	if isUnique(err) {
		return iam.ErrExists
	}
	return err
}

func (s IAM) Session(ctx context.Context, accessKeyID string) (*iam.Session, error) {
	var data string
	if err := s.q(ctx).QueryRowContext(ctx, `SELECT data FROM sessions WHERE access_key_id = ?`, accessKeyID).Scan(&data); err != nil {
		return nil, notFound(err)
	}
	var sess iam.Session
	if err := json.Unmarshal([]byte(data), &sess); err != nil {
		return nil, fmt.Errorf("decode session: %w", err)
	}
	return &sess, nil
}

func (s IAM) DeleteSession(ctx context.Context, accessKeyID string) error {
	_, err := s.exec1(ctx, `DELETE FROM sessions WHERE access_key_id = ?`, accessKeyID)
	return err
}

func (s IAM) DeleteSessionsBefore(ctx context.Context, t time.Time) error {
	_, err := s.exec1(ctx, `DELETE FROM sessions WHERE expires < ?`, nanos(t))
	return err
}

func (s IAM) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.q(ctx).QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	return v, notFound(err)
}

func (s IAM) PutSetting(ctx context.Context, key, value string) error {
	_, err := s.exec1(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}
