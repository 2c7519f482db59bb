package codedeploy

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Error codes of the resource tagging operations.
const (
	CodeResourceArnRequired = "ResourceArnRequiredException"
	CodeInvalidArn          = "InvalidArnException"
	CodeArnNotSupported     = "ArnNotSupportedException"
)

// ARN kinds that TagResource accepts.
const (
	arnApplication = "application"
	arnGroup       = "deploymentgroup"
	arnConfig      = "deploymentconfig"
)

type (
	TagResourceInput struct {
		ResourceArn string `json:"ResourceArn"`
		Tags        []Tag  `json:"Tags"`
	}
	UntagResourceInput struct {
		ResourceArn string   `json:"ResourceArn"`
		TagKeys     []string `json:"TagKeys"`
	}
	ListTagsForResourceInput struct {
		ResourceArn string `json:"ResourceArn"`
		NextToken   string `json:"NextToken"`
	}
	ListTagsForResourceOutput struct {
		Tags      []Tag  `json:"Tags"`
		NextToken string `json:"NextToken,omitempty"`
	}
)

func (s *Service) registerTagging() {
	awsproto.Handle(s.API, "TagResource", s.TagResource)
	awsproto.Handle(s.API, "UntagResource", s.UntagResource)
	awsproto.Handle(s.API, "ListTagsForResource", s.ListTagsForResource)
}

// TagResource adds tags to an application, deployment group or custom
// deployment config, replacing the values of keys it already has.
func (s *Service) TagResource(ctx context.Context, in *TagResourceInput) (*done, error) {
	kind, name, err := taggableARN(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, errorf(CodeTagRequired, "A tag is required.")
	}
	if err := checkTagsToAdd(in.Tags); err != nil {
		return nil, err
	}
	err = s.retag(ctx, kind, name, func(tags []Tag) ([]Tag, error) {
		merged := mergeTags(tags, in.Tags)
		if len(merged) > maxResourceTags {
			return nil, errorf(CodeInvalidTagsToAdd, "A resource can have at most %d tags.", maxResourceTags)
		}
		return merged, nil
	})
	if err != nil {
		return nil, err
	}
	return ok, nil
}

// UntagResource removes tags by key; keys the resource lacks are ignored.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceInput) (*done, error) {
	kind, name, err := taggableARN(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, errorf(CodeTagRequired, "A tag key is required.")
	}
	if slices.Contains(in.TagKeys, "") {
		return nil, errorf(CodeInvalidTagsToAdd, "Tag keys must not be empty.")
	}
	err = s.retag(ctx, kind, name, func(tags []Tag) ([]Tag, error) {
		return slices.DeleteFunc(slices.Clone(tags), func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) }), nil
	})
	if err != nil {
		return nil, err
	}
	return ok, nil
}

