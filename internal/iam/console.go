package iam

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// settingRootPassword prefixes the setting that keeps an account root's
// console password hash: root has no login profile row (it is no entity).
const settingRootPassword = "root_console_password/"

// decoyHash is checked against when the user does not exist, so that a
// sign-in for an unknown name costs what one for a known name does and
// the time taken does not tell which names exist. It is made once, by
// [New] (not at package init, where every command of the binary, such as
// validate-logs, would pay a 32 MiB scrypt hash at start).
var decoyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("deploytrail decoy password")
	return h
})

// SignIn is the outcome of a console password check. Principal is set
// whenever the account and user exist, even if the password was wrong:
// the failure's record names who was tried (spec Appendix D).
type SignIn struct {
	Principal *awsproto.Principal
	// Account is the account id when the account exists.
	Account string
	OK      bool
	// ResetRequired is the login profile's PasswordResetRequired.
	ResetRequired bool
}

// SetRootPassword sets the console password of account's root user,
// checked against the password policy.
func (s *Service) SetRootPassword(ctx context.Context, account, password string) error {
	if err := checkPasswordPolicy(password, ""); err != nil {
		return err
	}
	if _, err := s.store.Account(ctx, account); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.store.PutSetting(ctx, settingRootPassword+account, hash)
}

// HasRootPassword reports whether account's root user has a console
// password.
func (s *Service) HasRootPassword(ctx context.Context, account string) (bool, error) {
	_, err := s.store.Setting(ctx, settingRootPassword+account)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// CheckConsolePassword checks a console sign-in: account is an account id
// or alias, userName an IAM user's name or "" for the root user. The
// password is compared in constant time; an unknown account or user costs
// the same hash as a known one.
func (s *Service) CheckConsolePassword(ctx context.Context, account, userName, password string) (*SignIn, error) {
	a, err := s.accountByIDOrAlias(ctx, account)
	if errors.Is(err, ErrNotFound) {
		CheckPassword(decoyHash(), password)
		return &SignIn{}, nil
	}
	if err != nil {
		return nil, err
	}
	in, err := s.checkAccountPassword(ctx, a, userName, password)
	if in != nil {
		in.Account = a.ID
	}
	return in, err
}

func (s *Service) checkAccountPassword(ctx context.Context, a *Account, userName, password string) (*SignIn, error) {
	if userName == "" {
		return s.checkRootPassword(ctx, a, password)
	}
	u, err := s.store.Entity(ctx, a.ID, KindUser, userName)
	var p *LoginProfile
	if err == nil {
		p, err = s.store.LoginProfile(ctx, u.ID)
	}
	if errors.Is(err, ErrNotFound) {
		CheckPassword(decoyHash(), password)
		// A user without a login profile exists but cannot sign in; it is
		// named in the record, as AWS does for a known user.
		if u != nil {
			return &SignIn{Principal: userPrincipal(u, "")}, nil
		}
		return &SignIn{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &SignIn{Principal: userPrincipal(u, ""), OK: CheckPassword(p.PasswordHash, password), ResetRequired: p.ResetRequired}, nil
}

func (s *Service) checkRootPassword(ctx context.Context, a *Account, password string) (*SignIn, error) {
	p, err := s.rootPrincipal(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	hash, err := s.store.Setting(ctx, settingRootPassword+a.ID)
	if errors.Is(err, ErrNotFound) {
		CheckPassword(decoyHash(), password)
		return &SignIn{Principal: p}, nil
	}
	if err != nil {
		return nil, err
	}
	return &SignIn{Principal: p, OK: CheckPassword(hash, password)}, nil
}

func (s *Service) accountByIDOrAlias(ctx context.Context, idOrAlias string) (*Account, error) {
	if accountIDPattern.MatchString(idOrAlias) {
		return s.store.Account(ctx, idOrAlias)
	}
	return s.store.AccountByAlias(ctx, idOrAlias)
}

// IssueConsoleSession issues the temporary credentials of a console
// session for a principal CheckConsolePassword accepted: its own
// permissions, like GetSessionToken, marked as console credentials so
// that every call signed with them is recorded with
// sessionCredentialFromConsole. The mark lives with the credential in the
// store; no request can set it.
func (s *Service) IssueConsoleSession(ctx context.Context, p *awsproto.Principal, d time.Duration) (*STSCredentials, error) {
	sess := &Session{Account: p.AccountID, Type: p.Type, Console: true}
	if p.Type == awsproto.PrincipalIAMUser {
		if err := s.issuedByUser(ctx, sess, p); err != nil {
			return nil, err
		}
	}
	return s.issue(ctx, sess, d)
}

// EndSession revokes temporary credentials at once (console sign-out).
func (s *Service) EndSession(ctx context.Context, accessKeyID string) error {
	return s.store.DeleteSession(ctx, accessKeyID)
}
