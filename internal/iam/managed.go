package iam

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/iam/policy"
)

// IAM quotas for managed policies.
const (
	maxPolicyVersions   = 5
	maxAttachedPolicies = 10
)

// PolicyShape is IAM's Policy shape.
type PolicyShape struct {
	PolicyName                    string
	PolicyId                      string
	Arn                           string
	Path                          string
	DefaultVersionId              string
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	Description                   string `json:",omitempty"`
	CreateDate                    time.Time
	UpdateDate                    time.Time
	Tags                          []Tag `json:",omitempty"`
}

// PolicyVersionShape is IAM's PolicyVersion shape.
type PolicyVersionShape struct {
	Document         string `json:",omitempty"`
	VersionId        string
	IsDefaultVersion bool
	CreateDate       time.Time
}

type (
	CreatePolicyInput struct {
		PolicyName, Path, PolicyDocument, Description string
		Tags                                          []Tag
	}
	PolicyOutput      struct{ Policy *PolicyShape }
	PolicyARNInput    struct{ PolicyArn string }
	ListPoliciesInput struct {
		Scope, PathPrefix, Marker string
		OnlyAttached              bool
		MaxItems                  int
	}
	ListPoliciesOutput struct {
		Policies []*PolicyShape
		page
	}
	CreatePolicyVersionInput struct {
		PolicyArn, PolicyDocument string
		SetAsDefault              bool
	}
	PolicyVersionInput      struct{ PolicyArn, VersionId string }
	PolicyVersionOutput     struct{ PolicyVersion *PolicyVersionShape }
	ListPolicyVersionsInput struct {
		PolicyArn, Marker string
		MaxItems          int
	}
	ListPolicyVersionsOutput struct {
		Versions []*PolicyVersionShape
		page
	}
	// AttachInput serves Attach/Detach/ListAttached of users, groups, roles.
	AttachInput struct {
		UserName, GroupName, RoleName string
		PolicyArn, PathPrefix, Marker string
		MaxItems                      int
	}
	AttachedPolicy     struct{ PolicyName, PolicyArn string }
	ListAttachedOutput struct {
		AttachedPolicies []AttachedPolicy
		page
	}
	ListEntitiesForPolicyInput struct {
		PolicyArn, EntityFilter, PathPrefix, Marker string
		MaxItems                                    int
	}
	ListEntitiesForPolicyOutput struct {
		PolicyGroups []map[string]string
		PolicyUsers  []map[string]string
		PolicyRoles  []map[string]string
		page
	}
)

func (in *AttachInput) owner(kind Kind) string {
	return (&InlinePolicyInput{UserName: in.UserName, GroupName: in.GroupName, RoleName: in.RoleName}).owner(kind)
}

func (s *Service) registerManagedPolicies() {
	awsproto.Handle(s.IAM, "CreatePolicy", s.CreatePolicy)
	awsproto.Handle(s.IAM, "GetPolicy", s.GetPolicy)
	awsproto.Handle(s.IAM, "DeletePolicy", s.DeletePolicy)
	awsproto.Handle(s.IAM, "ListPolicies", s.ListPolicies)
	awsproto.Handle(s.IAM, "CreatePolicyVersion", s.CreatePolicyVersion)
	awsproto.Handle(s.IAM, "GetPolicyVersion", s.GetPolicyVersion)
	awsproto.Handle(s.IAM, "ListPolicyVersions", s.ListPolicyVersions)
	awsproto.Handle(s.IAM, "DeletePolicyVersion", s.DeletePolicyVersion)
	awsproto.Handle(s.IAM, "SetDefaultPolicyVersion", s.SetDefaultPolicyVersion)
	awsproto.Handle(s.IAM, "ListEntitiesForPolicy", s.ListEntitiesForPolicy)
	for _, kind := range []Kind{KindUser, KindGroup, KindRole} {
		noun := kindTitle(kind)
		awsproto.Handle(s.IAM, "Attach"+noun+"Policy", func(ctx context.Context, in *AttachInput) (*struct{}, error) {
			return nil, s.attach(ctx, kind, in)
		})
		awsproto.Handle(s.IAM, "Detach"+noun+"Policy", func(ctx context.Context, in *AttachInput) (*struct{}, error) {
			return nil, s.detach(ctx, kind, in)
		})
		awsproto.Handle(s.IAM, "ListAttached"+noun+"Policies", func(ctx context.Context, in *AttachInput) (*ListAttachedOutput, error) {
			return s.listAttached(ctx, kind, in)
		})
	}
}

