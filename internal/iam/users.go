package iam

import (
	"context"
	"errors"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// User is IAM's User shape.
type User struct {
	Path                string
	UserName            string
	UserId              string
	Arn                 string
	CreateDate          time.Time
	PermissionsBoundary *AttachedBoundary `json:",omitempty"`
	Tags                []Tag             `json:",omitempty"`
}

// AttachedBoundary is IAM's AttachedPermissionsBoundary shape.
type AttachedBoundary struct {
	PermissionsBoundaryType string
	PermissionsBoundaryArn  string
}

func boundary(arn string) *AttachedBoundary {
	if arn == "" {
		return nil
	}
	return &AttachedBoundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: arn}
}

func userShape(e *Entity) *User {
	return &User{Path: e.Path, UserName: e.Name, UserId: e.ID, Arn: e.ARN(), CreateDate: e.Created,
		PermissionsBoundary: boundary(e.Data.PermissionsBoundary), Tags: e.Data.Tags}
}

type (
	CreateUserInput struct {
		Path, UserName, PermissionsBoundary string
		Tags                                []Tag
	}
	CreateUserOutput struct{ User *User }
	GetUserInput     struct{ UserName string }
	GetUserOutput    struct{ User *User }
	ListUsersInput   struct {
		PathPrefix, Marker string
		MaxItems           int
	}
	ListUsersOutput struct {
		Users []*User
		page
	}
	UpdateUserInput struct{ UserName, NewPath, NewUserName string }
	DeleteUserInput struct{ UserName string }
	TagUserInput    struct {
		UserName string
		Tags     []Tag
	}
	UntagUserInput struct {
		UserName string
		TagKeys  []string
	}
	ListUserTagsInput struct {
		UserName, Marker string
		MaxItems         int
	}
	ListTagsOutput struct {
		Tags []Tag
		page
	}
)

func (s *Service) registerUsers() {
	awsproto.Handle(s.IAM, "CreateUser", s.CreateUser)
	awsproto.Handle(s.IAM, "GetUser", s.GetUser)
	awsproto.Handle(s.IAM, "ListUsers", s.ListUsers)
	awsproto.Handle(s.IAM, "UpdateUser", s.UpdateUser)
	awsproto.Handle(s.IAM, "DeleteUser", s.DeleteUser)
	awsproto.Handle(s.IAM, "TagUser", func(ctx context.Context, in *TagUserInput) (*struct{}, error) {
		return s.tag(ctx, KindUser, in.UserName, in.Tags)
	})
	awsproto.Handle(s.IAM, "UntagUser", func(ctx context.Context, in *UntagUserInput) (*struct{}, error) {
		return s.untag(ctx, KindUser, in.UserName, in.TagKeys)
	})
	awsproto.Handle(s.IAM, "ListUserTags", func(ctx context.Context, in *ListUserTagsInput) (*ListTagsOutput, error) {
		return s.listTags(ctx, KindUser, in.UserName)
	})
}

// CreateUser creates an IAM user.
func (s *Service) CreateUser(ctx context.Context, in *CreateUserInput) (*CreateUserOutput, error) {
	if err := s.checkBoundary(ctx, in.PermissionsBoundary); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	e := &Entity{Account: account(ctx), Kind: KindUser, Name: in.UserName, ID: newUniqueID(prefixUser),
		Path: defaultPath(in.Path), Created: s.now(),
		Data: EntityData{Tags: in.Tags, PermissionsBoundary: in.PermissionsBoundary}}
	if err := s.insertEntity(ctx, e); err != nil {
		return nil, err
	}
	return &CreateUserOutput{User: userShape(e)}, nil
}

