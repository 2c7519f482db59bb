package iam

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/iam/policy"
)

// Role session limits (seconds).
const (
	defaultMaxSessionDuration = 3600
)

// Role is IAM's Role shape. Policy documents travel URL-encoded, as IAM
// sends them (the AWS CLI decodes them; SDK users call url.QueryUnescape).
type Role struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               time.Time
	AssumeRolePolicyDocument string            `json:",omitempty"`
	Description              string            `json:",omitempty"`
	MaxSessionDuration       int               `json:",omitempty"`
	PermissionsBoundary      *AttachedBoundary `json:",omitempty"`
	Tags                     []Tag             `json:",omitempty"`
}

func roleShape(e *Entity) *Role {
	return &Role{Path: e.Path, RoleName: e.Name, RoleId: e.ID, Arn: e.ARN(), CreateDate: e.Created,
		AssumeRolePolicyDocument: encodeDocument(e.Data.AssumeRolePolicy), Description: e.Data.Description,
		MaxSessionDuration: e.Data.MaxSessionDuration, PermissionsBoundary: boundary(e.Data.PermissionsBoundary),
		Tags: e.Data.Tags}
}

type (
	CreateRoleInput struct {
		Path, RoleName, AssumeRolePolicyDocument, Description, PermissionsBoundary string
		MaxSessionDuration                                                         int
		Tags                                                                       []Tag
	}
	RoleOutput     struct{ Role *Role }
	GetRoleInput   struct{ RoleName string }
	ListRolesInput struct {
		PathPrefix, Marker string
		MaxItems           int
	}
	ListRolesOutput struct {
		Roles []*Role
		page
	}
	UpdateRoleInput struct {
		RoleName, Description string
		MaxSessionDuration    int
	}
	DeleteRoleInput             struct{ RoleName string }
	UpdateAssumeRolePolicyInput struct{ RoleName, PolicyDocument string }
	TagRoleInput                struct {
		RoleName string
		Tags     []Tag
	}
	UntagRoleInput struct {
		RoleName string
		TagKeys  []string
	}
	ListRoleTagsInput struct {
		RoleName, Marker string
		MaxItems         int
	}
)

func (s *Service) registerRoles() {
	awsproto.Handle(s.IAM, "CreateRole", s.CreateRole)
	awsproto.Handle(s.IAM, "GetRole", s.GetRole)
	awsproto.Handle(s.IAM, "ListRoles", s.ListRoles)
	awsproto.Handle(s.IAM, "UpdateRole", s.UpdateRole)
	awsproto.Handle(s.IAM, "DeleteRole", s.DeleteRole)
	awsproto.Handle(s.IAM, "UpdateAssumeRolePolicy", s.UpdateAssumeRolePolicy)
	awsproto.Handle(s.IAM, "TagRole", func(ctx context.Context, in *TagRoleInput) (*struct{}, error) {
		return s.tag(ctx, KindRole, in.RoleName, in.Tags)
	})
	awsproto.Handle(s.IAM, "UntagRole", func(ctx context.Context, in *UntagRoleInput) (*struct{}, error) {
		return s.untag(ctx, KindRole, in.RoleName, in.TagKeys)
	})
	awsproto.Handle(s.IAM, "ListRoleTags", func(ctx context.Context, in *ListRoleTagsInput) (*ListTagsOutput, error) {
		return s.listTags(ctx, KindRole, in.RoleName)
	})
}

// CreateRole creates a role with its trust policy.
func (s *Service) CreateRole(ctx context.Context, in *CreateRoleInput) (*RoleOutput, error) {
	if err := s.checkTrustPolicy(ctx, in.AssumeRolePolicyDocument); err != nil {
		return nil, err
	}
	if err := s.checkBoundary(ctx, in.PermissionsBoundary); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	maxSession := in.MaxSessionDuration
	if maxSession == 0 {
		maxSession = defaultMaxSessionDuration
	}
	e := NewRole(account(ctx), in.RoleName, defaultPath(in.Path), in.AssumeRolePolicyDocument, s.now())
	e.Data.Description, e.Data.MaxSessionDuration = in.Description, maxSession
	e.Data.PermissionsBoundary, e.Data.Tags = in.PermissionsBoundary, in.Tags
	if err := s.insertEntity(ctx, e); err != nil {
		return nil, err
	}
	return &RoleOutput{Role: roleShape(e)}, nil
}

