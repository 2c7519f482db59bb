package sns

import (
	"context"
	"slices"
	"strings"

	"github.com/deploytrail/deploytrail/internal/awsproto"
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
	}
	ListTagsForResourceOutput struct {
		Tags []Tag `json:"Tags"`
	}
)

func (s *Service) registerTags() {
	awsproto.Handle(s.API, "TagResource", s.TagResource)
	awsproto.Handle(s.API, "UntagResource", s.UntagResource)
	awsproto.Handle(s.API, "ListTagsForResource", s.ListTagsForResource)
}

func checkTags(tags []Tag) error {
	if len(tags) > maxTags {
		return tagLimit()
	}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 || strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return invalidParameter("Tags Reason: tag key or value is not valid")
		}
	}
	return nil
}

func tagLimit() error {
	return errorCode(CodeTagLimit, "Could not complete request: tag quota of per resource exceeded")
}

// TagResource adds or replaces tags of a topic.
func (s *Service) TagResource(ctx context.Context, in *TagResourceInput) (*struct{}, error) {
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	return s.updateTagged(ctx, in.ResourceArn, func(t *Topic) error {
		for _, tag := range in.Tags {
			t.Tags = setTag(t.Tags, tag)
		}
		if len(t.Tags) > maxTags {
			return tagLimit()
		}
		return nil
	})
}

// UntagResource removes tags of a topic by key; unknown keys are ignored.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceInput) (*struct{}, error) {
	return s.updateTagged(ctx, in.ResourceArn, func(t *Topic) error {
		kept := t.Tags[:0]
		for _, tag := range t.Tags {
			if !slices.Contains(in.TagKeys, tag.Key) {
				kept = append(kept, tag)
			}
		}
		t.Tags = kept
		return nil
	})
}

// ListTagsForResource lists a topic's tags.
func (s *Service) ListTagsForResource(ctx context.Context, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	t, err := s.taggedTopic(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return &ListTagsForResourceOutput{Tags: append([]Tag{}, t.Tags...)}, nil
}

// taggedTopic loads the topic a tagging call names; tagging answers a
// missing topic with ResourceNotFound rather than NotFound.
func (s *Service) taggedTopic(ctx context.Context, arn string) (*Topic, error) {
	t, err := s.topicOf(ctx, arn)
	if isNotFound(err) {
		return nil, errorCode(CodeResourceNotFound, "Resource does not exist")
	}
	return t, err
}

func (s *Service) updateTagged(ctx context.Context, arn string, fn func(*Topic) error) (*struct{}, error) {
	if _, err := s.taggedTopic(ctx, arn); err != nil {
		return nil, err
	}
	return s.updateTopic(ctx, arn, fn)
}

func setTag(tags []Tag, t Tag) []Tag {
	for i := range tags {
		if tags[i].Key == t.Key {
			tags[i] = t
			return tags
		}
	}
	return append(tags, t)
}
