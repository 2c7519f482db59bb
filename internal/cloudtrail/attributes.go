package cloudtrail

import (
	"fmt"
	"strings"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

// Error codes of LookupEvents, each a model exception.
const (
	CodeInvalidLookupAttributes = "InvalidLookupAttributesException"
	CodeInvalidTimeRange        = "InvalidTimeRangeException"
	CodeInvalidMaxResults       = "InvalidMaxResultsException"
	CodeInvalidNextToken        = "InvalidNextTokenException"
	CodeInvalidEventCategory    = "InvalidEventCategoryException"
)

const (
	// maxPageSize is the largest and the default MaxResults.
	maxPageSize = 50
	// maxValueLength bounds an AttributeValue, in weighted characters
	// (see valueLength).
	maxValueLength = 2000
)

// lookupKeys are the valid AttributeKeys (case-sensitive), and whether
// Insights lookups support them.
var lookupKeys = map[string]bool{
	AttrEventID: true, AttrEventName: true, AttrEventSource: true,
	AttrReadOnly: false, AttrUsername: false, AttrResourceType: false, AttrResourceName: false, AttrAccessKeyID: false,
}

const validKeys = "EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId"

// attributes validates the LookupAttributes.
//
// AWS accepts at most one attribute. deploytrail accepts several and
// combines them with AND — an extension: a client that sends one (every
// AWS client) sees AWS's behaviour, and one that sends more gets a
// narrower result instead of InvalidLookupAttributesException.
func attributes(list []LookupAttribute, insight bool) ([]Attribute, error) {
	out := make([]Attribute, 0, len(list))
	for _, a := range list {
		if a.AttributeKey == nil || a.AttributeValue == nil {
			return nil, errorf(CodeInvalidLookupAttributes, "A lookup attribute needs both AttributeKey and AttributeValue.")
		}
		key, value := *a.AttributeKey, *a.AttributeValue
		forInsights, ok := lookupKeys[key]
		if !ok {
			return nil, errorf(CodeInvalidLookupAttributes, "Lookup attribute key %q is not valid. Valid keys: %s.", key, validKeys)
		}
		if insight && !forInsights {
			return nil, errorf(CodeInvalidLookupAttributes, "Lookup attribute key %s is not supported for Insights events.", key)
		}
		if n := valueLength(value); n < 1 || n > maxValueLength {
			return nil, errorf(CodeInvalidLookupAttributes, "Lookup attribute value for %s is not valid: its length must be between 1 and %d.", key, maxValueLength)
		}
		out = append(out, Attribute{Key: key, Value: value})
	}
	return out, nil
}

// valueLength is the length of an AttributeValue as AWS counts it:
// characters, where '_', ' ', ',' and '\n' count double.
func valueLength(v string) int {
	n := 0
	for _, r := range v {
		n++
		if strings.ContainsRune("_ ,\n", r) {
			n++
		}
	}
	return n
}

func errorf(code, format string, args ...any) error {
	return awserr.New(code, fmt.Sprintf(format, args...))
}
