package iam

import (
	"context"
	"errors"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// maxAccessKeys is IAM's quota of access keys per user (and root).
const maxAccessKeys = 2

// Access key statuses.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

type (
	// AccessKeyShape is IAM's AccessKey shape: the only time a secret
	// leaves the server.
	AccessKeyShape struct {
		UserName        string `json:",omitempty"`
		AccessKeyId     string
		Status          string
		SecretAccessKey string
		CreateDate      time.Time
	}
	AccessKeyMetadata struct {
		UserName    string `json:",omitempty"`
		AccessKeyId string
		Status      string
		CreateDate  time.Time
	}
	CreateAccessKeyInput  struct{ UserName string }
	CreateAccessKeyOutput struct{ AccessKey *AccessKeyShape }
	ListAccessKeysInput   struct {
		UserName, Marker string
		MaxItems         int
	}
	ListAccessKeysOutput struct {
		AccessKeyMetadata []*AccessKeyMetadata
		page
	}
	UpdateAccessKeyInput      struct{ UserName, AccessKeyId, Status string }
	DeleteAccessKeyInput      struct{ UserName, AccessKeyId string }
	GetAccessKeyLastUsedInput struct{ AccessKeyId string }
	GetAccessKeyLastUsedOut   struct {
		UserName          string `json:",omitempty"`
		AccessKeyLastUsed struct {
			LastUsedDate time.Time `json:",omitzero"`
			ServiceName  string
			Region       string
		}
	}
)

func (s *Service) registerAccessKeys() {
	awsproto.Handle(s.IAM, "CreateAccessKey", s.CreateAccessKey)
	awsproto.Handle(s.IAM, "ListAccessKeys", s.ListAccessKeys)
	awsproto.Handle(s.IAM, "UpdateAccessKey", s.UpdateAccessKey)
	awsproto.Handle(s.IAM, "DeleteAccessKey", s.DeleteAccessKey)
	awsproto.Handle(s.IAM, "GetAccessKeyLastUsed", s.GetAccessKeyLastUsed)
}

// keyOwner resolves the user an access-key call is about: the named user,
// or else the caller itself (an IAM user, or root for its own keys).
func (s *Service) keyOwner(ctx context.Context, name string) (*Entity, error) {
	if name != "" {
		return s.entity(ctx, KindUser, name)
	}
	p := awsproto.CallFromContext(ctx).Principal
	switch p.Type {
	case awsproto.PrincipalRoot:
		return &Entity{Account: p.AccountID}, nil // root: no entity
	case awsproto.PrincipalIAMUser:
		return s.entity(ctx, KindUser, p.UserName)
	}
	return nil, invalidInput("Must specify userName when calling with non-User credentials")
}

// CreateAccessKey creates a key for a user (or the calling root).
func (s *Service) CreateAccessKey(ctx context.Context, in *CreateAccessKeyInput) (*CreateAccessKeyOutput, error) {
	var k *AccessKey
	var owner *Entity
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		var err error
		if owner, err = s.keyOwner(ctx, in.UserName); err != nil {
			return err
		}
		keys, err := s.store.AccessKeys(ctx, owner.Account, owner.ID)
		if err != nil {
			return err
		}
		if len(keys) >= maxAccessKeys {
			return limitExceeded("AccessKeysPerUser", maxAccessKeys)
		}
		k = &AccessKey{ID: NewAccessKeyID(), Account: owner.Account, UserID: owner.ID, Secret: NewSecretAccessKey(),
			Status: StatusActive, Created: s.now()}
		return s.store.InsertAccessKey(ctx, k)
	})
	if err != nil {
		return nil, err
	}
	return &CreateAccessKeyOutput{AccessKey: &AccessKeyShape{UserName: owner.Name, AccessKeyId: k.ID,
		Status: k.Status, SecretAccessKey: k.Secret, CreateDate: k.Created}}, nil
}

// ListAccessKeys lists a user's keys, without secrets.
func (s *Service) ListAccessKeys(ctx context.Context, in *ListAccessKeysInput) (*ListAccessKeysOutput, error) {
	owner, err := s.keyOwner(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	keys, err := s.store.AccessKeys(ctx, owner.Account, owner.ID)
	if err != nil {
		return nil, err
	}
	keys, pg, err := pageOf(keys, func(k *AccessKey) string { return k.ID }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &ListAccessKeysOutput{AccessKeyMetadata: []*AccessKeyMetadata{}, page: pg}
	for _, k := range keys {
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, &AccessKeyMetadata{UserName: owner.Name,
			AccessKeyId: k.ID, Status: k.Status, CreateDate: k.Created})
	}
	return out, nil
}

// ownedKey loads a key of the resolved owner; another user's key is as
// good as missing.
func (s *Service) ownedKey(ctx context.Context, userName, id string) (*AccessKey, error) {
	owner, err := s.keyOwner(ctx, userName)
	if err != nil {
		return nil, err
	}
	k, err := s.store.AccessKey(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && (k.Account != owner.Account || k.UserID != owner.ID)) {
		return nil, awserr.Errorf(CodeNoSuchEntity, "The Access Key with id %s cannot be found.", id)
	}
	return k, err
}

// UpdateAccessKey activates or deactivates a key.
func (s *Service) UpdateAccessKey(ctx context.Context, in *UpdateAccessKeyInput) (*struct{}, error) {
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		k, err := s.ownedKey(ctx, in.UserName, in.AccessKeyId)
		if err != nil {
			return err
		}
		k.Status = in.Status
		return s.store.UpdateAccessKey(ctx, k)
	})
}

// DeleteAccessKey deletes a key.
func (s *Service) DeleteAccessKey(ctx context.Context, in *DeleteAccessKeyInput) (*struct{}, error) {
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		k, err := s.ownedKey(ctx, in.UserName, in.AccessKeyId)
		if err != nil {
			return err
		}
		return s.store.DeleteAccessKey(ctx, k.ID)
	})
}

// GetAccessKeyLastUsed tells when and where a key of the account was last
// used ("N/A" when never, as IAM answers).
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, in *GetAccessKeyLastUsedInput) (*GetAccessKeyLastUsedOut, error) {
	k, err := s.store.AccessKey(ctx, in.AccessKeyId)
	if errors.Is(err, ErrNotFound) || (err == nil && k.Account != account(ctx)) {
		return nil, awserr.New(CodeAccessDenied, "The specified access key does not exist or does not belong to your account.").WithStatus(403)
	}
	if err != nil {
		return nil, err
	}
	out := &GetAccessKeyLastUsedOut{}
	if k.UserID != "" {
		if u, err := s.store.EntityByID(ctx, k.UserID); err == nil {
			out.UserName = u.Name
		}
	}
	out.AccessKeyLastUsed.LastUsedDate = k.LastUsed
	out.AccessKeyLastUsed.ServiceName, out.AccessKeyLastUsed.Region = orNA(k.LastUsedService), orNA(k.LastUsedRegion)
	return out, nil
}

func orNA(s string) string {
	if s == "" {
		return "N/A"
	}
	return s
}
