package iam

import (
	"context"
	"errors"
	"regexp"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// aliasPattern is IAM's alias rule without its look-ahead (which RE2
// lacks); hasDoubleHyphen covers that part.
var aliasPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

type (
	AccountAliasInput        struct{ AccountAlias string }
	ListAccountAliasesOutput struct {
		AccountAliases []string
		page
	}
)

func (s *Service) registerAccountAliases() {
	awsproto.Handle(s.IAM, "CreateAccountAlias", s.CreateAccountAlias)
	awsproto.Handle(s.IAM, "DeleteAccountAlias", s.DeleteAccountAlias)
	awsproto.Handle(s.IAM, "ListAccountAliases", s.ListAccountAliases)
}

// CreateAccountAlias sets the account's alias, replacing an earlier one.
func (s *Service) CreateAccountAlias(ctx context.Context, in *AccountAliasInput) (*struct{}, error) {
	if !aliasPattern.MatchString(in.AccountAlias) || hasDoubleHyphen(in.AccountAlias) {
		return nil, awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", in.AccountAlias)
	}
	err := s.store.SetAccountAlias(ctx, account(ctx), in.AccountAlias)
	if errors.Is(err, ErrExists) {
		return nil, awserr.Errorf(CodeEntityAlreadyExists, "The account alias %s already exists.", in.AccountAlias)
	}
	return nil, err
}

func hasDoubleHyphen(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] == '-' && s[i-1] == '-' {
			return true
		}
	}
	return false
}

// DeleteAccountAlias removes the account's alias.
func (s *Service) DeleteAccountAlias(ctx context.Context, in *AccountAliasInput) (*struct{}, error) {
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		a, err := s.store.Account(ctx, account(ctx))
		if err != nil {
			return err
		}
		if a.Alias != in.AccountAlias {
			return awserr.Errorf(CodeNoSuchEntity, "The account alias %s cannot be found.", in.AccountAlias)
		}
		return s.store.SetAccountAlias(ctx, a.ID, "")
	})
}

// ListAccountAliases lists the account's alias (at most one).
func (s *Service) ListAccountAliases(ctx context.Context, _ *struct{}) (*ListAccountAliasesOutput, error) {
	a, err := s.store.Account(ctx, account(ctx))
	if err != nil {
		return nil, err
	}
	out := &ListAccountAliasesOutput{AccountAliases: []string{}}
	if a.Alias != "" {
		out.AccountAliases = append(out.AccountAliases, a.Alias)
	}
	return out, nil
}