// managedPolicy loads a managed policy by ARN: a built-in AWS policy, or a
// customer policy of the caller's account.
func (s *Service) managedPolicy(ctx context.Context, arn string) (*Entity, error) {
	if e := awsManagedEntity(arn); e != nil {
		return e, nil
	}
	acct, path, name, ok := splitPolicyARN(arn)
	if !ok {
		return nil, invalidInput("ARN %s is not valid.", arn)
	}
	if acct != account(ctx) {
		return nil, noSuchEntity(KindPolicy, arn)
	}
	e, err := s.store.Entity(ctx, acct, KindPolicy, name)
	if errors.Is(err, ErrNotFound) || (err == nil && e.Path != path) {
		return nil, noSuchEntity(KindPolicy, arn)
	}
	return e, err
}

// splitPolicyARN splits arn:aws:iam::<account>:policy<path><name>.
func splitPolicyARN(arn string) (account, path, name string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return "", "", "", false
	}
	account, rest, ok = strings.Cut(rest, ":policy/")
	if !ok || len(account) != 12 || rest == "" {
		return "", "", "", false
	}
	i := strings.LastIndex(rest, "/")
	return account, "/" + rest[:i+1], rest[i+1:], true
}

func (s *Service) policyShape(ctx context.Context, e *Entity) (*PolicyShape, error) {
	attached, err := s.store.PolicyAttachments(ctx, account(ctx), e.ARN())
	if err != nil {
		return nil, err
	}
	return &PolicyShape{PolicyName: e.Name, PolicyId: e.ID, Arn: e.ARN(), Path: e.Path, DefaultVersionId: e.Data.DefaultVersion,
		AttachmentCount: len(attached), IsAttachable: true, Description: e.Data.Description,
		CreateDate: e.Created, UpdateDate: e.Data.Updated, Tags: e.Data.Tags}, nil
}

// CreatePolicy creates a customer managed policy with version v1.
func (s *Service) CreatePolicy(ctx context.Context, in *CreatePolicyInput) (*PolicyOutput, error) {
	if _, err := parsePolicy(in.PolicyDocument, policy.Identity); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	now := s.now()
	e := &Entity{Account: account(ctx), Kind: KindPolicy, Name: in.PolicyName, ID: newUniqueID(prefixPolicy),
		Path: defaultPath(in.Path), Created: now,
		Data: EntityData{DefaultVersion: "v1", NextVersion: 2, Updated: now, Description: in.Description, Tags: in.Tags}}
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		if err := s.insertEntity(ctx, e); err != nil {
			return err
		}
		return s.store.PutPolicyVersion(ctx, e.ID, &PolicyVersion{ID: "v1", Document: in.PolicyDocument, Created: now})
	})
	if err != nil {
		return nil, err
	}
	out, err := s.policyShape(ctx, e)
	return &PolicyOutput{Policy: out}, err
}

// GetPolicy returns a managed policy.
func (s *Service) GetPolicy(ctx context.Context, in *PolicyARNInput) (*PolicyOutput, error) {
	e, err := s.managedPolicy(ctx, in.PolicyArn)
	if err != nil {
		return nil, err
	}
	out, err := s.policyShape(ctx, e)
	return &PolicyOutput{Policy: out}, err
}

// DeletePolicy deletes a detached customer policy that has only its
// default version left.
func (s *Service) DeletePolicy(ctx context.Context, in *PolicyARNInput) (*struct{}, error) {
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		e, err := s.customerPolicy(ctx, in.PolicyArn)
		if err != nil {
			return err
		}
		attached, err := s.store.PolicyAttachments(ctx, e.Account, e.ARN())
		if err != nil {
			return err
		}
		if len(attached) > 0 {
			return awserr.New(CodeDeleteConflict, "Cannot delete a policy attached to entities.")
		}
		versions, err := s.store.PolicyVersions(ctx, e.ID)
		if err != nil {
			return err
		}
		if len(versions) > 1 {
			return awserr.New(CodeDeleteConflict, "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		return s.store.DeleteEntity(ctx, e.ID)
	})
}

// customerPolicy loads a policy the caller may change (not AWS managed).
func (s *Service) customerPolicy(ctx context.Context, arn string) (*Entity, error) {
	e, err := s.managedPolicy(ctx, arn)
	if err == nil && e.Account == "aws" {
		return nil, awserr.Errorf("UnmodifiableEntity", "Cannot modify an AWS managed policy: %s", arn)
	}
	return e, err
}