// GetUser returns a user; without a name, the calling IAM user.
func (s *Service) GetUser(ctx context.Context, in *GetUserInput) (*GetUserOutput, error) {
	name := in.UserName
	if name == "" {
		p := awsproto.CallFromContext(ctx).Principal
		switch p.Type {
		case awsproto.PrincipalRoot:
			return s.rootUser(ctx, p)
		case awsproto.PrincipalIAMUser:
			name = p.UserName
		default:
			return nil, invalidInput("Must specify userName when calling with non-User credentials")
		}
	}
	e, err := s.entity(ctx, KindUser, name)
	if err != nil {
		return nil, err
	}
	return &GetUserOutput{User: userShape(e)}, nil
}

// rootUser is what GetUser answers root about itself, as IAM does: the
// account id as the user id and the root ARN.
func (s *Service) rootUser(ctx context.Context, p *awsproto.Principal) (*GetUserOutput, error) {
	a, err := s.store.Account(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	return &GetUserOutput{User: &User{Path: "/", UserId: a.ID, Arn: p.ARN, CreateDate: a.Created}}, nil
}

// ListUsers lists the account's users by name.
func (s *Service) ListUsers(ctx context.Context, in *ListUsersInput) (*ListUsersOutput, error) {
	list, pg, err := s.listEntities(ctx, KindUser, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &ListUsersOutput{Users: []*User{}, page: pg}
	for _, e := range list {
		out.Users = append(out.Users, userShape(e))
	}
	return out, nil
}

// UpdateUser renames a user or changes its path.
func (s *Service) UpdateUser(ctx context.Context, in *UpdateUserInput) (*struct{}, error) {
	return nil, s.rename(ctx, KindUser, in.UserName, in.NewUserName, in.NewPath)
}

// rename changes an entity's name and path; records keyed by its ID follow.
func (s *Service) rename(ctx context.Context, kind Kind, name, newName, newPath string) error {
	return s.store.Tx(ctx, func(ctx context.Context) error {
		e, err := s.entity(ctx, kind, name)
		if err != nil {
			return err
		}
		if newName != "" {
			e.Name = newName
		}
		if newPath != "" {
			e.Path = newPath
		}
		if err := s.store.UpdateEntity(ctx, e); errors.Is(err, ErrExists) {
			return alreadyExists(kind, newName)
		} else if err != nil {
			return err
		}
		return nil
	})
}

// DeleteUser deletes a user that has nothing attached any more, as IAM
// requires.
func (s *Service) DeleteUser(ctx context.Context, in *DeleteUserInput) (*struct{}, error) {
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		e, err := s.entity(ctx, KindUser, in.UserName)
		if err != nil {
			return err
		}
		if err := s.checkUserDeletable(ctx, e); err != nil {
			return err
		}
		return s.store.DeleteEntity(ctx, e.ID)
	})
}

func (s *Service) checkUserDeletable(ctx context.Context, e *Entity) error {
	keys, err := s.store.AccessKeys(ctx, e.Account, e.ID)
	if err != nil || len(keys) > 0 {
		return errors.Join(err, deleteConflictIf(len(keys) > 0, "delete access keys"))
	}
	if _, err := s.store.LoginProfile(ctx, e.ID); err == nil {
		return deleteConflict("delete login profile")
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	groups, err := s.store.UserGroups(ctx, e.ID)
	if err != nil || len(groups) > 0 {
		return errors.Join(err, deleteConflictIf(len(groups) > 0, "remove user from all groups"))
	}
	return s.checkNoPolicies(ctx, e)
}

// checkNoPolicies refuses to delete an entity that still has inline or
// attached policies.
func (s *Service) checkNoPolicies(ctx context.Context, e *Entity) error {
	inline, err := s.store.InlinePolicies(ctx, e.ID)
	if err != nil || len(inline) > 0 {
		return errors.Join(err, deleteConflictIf(len(inline) > 0, "delete policies"))
	}
	attached, err := s.store.AttachedPolicies(ctx, e.ID)
	if err != nil || len(attached) > 0 {
		return errors.Join(err, deleteConflictIf(len(attached) > 0, "detach all policies"))
	}
	return nil
}

func deleteConflictIf(cond bool, what string) error {
	if !cond {
		return nil
	}
	return deleteConflict(what)
}
