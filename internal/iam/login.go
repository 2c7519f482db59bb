package iam

import (
	"context"
	"errors"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
)

type (
	LoginProfileShape struct {
		UserName              string
		CreateDate            time.Time
		PasswordResetRequired bool
	}
	LoginProfileInput struct {
		UserName, Password    string
		PasswordResetRequired *bool
	}
	LoginProfileOutput struct{ LoginProfile *LoginProfileShape }
)

func passwordViolation(msg string) error { return awserr.New(CodePasswordPolicy, msg) }

func (s *Service) registerLoginProfiles() {
	awsproto.Handle(s.IAM, "CreateLoginProfile", s.CreateLoginProfile)
	awsproto.Handle(s.IAM, "GetLoginProfile", s.GetLoginProfile)
	awsproto.Handle(s.IAM, "UpdateLoginProfile", s.UpdateLoginProfile)
	awsproto.Handle(s.IAM, "DeleteLoginProfile", s.DeleteLoginProfile)
	awsproto.Handle(s.IAM, "ChangePassword", s.ChangePassword)
}

func loginNotFound(user string) error {
	return awserr.Errorf(CodeNoSuchEntity, "Login Profile for User %s cannot be found.", user)
}

// CreateLoginProfile gives a user a console password.
func (s *Service) CreateLoginProfile(ctx context.Context, in *LoginProfileInput) (*LoginProfileOutput, error) {
	u, err := s.keyOwner(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	if u.ID == "" {
		return nil, invalidInput("Must specify userName when calling with non-User credentials")
	}
	if err := checkPasswordPolicy(in.Password, u.Name); err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	p := &LoginProfile{UserID: u.ID, PasswordHash: hash, ResetRequired: in.PasswordResetRequired != nil && *in.PasswordResetRequired, Created: s.now()}
	err = s.store.Tx(ctx, func(ctx context.Context) error {
		if _, err := s.store.LoginProfile(ctx, u.ID); err == nil {
			return awserr.Errorf(CodeEntityAlreadyExists, "Login Profile for user %s already exists.", u.Name)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		return s.store.PutLoginProfile(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return &LoginProfileOutput{LoginProfile: &LoginProfileShape{UserName: u.Name, CreateDate: p.Created, PasswordResetRequired: p.ResetRequired}}, nil
}

func (s *Service) loginProfile(ctx context.Context, userName string) (*Entity, *LoginProfile, error) {
	u, err := s.keyOwner(ctx, userName)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.store.LoginProfile(ctx, u.ID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, loginNotFound(u.Name)
	}
	return u, p, err
}

// GetLoginProfile tells whether a user has a console password.
func (s *Service) GetLoginProfile(ctx context.Context, in *LoginProfileInput) (*LoginProfileOutput, error) {
	u, p, err := s.loginProfile(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	return &LoginProfileOutput{LoginProfile: &LoginProfileShape{UserName: u.Name, CreateDate: p.Created, PasswordResetRequired: p.ResetRequired}}, nil
}

// UpdateLoginProfile changes a password or its reset flag.
func (s *Service) UpdateLoginProfile(ctx context.Context, in *LoginProfileInput) (*struct{}, error) {
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		u, p, err := s.loginProfile(ctx, in.UserName)
		if err != nil {
			return err
		}
		if in.Password != "" {
			if err := checkPasswordPolicy(in.Password, u.Name); err != nil {
				return err
			}
			if p.PasswordHash, err = HashPassword(in.Password); err != nil {
				return err
			}
		}
		if in.PasswordResetRequired != nil {
			p.ResetRequired = *in.PasswordResetRequired
		}
		return s.store.PutLoginProfile(ctx, p)
	})
}

// DeleteLoginProfile removes a user's console password.
func (s *Service) DeleteLoginProfile(ctx context.Context, in *LoginProfileInput) (*struct{}, error) {
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		u, _, err := s.loginProfile(ctx, in.UserName)
		if err != nil {
			return err
		}
		return s.store.DeleteLoginProfile(ctx, u.ID)
	})
}

// ChangePasswordInput is ChangePassword's request.
type ChangePasswordInput struct{ OldPassword, NewPassword string }

// ChangePassword changes the calling IAM user's own console password,
// checked against the old one, and clears PasswordResetRequired.
func (s *Service) ChangePassword(ctx context.Context, in *ChangePasswordInput) (*struct{}, error) {
	p := awsproto.CallFromContext(ctx).Principal
	if p.Type != awsproto.PrincipalIAMUser {
		return nil, awserr.New(CodeInvalidUserType, "Only IAM users can change their own password.")
	}
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		u, lp, err := s.loginProfile(ctx, p.UserName)
		if err != nil {
			return err
		}
		if !CheckPassword(lp.PasswordHash, in.OldPassword) {
			return awserr.New(CodeInvalidUserType, "The old password was incorrect.")
		}
		if err := checkPasswordPolicy(in.NewPassword, u.Name); err != nil {
			return err
		}
		if lp.PasswordHash, err = HashPassword(in.NewPassword); err != nil {
			return err
		}
		lp.ResetRequired = false
		return s.store.PutLoginProfile(ctx, lp)
	})
}