// NewRole returns a role entity, for services that create roles for their
// customers (Organizations' OrganizationAccountAccessRole).
func NewRole(account, name, path, trustPolicy string, created time.Time) *Entity {
	return &Entity{Account: account, Kind: KindRole, Name: name, ID: newUniqueID(prefixRole), Path: path,
		Created: created, Data: EntityData{AssumeRolePolicy: trustPolicy, MaxSessionDuration: defaultMaxSessionDuration}}
}

// GetRole returns a role.
func (s *Service) GetRole(ctx context.Context, in *GetRoleInput) (*RoleOutput, error) {
	e, err := s.entity(ctx, KindRole, in.RoleName)
	if err != nil {
		return nil, err
	}
	return &RoleOutput{Role: roleShape(e)}, nil
}

// ListRoles lists roles; like IAM, without their tags and boundaries.
func (s *Service) ListRoles(ctx context.Context, in *ListRolesInput) (*ListRolesOutput, error) {
	list, pg, err := s.listEntities(ctx, KindRole, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &ListRolesOutput{Roles: []*Role{}, page: pg}
	for _, e := range list {
		r := roleShape(e)
		r.Tags, r.PermissionsBoundary = nil, nil
		out.Roles = append(out.Roles, r)
	}
	return out, nil
}

// UpdateRole changes a role's description or maximum session duration.
func (s *Service) UpdateRole(ctx context.Context, in *UpdateRoleInput) (*struct{}, error) {
	return nil, s.updateRole(ctx, in.RoleName, func(e *Entity) error {
		if in.Description != "" {
			e.Data.Description = in.Description
		}
		if in.MaxSessionDuration != 0 {
			e.Data.MaxSessionDuration = in.MaxSessionDuration
		}
		return nil
	})
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, in *UpdateAssumeRolePolicyInput) (*struct{}, error) {
	if err := s.checkTrustPolicy(ctx, in.PolicyDocument); err != nil {
		return nil, err
	}
	return nil, s.updateRole(ctx, in.RoleName, func(e *Entity) error {
		e.Data.AssumeRolePolicy = in.PolicyDocument
		return nil
	})
}

func (s *Service) updateRole(ctx context.Context, name string, change func(*Entity) error) error {
	return s.store.Tx(ctx, func(ctx context.Context) error {
		e, err := s.entity(ctx, KindRole, name)
		if err != nil {
			return err
		}
		if err := change(e); err != nil {
			return err
		}
		return s.store.UpdateEntity(ctx, e)
	})
}

// DeleteRole deletes a role without policies.
func (s *Service) DeleteRole(ctx context.Context, in *DeleteRoleInput) (*struct{}, error) {
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		e, err := s.entity(ctx, KindRole, in.RoleName)
		if err != nil {
			return err
		}
		if err := s.checkNoPolicies(ctx, e); err != nil {
			return err
		}
		return s.store.DeleteEntity(ctx, e.ID)
	})
}

// checkTrustPolicy parses a trust policy and, as IAM does, refuses one
// that names a user or role that does not exist.
func (s *Service) checkTrustPolicy(ctx context.Context, doc string) error {
	d, err := parsePolicy(doc, policy.Trust)
	if err != nil {
		return err
	}
	for _, st := range d.Statements {
		for _, p := range []*policy.Principals{st.Principal, st.NotPrincipal} {
			if p == nil {
				continue
			}
			for _, arn := range p.AWS {
				if err := s.checkPrincipalExists(ctx, arn); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (s *Service) checkPrincipalExists(ctx context.Context, arn string) error {
	acct, kind, name, ok := splitEntityARN(arn)
	if !ok {
		return nil // an account, "*", or a form the policy parser vetted
	}
	_, err := s.store.Entity(ctx, acct, kind, name)
	if errors.Is(err, ErrNotFound) {
		return awserr.Errorf(CodeMalformedPolicy, "Invalid principal in policy: \"AWS\":\"%s\"", awserr.Cut(arn, awserr.EchoLimit))
	}
	return err
}

// splitEntityARN splits arn:aws:iam::<account>:user|role<path><name>.
func splitEntityARN(arn string) (account string, kind Kind, name string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok || len(rest) < 13 || rest[12] != ':' {
		return "", "", "", false
	}
	account, rest = rest[:12], rest[13:]
	for _, k := range []Kind{KindUser, KindRole} {
		if tail, ok := strings.CutPrefix(rest, string(k)+"/"); ok && !strings.ContainsAny(tail, "*?") {
			return account, k, tail[strings.LastIndex(tail, "/")+1:], tail != ""
		}
	}
	return "", "", "", false
}
