package iam

import (
	"context"
	"time"
)

// Store is what the IAM and STS operations need persisted. Methods return
// ErrNotFound and ErrExists for missing and duplicate records; anything
// else is an internal failure. Entity names are matched without regard to
// case; records that belong to an entity are keyed by the entity's ID, so
// renaming an entity touches one row.
type Store interface {
	// Tx runs fn in one transaction; calls made with the ctx fn receives
	// join it. A nested Tx joins the outer one.
	Tx(ctx context.Context, fn func(ctx context.Context) error) error

	// Setting and PutSetting keep server-wide values by key.
	Setting(ctx context.Context, key string) (string, error)
	PutSetting(ctx context.Context, key, value string) error

	Account(ctx context.Context, id string) (*Account, error)
	// AccountByAlias finds the account that has alias.
	AccountByAlias(ctx context.Context, alias string) (*Account, error)
	InsertAccount(ctx context.Context, a *Account) error
	// SetAccountAlias sets or (alias "") clears an account's alias;
	// ErrExists when another account has it.
	SetAccountAlias(ctx context.Context, account, alias string) error

	Entity(ctx context.Context, account string, kind Kind, name string) (*Entity, error)
	EntityByID(ctx context.Context, id string) (*Entity, error)
	InsertEntity(ctx context.Context, e *Entity) error
	// UpdateEntity stores e (matched by ID), including a new name.
	UpdateEntity(ctx context.Context, e *Entity) error
	// DeleteEntity removes an entity and every record keyed by its ID.
	DeleteEntity(ctx context.Context, id string) error
	// ListEntities returns up to max entities ordered by name after marker
	// (a name), whose path starts with pathPrefix, and whether more follow.
	ListEntities(ctx context.Context, account string, kind Kind, pathPrefix, marker string, max int) ([]*Entity, bool, error)

	AddGroupMember(ctx context.Context, groupID, userID string) error
	RemoveGroupMember(ctx context.Context, groupID, userID string) error
	GroupMembers(ctx context.Context, groupID string) ([]*Entity, error)
	UserGroups(ctx context.Context, userID string) ([]*Entity, error)

	// PutInlinePolicy creates or replaces an inline policy of an entity.
	PutInlinePolicy(ctx context.Context, ownerID, name, document string) error
	InlinePolicy(ctx context.Context, ownerID, name string) (string, error)
	DeleteInlinePolicy(ctx context.Context, ownerID, name string) error
	// InlinePolicies returns an entity's inline policies, name → document.
	InlinePolicies(ctx context.Context, ownerID string) (map[string]string, error)

	PutPolicyVersion(ctx context.Context, policyID string, v *PolicyVersion) error
	PolicyVersion(ctx context.Context, policyID, versionID string) (*PolicyVersion, error)
	PolicyVersions(ctx context.Context, policyID string) ([]*PolicyVersion, error)
	DeletePolicyVersion(ctx context.Context, policyID, versionID string) error

	Attach(ctx context.Context, ownerID, policyARN string) error
	Detach(ctx context.Context, ownerID, policyARN string) error
	AttachedPolicies(ctx context.Context, ownerID string) ([]string, error)
	// PolicyAttachments lists the entities of account a policy is attached to.
	PolicyAttachments(ctx context.Context, account, policyARN string) ([]*Entity, error)

	InsertAccessKey(ctx context.Context, k *AccessKey) error
	AccessKey(ctx context.Context, id string) (*AccessKey, error)
	// UpdateAccessKey stores a key's status.
	UpdateAccessKey(ctx context.Context, k *AccessKey) error
	// TouchAccessKey records a key's last use; it never changes its status.
	TouchAccessKey(ctx context.Context, id string, at time.Time, service, region string) error
	DeleteAccessKey(ctx context.Context, id string) error
	// AccessKeys lists the keys of a user (userID "" for the account root).
	AccessKeys(ctx context.Context, account, userID string) ([]*AccessKey, error)

	PutLoginProfile(ctx context.Context, p *LoginProfile) error
	LoginProfile(ctx context.Context, userID string) (*LoginProfile, error)
	DeleteLoginProfile(ctx context.Context, userID string) error

	InsertSession(ctx context.Context, s *Session) error
	Session(ctx context.Context, accessKeyID string) (*Session, error)
	// DeleteSession removes one session (its credentials stop working).
	DeleteSession(ctx context.Context, accessKeyID string) error
	// DeleteSessionsBefore removes sessions that expired before t.
	DeleteSessionsBefore(ctx context.Context, t time.Time) error
}
