package codedeploy

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// The tags of applications, deployment groups and deployment configs
// (what ListTagsForResource returns), and the tag filters with which
// deployment groups select instances.

// Tag limits of applications, deployment groups and deployment configs.
// CodeDeploy documents none of its own; these are the AWS-wide resource
// tag rules [unverified for CodeDeploy].
const (
	maxResourceTags   = 50
	maxTagKeyLength   = 128
	maxTagValueLength = 256
)

// tagTextPattern is the character set AWS allows in tag keys and values.
var tagTextPattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// Tag filter types.
const (
	FilterKeyOnly     = "KEY_ONLY"
	FilterValueOnly   = "VALUE_ONLY"
	FilterKeyAndValue = "KEY_AND_VALUE"
)

// checkTagFilters validates filters; invalid is the operation's exception
// (InvalidTagException, InvalidEC2TagException, InvalidTagFilterException).
func checkTagFilters(filters []TagFilter, invalid string) error {
	for _, f := range filters {
		switch f.Type {
		case FilterKeyOnly:
			if f.Key == "" || f.Value != "" {
				return errorf(invalid, "A KEY_ONLY tag filter needs a key and no value.")
			}
		case FilterValueOnly:
			if f.Value == "" || f.Key != "" {
				return errorf(invalid, "A VALUE_ONLY tag filter needs a value and no key.")
			}
		case FilterKeyAndValue, "":
			if f.Key == "" {
				return errorf(invalid, "A KEY_AND_VALUE tag filter needs a key.")
			}
		default:
			return errorf(invalid, "Unknown tag filter type: %s", f.Type)
		}
	}
	return nil
}

// matchesFilter reports whether tags satisfy one filter.
func matchesFilter(tags []Tag, f TagFilter) bool {
	for _, t := range tags {
		switch f.Type {
		case FilterKeyOnly:
			if t.Key == f.Key {
				return true
			}
		case FilterValueOnly:
			if t.Value == f.Value {
				return true
			}
		default:
			if t.Key == f.Key && t.Value == f.Value {
				return true
			}
		}
	}
	return false
}

// matchesAny reports whether tags satisfy at least one of filters (the
// rule of a group's flat tag filter list).
func matchesAny(tags []Tag, filters []TagFilter) bool {
	for _, f := range filters {
		if matchesFilter(tags, f) {
			return true
		}
	}
	return false
}

// matchesSet reports whether tags satisfy every group of a tag set (each
// group by any of its filters).
func matchesSet(tags []Tag, groups [][]TagFilter) bool {
	if len(groups) == 0 {
		return false
	}
	for _, g := range groups {
		if !matchesAny(tags, g) {
			return false
		}
	}
	return true
}

// checkTagsToAdd validates the tags of CreateApplication,
// CreateDeploymentGroup and TagResource, one rule set for the tags
// ListTagsForResource returns: InvalidTagsToAddException for an empty,
// long, reserved (aws:) or repeated key, a long value, characters AWS does
// not allow in tags, or more than a resource may have.
func checkTagsToAdd(tags []Tag) error {
	if len(tags) > maxResourceTags {
		return errorf(CodeInvalidTagsToAdd, "A resource can have at most %d tags.", maxResourceTags)
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if err := checkTagToAdd(t, seen[t.Key]); err != nil {
			return err
		}
		seen[t.Key] = true
	}
	return nil
}

func checkTagToAdd(t Tag, repeated bool) error {
	var problem string
	switch {
	case t.Key == "" || utf8.RuneCountInString(t.Key) > maxTagKeyLength:
		problem = "tag keys must be 1 to 128 characters long"
	case utf8.RuneCountInString(t.Value) > maxTagValueLength:
		problem = "tag values can be at most 256 characters long"
	case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
		problem = "the aws: prefix is reserved for AWS use"
	case !tagTextPattern.MatchString(t.Key) || !tagTextPattern.MatchString(t.Value):
		problem = "tags may contain only letters, digits, spaces and _ . : / = + - @"
	case repeated:
		problem = "a key may appear only once"
	default:
		return nil
	}
	return errorf(CodeInvalidTagsToAdd, "The tag %q is not valid: %s.", t.Key, problem)
}

// mergeTags returns old with add applied: a key already present gets the
// new value, a new key is appended.
func mergeTags(old, add []Tag) []Tag {
	out := slices.Clone(old)
	for _, t := range add {
		i := slices.IndexFunc(out, func(o Tag) bool { return o.Key == t.Key })
		if i >= 0 {
			out[i].Value = t.Value
		} else {
			out = append(out, t)
		}
	}
	return out
}
