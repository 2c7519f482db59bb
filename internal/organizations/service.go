// Package organizations serves a subset of the AWS Organizations API (JSON
// 1.1): an account creates an organization and becomes its management
// account, which then creates member accounts and describes and lists
// them.
//
// It imports awserr and awsproto and, as the one exception to "services
// don't import each other", iam: the accounts Organizations creates and
// their OrganizationAccountAccessRole are IAM records (iam.Account,
// iam.Entity built by iam.NewRole, ids from iam.NewAccountID), which the
// store persists with IAM's. It never imports the store, which implements
// Store.
package organizations

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/iam"
)

// Organizations' error codes (the model's exception shapes).
const (
	CodeAccessDenied                = "AccessDeniedException"
	CodeAccountNotFound             = "AccountNotFoundException"
	CodeAlreadyInOrganization       = "AlreadyInOrganizationException"
	CodeCreateAccountStatusNotFound = "CreateAccountStatusNotFoundException"
	CodeInvalidInput                = "InvalidInputException"
	CodeNotInUse                    = "AWSOrganizationsNotInUseException"
)

// Enum values of the API.
const (
	FeatureSetAll                 = "ALL"
	FeatureSetConsolidatedBilling = "CONSOLIDATED_BILLING"
	StateSucceeded                = "SUCCEEDED"
	StateFailed                   = "FAILED"
	FailureEmailExists            = "EMAIL_ALREADY_EXISTS"
	StatusActive                  = "ACTIVE"
	JoinedInvited                 = "INVITED"
	JoinedCreated                 = "CREATED"
)

// Defaults of CreateAccount and ListAccounts.
const (
	DefaultRoleName        = "OrganizationAccountAccessRole"
	AdministratorAccessARN = "arn:aws:iam::aws:policy/AdministratorAccess"
	defaultMaxResults      = 20
)

// Service implements AWS Organizations.
type Service struct {
	store Store
	// Now is the clock; tests replace it.
	Now func() time.Time

	API *awsproto.Service
}

// New returns the Organizations service backed by store.
//
// Every operation is authorized on "*": AWS names the organization's or
// the account's ARN, which holds the organization id, and that is only
// known after a lookup a ResourceFunc cannot make. Policies that grant
// organizations:* on "*" (AWSOrganizationsFullAccess, AdministratorAccess)
// behave as in AWS; policies naming organization ARNs do not match.
func New(store Store) *Service {
	s := &Service{store: store, Now: time.Now}
	s.API = &awsproto.Service{
		Name: "organizations", EventSource: "organizations.amazonaws.com", Protocol: awsproto.JSON,
		Model: awsproto.MustLoadModel("organizations"), ValidationCode: CodeInvalidInput, GlobalRegion: "us-east-1",
	}
	awsproto.Handle(s.API, "CreateOrganization", s.CreateOrganization)
	awsproto.Handle(s.API, "DescribeOrganization", s.DescribeOrganization)
	awsproto.Handle(s.API, "CreateAccount", s.CreateAccount)
	awsproto.Handle(s.API, "DescribeCreateAccountStatus", s.DescribeCreateAccountStatus)
	awsproto.Handle(s.API, "ListAccounts", s.ListAccounts)
	awsproto.Handle(s.API, "DescribeAccount", s.DescribeAccount)
	return s
}

// now is the clock at the millisecond precision the wire carries, so that
// what a client reads back equals what was stored.
func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Millisecond) }

// caller is the account the call in ctx acts in.
func caller(ctx context.Context) string {
	return awsproto.CallFromContext(ctx).Account()
}

func (s *Service) callerAccount(ctx context.Context) (*iam.Account, error) {
	a, err := s.store.Account(ctx, caller(ctx))
	if err != nil {
		return nil, fmt.Errorf("load caller account: %w", err)
	}
	return a, nil
}

// callerOrg returns the organization of the caller's account.
func (s *Service) callerOrg(ctx context.Context) (*Org, error) {
	a, err := s.callerAccount(ctx)
	if err != nil {
		return nil, err
	}
	if a.OrgID == "" {
		return nil, errNotInUse()
	}
	o, err := s.store.Org(ctx, a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("load organization %s: %w", a.OrgID, err)
	}
	return o, nil
}

// managedOrg is callerOrg for operations only the management account may
// call (AWS also allows delegated administrators, which we do not have).
func (s *Service) managedOrg(ctx context.Context) (*Org, error) {
	o, err := s.callerOrg(ctx)
	if err != nil {
		return nil, err
	}
	if o.ManagementAccount != caller(ctx) {
		return nil, awserr.New(CodeAccessDenied, "You don't have permissions to access this resource.")
	}
	return o, nil
}

func errNotInUse() error {
	return awserr.New(CodeNotInUse, "Your account is not a member of an organization.")
}

const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomString returns n characters drawn uniformly from lowerAlnum.
func randomString(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		rand.Read(buf) // never fails (crypto/rand, Go 1.24+)
		for _, b := range buf {
			// Rejecting bytes ≥ 252 (7×36) keeps the draw unbiased.
			if b < 252 && len(out) < n {
				out = append(out, lowerAlnum[b%36])
			}
		}
	}
	return string(out)
}

// newOrgID returns an organization id: o- and 10 characters.
func newOrgID() string { return "o-" + randomString(10) }

// newRequestID returns a CreateAccount request id: car- and 32 characters.
func newRequestID() string { return "car-" + randomString(32) }
