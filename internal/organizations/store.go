package organizations

import (
	"context"
	"errors"
	"time"

	"github.com/deploytrail/deploytrail/internal/iam"
)

// Errors the Store returns; the service turns them into Organizations' codes.
var (
	ErrNotFound = errors.New("organizations: not found")
	ErrExists   = errors.New("organizations: already exists")
)

// Org is a stored organization. (Organization is its API shape.)
type Org struct {
	ID                string // o-…
	ManagementAccount string
	FeatureSet        string // ALL or CONSOLIDATED_BILLING
	Created           time.Time
}

// ARN returns arn:aws:organizations::<management>:organization/<id>.
func (o *Org) ARN() string {
	return "arn:aws:organizations::" + o.ManagementAccount + ":organization/" + o.ID
}

// AccountARN returns the ARN of an account of o:
// arn:aws:organizations::<management>:account/<org id>/<account id>.
func (o *Org) AccountARN(account string) string {
	return "arn:aws:organizations::" + o.ManagementAccount + ":account/" + o.ID + "/" + account
}

// Member is an account of an organization and when it joined it.
type Member struct {
	iam.Account
	Joined time.Time
}

// Cursor is where a page of members starts: after the member that joined
// at Joined with ID. The zero Cursor starts at the first member.
type Cursor struct {
	Joined time.Time
	ID     string
}

// CreateAccountRequest is a stored CreateAccount request.
type CreateAccountRequest struct {
	ID            string // car-…
	OrgID         string
	AccountName   string
	State         string // SUCCEEDED or FAILED: requests complete synchronously
	Requested     time.Time
	Completed     time.Time
	AccountID     string // "" when the request failed
	FailureReason string
}

// Store is what the Organizations operations need persisted. Methods
// return ErrNotFound and ErrExists for missing and duplicate records;
// anything else is an internal failure. Accounts and roles are IAM
// records, shared with the IAM store.
type Store interface {
	// Tx runs fn in one transaction; calls made with the ctx fn receives
	// join it. A nested Tx joins the outer one.
	Tx(ctx context.Context, fn func(ctx context.Context) error) error

	Account(ctx context.Context, id string) (*iam.Account, error)
	// InsertAccount creates an account; ErrExists when its id is taken.
	InsertAccount(ctx context.Context, a *iam.Account) error
	// EmailInUse reports whether an account of organization orgID has
	// email, without regard to case.
	EmailInUse(ctx context.Context, orgID, email string) (bool, error)
	// InsertRole creates a role entity with the given managed policies
	// attached.
	InsertRole(ctx context.Context, role *iam.Entity, policyARNs ...string) error

	Org(ctx context.Context, id string) (*Org, error)
	// InsertOrg creates an organization and makes its management account
	// its first member; ErrExists when that account is already in one.
	InsertOrg(ctx context.Context, o *Org) error

	// Member returns an account of organization orgID; ErrNotFound when
	// the account does not exist or belongs to no or another organization.
	// The management account joined when the organization was created.
	Member(ctx context.Context, orgID, account string) (*Member, error)
	// Members returns up to max accounts of organization orgID, ordered by
	// join time then id, after cursor, and whether more follow.
	Members(ctx context.Context, orgID string, after Cursor, max int) ([]*Member, bool, error)

	InsertCreateAccountRequest(ctx context.Context, r *CreateAccountRequest) error
	// CreateAccountRequest returns a request made in organization orgID.
	CreateAccountRequest(ctx context.Context, orgID, id string) (*CreateAccountRequest, error)
}
