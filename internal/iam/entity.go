package iam

import (
	"errors"
	"time"
)

// Errors the Store returns; the service turns them into IAM's codes.
var (
	ErrNotFound = errors.New("iam: not found")
	ErrExists   = errors.New("iam: already exists")
)

// Kind is the kind of an IAM entity.
type Kind string

// Entity kinds. They name ARN resource types too (arn:aws:iam::…:user/…).
const (
	KindUser   Kind = "user"
	KindGroup  Kind = "group"
	KindRole   Kind = "role"
	KindPolicy Kind = "policy"
)

// Entity is a named IAM entity of an account: a user, group, role or
// customer managed policy. Names are unique per account and kind without
// regard to case, as in IAM.
type Entity struct {
	Account string
	Kind    Kind
	Name    string
	ID      string // AIDA…, AGPA…, AROA…, ANPA…
	Path    string
	Created time.Time
	Data    EntityData
}

// EntityData holds what only some kinds have.
type EntityData struct {
	Tags                []Tag  `json:"tags,omitempty"`
	PermissionsBoundary string `json:"permissionsBoundary,omitempty"`
	Description         string `json:"description,omitempty"`
	// Roles.
	AssumeRolePolicy   string `json:"assumeRolePolicy,omitempty"`
	MaxSessionDuration int    `json:"maxSessionDuration,omitempty"`
	// Managed policies.
	DefaultVersion string    `json:"defaultVersion,omitempty"`
	NextVersion    int       `json:"nextVersion,omitempty"`
	Updated        time.Time `json:"updated,omitzero"`
}

// Tag is an IAM tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// ARN returns the entity's ARN: arn:aws:iam::<account>:<kind><path><name>.
func (e *Entity) ARN() string {
	return "arn:aws:iam::" + e.Account + ":" + string(e.Kind) + e.Path + e.Name
}

// Account is an AWS account hosted by deploytrail.
type Account struct {
	ID           string
	Name         string
	Email        string
	Alias        string
	Status       string // ACTIVE
	JoinedMethod string // INVITED (management account) or CREATED
	Created      time.Time
	OrgID        string
}

// AccessKey is a long-term access key of a user, or of an account's root
// when UserID is "".
type AccessKey struct {
	ID      string
	Account string
	UserID  string
	Secret  string
	Status  string // Active or Inactive
	Created time.Time
	// Last use, for GetAccessKeyLastUsed.
	LastUsed        time.Time
	LastUsedService string
	LastUsedRegion  string
}

// Session is a set of temporary credentials issued by STS.
type Session struct {
	AccessKeyID    string
	Secret         string
	TokenHash      string // hex SHA-256 of the session token; the token itself is never stored
	Account        string // account of the entity that grants the permissions
	Type           string // AssumedRole, FederatedUser, or IAMUser (GetSessionToken)
	Name           string // role session name or federated user name
	IssuerKind     Kind   // role for AssumedRole, user for the others ("" for root)
	IssuerName     string
	IssuerID       string
	IssuerPath     string
	Policies       []string // inline session policy and the documents of PolicyArns
	MFA            bool
	SourceIdentity string
	// Console marks a console session's credentials: calls signed with
	// them are recorded with sessionCredentialFromConsole.
	Console bool `json:",omitempty"`
	Created time.Time
	Expires time.Time
}

// LoginProfile is a user's console password.
type LoginProfile struct {
	UserID        string
	PasswordHash  string // scrypt, salted; see password.go
	ResetRequired bool
	Created       time.Time
}

// PolicyVersion is one version of a customer managed policy.
type PolicyVersion struct {
	ID       string // v1, v2, …
	Document string
	Created  time.Time
}