// ListTagsForResource lists a resource's tags by key.
func (s *Service) ListTagsForResource(ctx context.Context, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	kind, name, err := taggableARN(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	r, err := s.taggedResource(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	byKey := map[string]Tag{}
	keys := make([]string, 0, len(r.tags))
	for _, t := range r.tags {
		byKey[t.Key] = t
		keys = append(keys, t.Key)
	}
	slices.Sort(keys)
	// The ARN is part of the token's operation so that a token of one
	// resource cannot page through another's tags.
	page, next, err := s.tokens.page("ListTagsForResource\x00"+in.ResourceArn, in.NextToken, keys)
	if err != nil {
		return nil, err
	}
	out := &ListTagsForResourceOutput{Tags: []Tag{}, NextToken: next}
	for _, k := range page {
		out.Tags = append(out.Tags, byKey[k])
	}
	return out, nil
}

// retag loads a resource's tags, changes them with edit and stores the
// result, in one transaction.
func (s *Service) retag(ctx context.Context, kind, name string, edit func([]Tag) ([]Tag, error)) error {
	return s.store.Tx(ctx, func(ctx context.Context) error {
		r, err := s.taggedResource(ctx, kind, name)
		if err != nil {
			return err
		}
		tags, err := edit(r.tags)
		if err != nil {
			return err
		}
		return r.save(ctx, tags)
	})
}

// taggableARN checks a tagging operation's ARN and returns the resource
// kind and name it names in the caller's scope. A string that is no ARN
// at all is InvalidArnException; a well-formed ARN of something we cannot
// tag here (another service or partition, an on-premises instance, another
// account or region) is ArnNotSupportedException.
func taggableARN(ctx context.Context, arn string) (kind, name string, err error) {
	if arn == "" {
		return "", "", errorf(CodeResourceArnRequired, "The ARN of a resource is required.")
	}
	invalid := errorf(CodeInvalidArn, "The ARN %s is not valid.", arn)
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return "", "", invalid
	}
	unsupported := errorf(CodeArnNotSupported, "The ARN %s is not supported: only the applications, deployment groups "+
		"and custom deployment configurations of this account and region can be tagged.", arn)
	if parts[1] != "aws" || parts[2] != "codedeploy" {
		return "", "", unsupported
	}
	sc, kind, name, parsed := parseARN(arn)
	switch {
	case !parsed:
		return "", "", invalid
	case sc != scope(ctx) || (kind != arnApplication && kind != arnGroup && kind != arnConfig):
		return "", "", unsupported
	case kind == arnConfig && strings.HasPrefix(name, predefinedPrefix):
		// The predefined configs belong to CodeDeploy, not to the caller
		// [unverified: AWS's answer for them].
		return "", "", unsupported
	case !validARNName(kind, name) || canonicalARN(sc, kind, name) != arn:
		// A name no resource can have [unverified: AWS may answer the
		// resource's DoesNotExist exception instead], or another spelling
		// of a resource's ARN (…:application/MyApp): IAM authorized the
		// call on the ARN as given, so a second spelling could slip past a
		// policy that names the resource.
		return "", "", invalid
	}
	return kind, name, nil
}

// canonicalARN is the one spelling of a taggable resource's ARN.
func canonicalARN(sc Scope, kind, name string) string {
	switch kind {
	case arnApplication:
		return sc.ApplicationARN(name)
	case arnConfig:
		return sc.ConfigARN(name)
	}
	app, group, _ := strings.Cut(name, "/")
	return sc.GroupARN(app, group)
}

// validARNName reports whether the resource part of an ARN is a valid name
// (application/group for groups).
func validARNName(kind, name string) bool {
	if kind != arnGroup {
		return checkApplicationName(name) == nil // configs share the rule
	}
	app, group, ok := strings.Cut(name, "/")
	return ok && checkApplicationName(app) == nil && checkGroupName(group) == nil
}

// taggedResource is a resource's tag set and how to store a new one.
type taggedResource struct {
	tags []Tag
	save func(ctx context.Context, tags []Tag) error
}

// taggedResource loads the resource taggableARN named.
func (s *Service) taggedResource(ctx context.Context, kind, name string) (*taggedResource, error) {
	switch kind {
	case arnApplication:
		a, err := s.application(ctx, name)
		if err != nil {
			return nil, err
		}
		return &taggedResource{tags: a.Tags, save: func(ctx context.Context, tags []Tag) error {
			a.Tags = tags
			return s.store.UpdateApplication(ctx, a)
		}}, nil
	case arnGroup:
		return s.taggedGroup(ctx, name)
	}
	c, err := s.store.DeploymentConfig(ctx, scope(ctx), name)
	if errors.Is(err, ErrNotFound) {
		return nil, errorf(CodeConfigDoesNotExist, "No deployment configuration found for name: %s", name)
	} else if err != nil {
		return nil, err
	}
	return &taggedResource{tags: c.Tags, save: func(ctx context.Context, tags []Tag) error {
		c.Tags = tags
		return s.store.UpdateDeploymentConfig(ctx, c)
	}}, nil
}

// taggedGroup loads a deployment group named application/group.
func (s *Service) taggedGroup(ctx context.Context, name string) (*taggedResource, error) {
	appName, groupName, _ := strings.Cut(name, "/")
	_, g, err := s.appGroup(ctx, appName, groupName)
	if err != nil {
		return nil, err
	}
	return &taggedResource{tags: g.Tags, save: func(ctx context.Context, tags []Tag) error {
		g.Tags = tags
		return s.store.UpdateDeploymentGroup(ctx, g)
	}}, nil
}
