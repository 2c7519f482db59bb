package iam

import (
	"context"
	"errors"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Group is IAM's Group shape.
type Group struct {
	Path       string
	GroupName  string
	GroupId    string
	Arn        string
	CreateDate time.Time
}

func groupShape(e *Entity) *Group {
	return &Group{Path: e.Path, GroupName: e.Name, GroupId: e.ID, Arn: e.ARN(), CreateDate: e.Created}
}

type (
	CreateGroupInput  struct{ Path, GroupName string }
	CreateGroupOutput struct{ Group *Group }
	GetGroupInput     struct {
		GroupName, Marker string
		MaxItems          int
	}
	GetGroupOutput struct {
		Group *Group
		Users []*User
		page
	}
	ListGroupsInput struct {
		PathPrefix, Marker string
		MaxItems           int
	}
	ListGroupsOutput struct {
		Groups []*Group
		page
	}
	UpdateGroupInput       struct{ GroupName, NewPath, NewGroupName string }
	DeleteGroupInput       struct{ GroupName string }
	GroupMemberInput       struct{ GroupName, UserName string }
	ListGroupsForUserInput struct {
		UserName, Marker string
		MaxItems         int
	}
)

func (s *Service) registerGroups() {
	awsproto.Handle(s.IAM, "CreateGroup", s.CreateGroup)
	awsproto.Handle(s.IAM, "GetGroup", s.GetGroup)
	awsproto.Handle(s.IAM, "ListGroups", s.ListGroups)
	awsproto.Handle(s.IAM, "UpdateGroup", func(ctx context.Context, in *UpdateGroupInput) (*struct{}, error) {
		return nil, s.rename(ctx, KindGroup, in.GroupName, in.NewGroupName, in.NewPath)
	})
	awsproto.Handle(s.IAM, "DeleteGroup", s.DeleteGroup)
	awsproto.Handle(s.IAM, "AddUserToGroup", s.AddUserToGroup)
	awsproto.Handle(s.IAM, "RemoveUserFromGroup", s.RemoveUserFromGroup)
	awsproto.Handle(s.IAM, "ListGroupsForUser", s.ListGroupsForUser)
}

// CreateGroup creates a group.
func (s *Service) CreateGroup(ctx context.Context, in *CreateGroupInput) (*CreateGroupOutput, error) {
	e := &Entity{Account: account(ctx), Kind: KindGroup, Name: in.GroupName, ID: newUniqueID(prefixGroup),
		Path: defaultPath(in.Path), Created: s.now()}
	if err := s.insertEntity(ctx, e); err != nil {
		return nil, err
	}
	return &CreateGroupOutput{Group: groupShape(e)}, nil
}

// GetGroup returns a group and its users.
func (s *Service) GetGroup(ctx context.Context, in *GetGroupInput) (*GetGroupOutput, error) {
	g, err := s.entity(ctx, KindGroup, in.GroupName)
	if err != nil {
		return nil, err
	}
	members, err := s.store.GroupMembers(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	page, pg, err := pageEntities(members, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &GetGroupOutput{Group: groupShape(g), Users: []*User{}, page: pg}
	for _, m := range page {
		out.Users = append(out.Users, userShape(m))
	}
	return out, nil
}

// ListGroups lists the account's groups.
func (s *Service) ListGroups(ctx context.Context, in *ListGroupsInput) (*ListGroupsOutput, error) {
	list, pg, err := s.listEntities(ctx, KindGroup, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &ListGroupsOutput{Groups: []*Group{}, page: pg}
	for _, e := range list {
		out.Groups = append(out.Groups, groupShape(e))
	}
	return out, nil
}

// DeleteGroup deletes an empty group without policies.
func (s *Service) DeleteGroup(ctx context.Context, in *DeleteGroupInput) (*struct{}, error) {
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		g, err := s.entity(ctx, KindGroup, in.GroupName)
		if err != nil {
			return err
		}
		members, err := s.store.GroupMembers(ctx, g.ID)
		if err != nil || len(members) > 0 {
			return errors.Join(err, deleteConflictIf(len(members) > 0, "remove users from group"))
		}
		if err := s.checkNoPolicies(ctx, g); err != nil {
			return err
		}
		return s.store.DeleteEntity(ctx, g.ID)
	})
}

// AddUserToGroup adds a user to a group; adding a member again is a no-op.
func (s *Service) AddUserToGroup(ctx context.Context, in *GroupMemberInput) (*struct{}, error) {
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		g, u, err := s.groupAndUser(ctx, in)
		if err != nil {
			return err
		}
		return s.store.AddGroupMember(ctx, g.ID, u.ID)
	})
}

// RemoveUserFromGroup removes a member.
func (s *Service) RemoveUserFromGroup(ctx context.Context, in *GroupMemberInput) (*struct{}, error) {
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		g, u, err := s.groupAndUser(ctx, in)
		if err != nil {
			return err
		}
		if err := s.store.RemoveGroupMember(ctx, g.ID, u.ID); errors.Is(err, ErrNotFound) {
			return noSuchEntity(KindUser, in.UserName)
		} else if err != nil {
			return err
		}
		return nil
	})
}

func (s *Service) groupAndUser(ctx context.Context, in *GroupMemberInput) (*Entity, *Entity, error) {
	g, err := s.entity(ctx, KindGroup, in.GroupName)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.entity(ctx, KindUser, in.UserName)
	return g, u, err
}

// ListGroupsForUser lists the groups a user belongs to.
func (s *Service) ListGroupsForUser(ctx context.Context, in *ListGroupsForUserInput) (*ListGroupsOutput, error) {
	u, err := s.entity(ctx, KindUser, in.UserName)
	if err != nil {
		return nil, err
	}
	groups, err := s.store.UserGroups(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	page, pg, err := pageEntities(groups, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &ListGroupsOutput{Groups: []*Group{}, page: pg}
	for _, g := range page {
		out.Groups = append(out.Groups, groupShape(g))
	}
	return out, nil
}