// ListPolicies lists AWS managed and customer policies (Scope All, AWS or
// Local).
func (s *Service) ListPolicies(ctx context.Context, in *ListPoliciesInput) (*ListPoliciesOutput, error) {
	var all []*Entity
	if in.Scope != "Local" {
		for name := range awsManaged {
			if e := awsManagedEntity(awsManagedPrefix + name); strings.HasPrefix(e.Path, defaultPath(in.PathPrefix)) {
				all = append(all, e)
			}
		}
	}
	if in.Scope != "AWS" {
		local, _, err := s.store.ListEntities(ctx, account(ctx), KindPolicy, defaultPath(in.PathPrefix), "", 1<<30)
		if err != nil {
			return nil, err
		}
		all = append(all, local...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ARN() < all[j].ARN() })
	shapes := make([]*PolicyShape, 0, len(all))
	for _, e := range all {
		p, err := s.policyShape(ctx, e)
		if err != nil {
			return nil, err
		}
		if !in.OnlyAttached || p.AttachmentCount > 0 {
			shapes = append(shapes, p)
		}
	}
	shapes, pg, err := pageOf(shapes, func(p *PolicyShape) string { return p.Arn }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &ListPoliciesOutput{Policies: shapes, page: pg}, nil
}

// CreatePolicyVersion adds a version (at most five are kept).
func (s *Service) CreatePolicyVersion(ctx context.Context, in *CreatePolicyVersionInput) (*PolicyVersionOutput, error) {
	if _, err := parsePolicy(in.PolicyDocument, policy.Identity); err != nil {
		return nil, err
	}
	var v *PolicyVersion
	var isDefault bool
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		e, err := s.customerPolicy(ctx, in.PolicyArn)
		if err != nil {
			return err
		}
		versions, err := s.store.PolicyVersions(ctx, e.ID)
		if err != nil {
			return err
		}
		if len(versions) >= maxPolicyVersions {
			return awserr.Errorf(CodeLimitExceeded, "A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxPolicyVersions)
		}
		v = &PolicyVersion{ID: fmt.Sprintf("v%d", e.Data.NextVersion), Document: in.PolicyDocument, Created: s.now()}
		e.Data.NextVersion++
		e.Data.Updated = v.Created
		if isDefault = in.SetAsDefault; isDefault {
			e.Data.DefaultVersion = v.ID
		}
		if err := s.store.PutPolicyVersion(ctx, e.ID, v); err != nil {
			return err
		}
		return s.store.UpdateEntity(ctx, e)
	})
	if err != nil {
		return nil, err
	}
	return &PolicyVersionOutput{PolicyVersion: &PolicyVersionShape{VersionId: v.ID, IsDefaultVersion: isDefault, CreateDate: v.Created}}, nil
}

// policyVersion returns a version of any managed policy.
func (s *Service) policyVersion(ctx context.Context, e *Entity, versionID string) (*PolicyVersion, error) {
	if e.Account == "aws" {
		if versionID != "v1" {
			return nil, awserr.Errorf(CodeNoSuchEntity, "Policy %s version %s does not exist or is not attachable.", e.ARN(), versionID)
		}
		return &PolicyVersion{ID: "v1", Document: awsManaged[e.Name], Created: e.Created}, nil
	}
	v, err := s.store.PolicyVersion(ctx, e.ID, versionID)
	if errors.Is(err, ErrNotFound) {
		return nil, awserr.Errorf(CodeNoSuchEntity, "Policy %s version %s does not exist or is not attachable.", e.ARN(), versionID)
	}
	return v, err
}

// GetPolicyVersion returns a version with its (URL-encoded) document.
func (s *Service) GetPolicyVersion(ctx context.Context, in *PolicyVersionInput) (*PolicyVersionOutput, error) {
	e, err := s.managedPolicy(ctx, in.PolicyArn)
	if err != nil {
		return nil, err
	}
	v, err := s.policyVersion(ctx, e, in.VersionId)
	if err != nil {
		return nil, err
	}
	return &PolicyVersionOutput{PolicyVersion: &PolicyVersionShape{Document: encodeDocument(v.Document), VersionId: v.ID,
		IsDefaultVersion: v.ID == e.Data.DefaultVersion, CreateDate: v.Created}}, nil
}

// ListPolicyVersions lists a policy's versions, newest first.
func (s *Service) ListPolicyVersions(ctx context.Context, in *ListPolicyVersionsInput) (*ListPolicyVersionsOutput, error) {
	e, err := s.managedPolicy(ctx, in.PolicyArn)
	if err != nil {
		return nil, err
	}
	versions := []*PolicyVersion{{ID: "v1", Created: e.Created}}
	if e.Account != "aws" {
		if versions, err = s.store.PolicyVersions(ctx, e.ID); err != nil {
			return nil, err
		}
	}
	out := &ListPolicyVersionsOutput{Versions: []*PolicyVersionShape{}}
	for _, v := range versions {
		out.Versions = append(out.Versions, &PolicyVersionShape{VersionId: v.ID, IsDefaultVersion: v.ID == e.Data.DefaultVersion, CreateDate: v.Created})
	}
	return out, nil
}

