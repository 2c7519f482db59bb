package iam

import (
	"context"
	"strings"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

// maxTags is IAM's quota of tags per entity.
const maxTags = 50

func checkTags(tags []Tag) error {
	if len(tags) > maxTags {
		return limitExceeded("TagsPerEntity", maxTags)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
		if strings.HasPrefix(k, "aws:") {
			return invalidInput("User-defined tag keys can't start with \"aws:\"")
		}
	}
	return nil
}

// tag adds or overwrites tags of an entity.
func (s *Service) tag(ctx context.Context, kind Kind, name string, tags []Tag) (*struct{}, error) {
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		e, err := s.entity(ctx, kind, name)
		if err != nil {
			return err
		}
		merged := e.Data.Tags
		for _, t := range tags {
			merged = setTag(merged, t)
		}
		if err := checkTags(merged); err != nil {
			return err
		}
		e.Data.Tags = merged
		return s.store.UpdateEntity(ctx, e)
	})
}

func setTag(tags []Tag, t Tag) []Tag {
	for i := range tags {
		if strings.EqualFold(tags[i].Key, t.Key) {
			tags[i] = t
			return tags
		}
	}
	return append(tags, t)
}

// untag removes tags by key; unknown keys are ignored, as in IAM.
func (s *Service) untag(ctx context.Context, kind Kind, name string, keys []string) (*struct{}, error) {
	return nil, s.store.Tx(ctx, func(ctx context.Context) error {
		e, err := s.entity(ctx, kind, name)
		if err != nil {
			return err
		}
		kept := e.Data.Tags[:0]
		for _, t := range e.Data.Tags {
			if !containsFold(keys, t.Key) {
				kept = append(kept, t)
			}
		}
		e.Data.Tags = kept
		return s.store.UpdateEntity(ctx, e)
	})
}

func (s *Service) listTags(ctx context.Context, kind Kind, name string) (*ListTagsOutput, error) {
	e, err := s.entity(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	tags := e.Data.Tags
	if tags == nil {
		tags = []Tag{}
	}
	return &ListTagsOutput{Tags: tags}, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// checkBoundary checks that a permissions boundary names an existing
// managed policy.
func (s *Service) checkBoundary(ctx context.Context, arn string) error {
	if arn == "" {
		return nil
	}
	if _, err := s.managedPolicy(ctx, arn); err != nil {
		if awserr.Code(err) == CodeNoSuchEntity {
			return invalidInput("ARN %s is not valid.", arn)
		}
		return err
	}
	return nil
}
