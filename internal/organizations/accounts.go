package organizations

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/iam"
)

// Account is Organizations' Account shape.
type Account struct {
	Id              string
	Arn             string
	Email           string
	Name            string
	Status          string
	State           string
	JoinedMethod    string
	JoinedTimestamp time.Time
}

func accountShape(o *Org, m *Member) *Account {
	method := m.JoinedMethod
	if m.ID == o.ManagementAccount {
		method = JoinedInvited // as AWS reports the account that created the organization
	}
	return &Account{Id: m.ID, Arn: o.AccountARN(m.ID), Email: m.Email, Name: m.Name,
		Status: m.Status, State: m.Status, JoinedMethod: method, JoinedTimestamp: m.Joined}
}

// CreateAccountStatus is Organizations' CreateAccountStatus shape.
type CreateAccountStatus struct {
	Id                 string
	State              string
	AccountName        string
	AccountId          string `json:",omitempty"`
	FailureReason      string `json:",omitempty"`
	RequestedTimestamp time.Time
	CompletedTimestamp time.Time `json:",omitzero"`
}

func statusShape(r *CreateAccountRequest) *CreateAccountStatus {
	return &CreateAccountStatus{Id: r.ID, State: r.State, AccountName: r.AccountName, AccountId: r.AccountID,
		FailureReason: r.FailureReason, RequestedTimestamp: r.Requested, CompletedTimestamp: r.Completed}
}

// Tag is an Organizations tag.
type Tag struct{ Key, Value string }

type (
	CreateAccountInput struct {
		AccountName, Email, RoleName string
		IamUserAccessToBilling       string // accepted; deploytrail has no billing
		Tags                         []Tag  // accepted; not stored
	}
	CreateAccountStatusOutput        struct{ CreateAccountStatus *CreateAccountStatus }
	DescribeCreateAccountStatusInput struct{ CreateAccountRequestId string }
	ListAccountsInput                struct {
		MaxResults int
		NextToken  string
	}
	ListAccountsOutput struct {
		Accounts  []*Account
		NextToken string `json:",omitempty"`
	}
	DescribeAccountInput  struct{ AccountId string }
	DescribeAccountOutput struct{ Account *Account }
)

// CreateAccount creates a member account of the caller's organization and,
// in it, a role the management account may assume with administrator
// access. It completes synchronously: the status is SUCCEEDED, or FAILED
// with EMAIL_ALREADY_EXISTS when an account of the organization has the
// email, as AWS reports it.
func (s *Service) CreateAccount(ctx context.Context, in *CreateAccountInput) (*CreateAccountStatusOutput, error) {
	var r *CreateAccountRequest
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		o, err := s.managedOrg(ctx)
		if err != nil {
			return err
		}
		if r, err = s.createAccount(ctx, o, in); err != nil {
			return err
		}
		if err := s.store.InsertCreateAccountRequest(ctx, r); err != nil {
			return fmt.Errorf("insert create account request: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &CreateAccountStatusOutput{CreateAccountStatus: statusShape(r)}, nil
}

func (s *Service) createAccount(ctx context.Context, o *Org, in *CreateAccountInput) (*CreateAccountRequest, error) {
	now := s.now()
	r := &CreateAccountRequest{ID: newRequestID(), OrgID: o.ID, AccountName: in.AccountName, Requested: now, Completed: now}
	taken, err := s.store.EmailInUse(ctx, o.ID, in.Email)
	if err != nil {
		return nil, fmt.Errorf("check email: %w", err)
	}
	if taken {
		r.State, r.FailureReason = StateFailed, FailureEmailExists
		return r, nil
	}
	a := &iam.Account{ID: iam.NewAccountID(), Name: in.AccountName, Email: in.Email, Status: StatusActive,
		JoinedMethod: JoinedCreated, Created: now, OrgID: o.ID}
	if err := s.store.InsertAccount(ctx, a); err != nil {
		return nil, fmt.Errorf("insert account: %w", err)
	}
	roleName := in.RoleName
	if roleName == "" {
		roleName = DefaultRoleName
	}
	role := iam.NewRole(a.ID, roleName, "/", accessRoleTrust(o.ManagementAccount), now)
	if err := s.store.InsertRole(ctx, role, AdministratorAccessARN); err != nil {
		return nil, fmt.Errorf("insert role %s: %w", roleName, err)
	}
	r.State, r.AccountID = StateSucceeded, a.ID
	return r, nil
}

// accessRoleTrust is the trust policy AWS gives OrganizationAccountAccessRole:
// the management account may assume it.
func accessRoleTrust(management string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
		management + `:root"},"Action":"sts:AssumeRole"}]}`
}

// DescribeCreateAccountStatus returns a CreateAccount request of the
// caller's organization.
func (s *Service) DescribeCreateAccountStatus(ctx context.Context, in *DescribeCreateAccountStatusInput) (*CreateAccountStatusOutput, error) {
	o, err := s.managedOrg(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.store.CreateAccountRequest(ctx, o.ID, in.CreateAccountRequestId)
	if errors.Is(err, ErrNotFound) {
		return nil, awserr.New(CodeCreateAccountStatusNotFound,
			"We can't find an create account request with the CreateAccountRequestId that you specified.")
	}
	if err != nil {
		return nil, fmt.Errorf("load create account request: %w", err)
	}
	return &CreateAccountStatusOutput{CreateAccountStatus: statusShape(r)}, nil
}

// ListAccounts lists the accounts of the caller's organization, the
// management account included, in the order they joined.
func (s *Service) ListAccounts(ctx context.Context, in *ListAccountsInput) (*ListAccountsOutput, error) {
	o, err := s.managedOrg(ctx)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	max := in.MaxResults
	if max == 0 {
		max = defaultMaxResults
	}
	list, more, err := s.store.Members(ctx, o.ID, after, max)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	out := &ListAccountsOutput{Accounts: make([]*Account, 0, len(list))}
	for _, m := range list {
		out.Accounts = append(out.Accounts, accountShape(o, m))
	}
	if more {
		last := list[len(list)-1]
		out.NextToken = encodeToken(Cursor{Joined: last.Joined, ID: last.ID})
	}
	return out, nil
}

// Tokens are opaque to clients; they carry the join time (Unix
// nanoseconds) and id of the last account of a page.
func encodeToken(c Cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.Joined.UnixNano(), 10) + "/" + c.ID))
}

func decodeToken(token string) (Cursor, error) {
	if token == "" {
		return Cursor{}, nil
	}
	invalid := awserr.New(CodeInvalidInput, "The pagination token is invalid.")
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return Cursor{}, invalid
	}
	joined, id, ok := strings.Cut(string(raw), "/")
	n, err := strconv.ParseInt(joined, 10, 64)
	if !ok || err != nil || n <= 0 || id == "" {
		return Cursor{}, invalid
	}
	return Cursor{Joined: time.Unix(0, n).UTC(), ID: id}, nil
}

// DescribeAccount describes an account of the caller's organization.
func (s *Service) DescribeAccount(ctx context.Context, in *DescribeAccountInput) (*DescribeAccountOutput, error) {
	o, err := s.managedOrg(ctx)
	if err != nil {
		return nil, err
	}
	m, err := s.store.Member(ctx, o.ID, in.AccountId)
	if errors.Is(err, ErrNotFound) {
		return nil, awserr.New(CodeAccountNotFound, "You specified an account that doesn't exist.")
	}
	if err != nil {
		return nil, fmt.Errorf("load account: %w", err)
	}
	return &DescribeAccountOutput{Account: accountShape(o, m)}, nil
}
