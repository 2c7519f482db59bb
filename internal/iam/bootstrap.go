package iam

import (
	"context"
	"errors"
	"fmt"
	"regexp"
)

// settingManagementAccount records which account the server was first
// started with.
const settingManagementAccount = "management_account"

// Root is the first start's management account and its root key.
type Root struct {
	AccountID       string
	AccessKeyID     string
	SecretAccessKey string
	Created         bool // false when the server had been started before
}

var (
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	keyIDPattern     = regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`)
)

// Bootstrap creates the management account and its root access key on the
// first start, with the given id and key where set (generated otherwise).
// On later starts it returns the existing management account, and the
// given values are ignored.
func (s *Service) Bootstrap(ctx context.Context, want Root) (*Root, error) {
	id, err := s.store.Setting(ctx, settingManagementAccount)
	if err == nil {
		return &Root{AccountID: id}, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	root, err := newRoot(want)
	if err != nil {
		return nil, err
	}
	var first string // another server's management account, made meanwhile
	err = s.store.Tx(ctx, func(ctx context.Context) error {
		// Servers sharing a database may start together: writers take
		// turns, so asking again here lets exactly one create it.
		id, err := s.store.Setting(ctx, settingManagementAccount)
		if err == nil {
			first = id
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		now := s.now()
		a := &Account{ID: root.AccountID, Name: "deploytrail", Email: "root@" + root.AccountID + ".deploytrail.local",
			Status: "ACTIVE", JoinedMethod: "INVITED", Created: now}
		if err := s.store.InsertAccount(ctx, a); err != nil {
			return err
		}
		k := &AccessKey{ID: root.AccessKeyID, Account: root.AccountID, Secret: root.SecretAccessKey, Status: StatusActive, Created: now}
		if err := s.store.InsertAccessKey(ctx, k); err != nil {
			return err
		}
		return s.store.PutSetting(ctx, settingManagementAccount, root.AccountID)
	})
	if err != nil {
		return nil, fmt.Errorf("create management account: %w", err)
	}
	if first != "" {
		return &Root{AccountID: first}, nil
	}
	root.Created = true
	return root, nil
}

func newRoot(want Root) (*Root, error) {
	r := want
	if r.AccountID == "" {
		r.AccountID = NewAccountID()
	}
	if !accountIDPattern.MatchString(r.AccountID) {
		return nil, fmt.Errorf("account id must be 12 digits")
	}
	if r.AccessKeyID == "" {
		r.AccessKeyID = NewAccessKeyID()
	}
	if !keyIDPattern.MatchString(r.AccessKeyID) {
		return nil, fmt.Errorf("root access key id must be AKIA followed by 16 upper-case letters or digits")
	}
	if r.SecretAccessKey == "" {
		r.SecretAccessKey = NewSecretAccessKey()
	}
	if len(r.SecretAccessKey) < 16 {
		return nil, fmt.Errorf("root secret access key must have at least 16 characters")
	}
	return &r, nil
}

// ManagementAccount returns the id of the account the server was first
// started with.
func (s *Service) ManagementAccount(ctx context.Context) (string, error) {
	return s.store.Setting(ctx, settingManagementAccount)
}

// AccountExists reports whether id is an account of this server.
func (s *Service) AccountExists(ctx context.Context, id string) (bool, error) {
	_, err := s.store.Account(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