// DeletePolicyVersion deletes a version other than the default.
func (s *Service) DeletePolicyVersion(ctx context.Context, in *PolicyVersionInput) (*struct{}, error) {
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		e, err := s.customerPolicy(ctx, in.PolicyArn)
		if err != nil {
			return err
		}
		if in.VersionId == e.Data.DefaultVersion {
			return awserr.New(CodeDeleteConflict, "Cannot delete the default version of a policy.")
		}
		if _, err := s.policyVersion(ctx, e, in.VersionId); err != nil {
			return err
		}
		return s.store.DeletePolicyVersion(ctx, e.ID, in.VersionId)
	})
}

// SetDefaultPolicyVersion makes a version the one in force.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, in *PolicyVersionInput) (*struct{}, error) {
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		e, err := s.customerPolicy(ctx, in.PolicyArn)
		if err != nil {
			return err
		}
		if _, err := s.policyVersion(ctx, e, in.VersionId); err != nil {
			return err
		}
		e.Data.DefaultVersion = in.VersionId
		e.Data.Updated = s.now()
		return s.store.UpdateEntity(ctx, e)
	})
}

func (s *Service) attach(ctx context.Context, kind Kind, in *AttachInput) error {
	return s.store.Tx(ctx, func(ctx context.Context) error {
		owner, err := s.entity(ctx, kind, in.owner(kind))
		if err != nil {
			return err
		}
		if _, err := s.managedPolicy(ctx, in.PolicyArn); err != nil {
			return err
		}
		attached, err := s.store.AttachedPolicies(ctx, owner.ID)
		if err != nil {
			return err
		}
		if len(attached) >= maxAttachedPolicies && !containsFold(attached, in.PolicyArn) {
			return limitExceeded("PoliciesPer"+kindTitle(kind), maxAttachedPolicies)
		}
		return s.store.Attach(ctx, owner.ID, in.PolicyArn)
	})
}

func (s *Service) detach(ctx context.Context, kind Kind, in *AttachInput) error {
	return s.store.Tx(ctx, func(ctx context.Context) error {
		owner, err := s.entity(ctx, kind, in.owner(kind))
		if err != nil {
			return err
		}
		if err := s.store.Detach(ctx, owner.ID, in.PolicyArn); errors.Is(err, ErrNotFound) {
			return awserr.Errorf(CodeNoSuchEntity, "Policy %s was not found.", in.PolicyArn)
		} else if err != nil {
			return err
		}
		return nil
	})
}

func (s *Service) listAttached(ctx context.Context, kind Kind, in *AttachInput) (*ListAttachedOutput, error) {
	owner, err := s.entity(ctx, kind, in.owner(kind))
	if err != nil {
		return nil, err
	}
	arns, err := s.store.AttachedPolicies(ctx, owner.ID)
	if err != nil {
		return nil, err
	}
	arns, pg, err := pageNames(arns, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &ListAttachedOutput{AttachedPolicies: []AttachedPolicy{}, page: pg}
	for _, arn := range arns {
		out.AttachedPolicies = append(out.AttachedPolicies, AttachedPolicy{PolicyName: arn[strings.LastIndex(arn, "/")+1:], PolicyArn: arn})
	}
	return out, nil
}

// ListEntitiesForPolicy lists the users, groups and roles of the account a
// policy is attached to.
func (s *Service) ListEntitiesForPolicy(ctx context.Context, in *ListEntitiesForPolicyInput) (*ListEntitiesForPolicyOutput, error) {
	if _, err := s.managedPolicy(ctx, in.PolicyArn); err != nil {
		return nil, err
	}
	entities, err := s.store.PolicyAttachments(ctx, account(ctx), in.PolicyArn)
	if err != nil {
		return nil, err
	}
	out := &ListEntitiesForPolicyOutput{PolicyGroups: []map[string]string{}, PolicyUsers: []map[string]string{}, PolicyRoles: []map[string]string{}}
	for _, e := range entities {
		if in.EntityFilter != "" && !strings.EqualFold(in.EntityFilter, string(e.Kind)) {
			continue
		}
		title := kindTitle(e.Kind)
		entry := map[string]string{title + "Name": e.Name, title + "Id": e.ID}
		switch e.Kind {
		case KindUser:
			out.PolicyUsers = append(out.PolicyUsers, entry)
		case KindGroup:
			out.PolicyGroups = append(out.PolicyGroups, entry)
		case KindRole:
			out.PolicyRoles = append(out.PolicyRoles, entry)
		}
	}
	return out, nil
}
