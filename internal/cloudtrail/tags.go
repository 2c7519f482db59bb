package cloudtrail

import (
	"context"
	"fmt"
	"strings"
)

// Tag limits (spec §11.2).
const (
	maxTags         = 50
	maxTagKeyLen    = 128
	maxTagValueLen  = 256
	maxListTagsARNs = 20
)

type (
	TagsInput struct {
		ResourceID string `json:"ResourceId"`
		TagsList   []Tag  `json:"TagsList"`
	}
	ListTagsInput struct {
		ResourceIDList []string `json:"ResourceIdList"`
		NextToken      string   `json:"NextToken"`
	}
	ListTagsOutput struct {
		ResourceTagList []ResourceTag `json:"ResourceTagList"`
	}
	ResourceTag struct {
		ResourceID string `json:"ResourceId"`
		TagsList   []Tag  `json:"TagsList"`
	}
)

// AddTags adds tags to a trail, replacing the values of keys it has.
//
// Errors: CloudTrailARNInvalidException, ResourceTypeNotSupportedException,
// ResourceNotFoundException (as TrailNotFoundException for trails),
// InvalidTagParameterException, TagsLimitExceededException,
// InvalidHomeRegionException.
func (s *Service) AddTags(ctx context.Context, in *TagsInput) (*done, error) {
	return s.retag(ctx, in, func(t *Trail) error {
		merged := mergeTags(t.Tags, in.TagsList)
		if err := checkTags(in.TagsList, len(merged)); err != nil {
			return err
		}
		t.Tags = merged
		return nil
	})
}

// RemoveTags removes tags by key; values are ignored, and so are keys the
// trail does not have. Errors: those of AddTags.
func (s *Service) RemoveTags(ctx context.Context, in *TagsInput) (*done, error) {
	return s.retag(ctx, in, func(t *Trail) error {
		if err := checkTags(in.TagsList, 0); err != nil {
			return err
		}
		for _, r := range in.TagsList {
			t.Tags = deleteTag(t.Tags, r.Key)
		}
		return nil
	})
}

func (s *Service) retag(ctx context.Context, in *TagsInput, change func(*Trail) error) (*done, error) {
	if err := taggable(in.ResourceID); err != nil {
		return nil, err
	}
	t, _, err := s.findToChange(ctx, in.ResourceID)
	if err != nil {
		return nil, err
	}
	if err := change(t); err != nil {
		return nil, err
	}
	if err := s.store.UpdateTrail(ctx, t); err != nil {
		return nil, fmt.Errorf("update trail: %w", err)
	}
	return ok, nil
}

// ListTags returns the tags of up to 20 trails. They fit one page, so
// no NextToken is returned.
//
// Errors: CloudTrailARNInvalidException, ResourceTypeNotSupportedException,
// TrailNotFoundException, InvalidParameterException.
func (s *Service) ListTags(ctx context.Context, in *ListTagsInput) (*ListTagsOutput, error) {
	if len(in.ResourceIDList) == 0 || len(in.ResourceIDList) > maxListTagsARNs {
		return nil, errorf(CodeInvalidParameter, "ResourceIdList must have 1 to %d ARNs.", maxListTagsARNs)
	}
	out := &ListTagsOutput{ResourceTagList: []ResourceTag{}}
	for _, id := range in.ResourceIDList {
		if err := taggable(id); err != nil {
			return nil, err
		}
		t, _, err := s.find(ctx, id)
		if err != nil {
			return nil, err
		}
		out.ResourceTagList = append(out.ResourceTagList, ResourceTag{ResourceID: t.ARN, TagsList: orEmpty(t.Tags)})
	}
	return out, nil
}

// taggable checks that id is a trail ARN: tags name resources by ARN, and
// the other taggable kinds (event data stores, channels, dashboards) are
// not served.
func taggable(id string) error {
	switch {
	case cloudtrailARN.MatchString(id):
		return errorf(CodeResourceTypeNotSupported, "Resource type of %s is not supported.", id)
	case !strings.HasPrefix(id, "arn:"):
		return errorf(CodeARNInvalid, "%s is not a valid trail ARN.", id)
	}
	return nil
}

// checkTags validates tags; total is how many the resource will have.
func checkTags(tags []Tag, total int) error {
	for _, t := range tags {
		if len(t.Key) < 1 || len(t.Key) > maxTagKeyLen || strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return errorf(CodeInvalidTagParameter, "Tag key %q is not valid: it must be 1 to %d characters and not start with aws:.", t.Key, maxTagKeyLen)
		}
		if t.Value != nil && len(*t.Value) > maxTagValueLen {
			return errorf(CodeInvalidTagParameter, "Value of tag %s is longer than %d characters.", t.Key, maxTagValueLen)
		}
	}
	if total > maxTags {
		return errorf(CodeTagsLimitExceeded, "A resource can have at most %d tags.", maxTags)
	}
	return nil
}

// mergeTags returns tags with add's keys set, replacing existing values.
func mergeTags(tags, add []Tag) []Tag {
	out := append([]Tag(nil), tags...)
	for _, a := range add {
		out = append(deleteTag(out, a.Key), a)
	}
	return out
}

func deleteTag(tags []Tag, key string) []Tag {
	out := tags[:0:0]
	for _, t := range tags {
		if t.Key != key {
			out = append(out, t)
		}
	}
	return out
}
