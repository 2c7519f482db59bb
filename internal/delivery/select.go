package delivery

import (
	"slices"
	"strconv"
	"strings"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
)

// globalSources are the services whose events are global (recorded in
// us-east-1); IncludeGlobalServiceEvents=false leaves them out.
var globalSources = []string{"iam.amazonaws.com", "sts.amazonaws.com", "organizations.amazonaws.com", "signin.amazonaws.com"}

// query is the scope of t (spec §6.4, §10): its account, or every
// account of its organization; its home region, or every region.
func query(t *cloudtrail.Trail, after, upTo int64, limit int) *Query {
	q := &Query{After: after, UpTo: upTo, Account: t.Account, OrgID: t.OrgID, Region: t.HomeRegion, Limit: limit}
	if t.Config.IsMultiRegionTrail {
		q.Region = ""
	}
	return q
}

// Selects reports whether t logs e, an event of its scope: every event we
// record is a management event, so what counts is the global service
// setting and the selectors (spec §6). Data events never exist here.
func Selects(t *cloudtrail.Trail, e *Event) bool {
	if !t.Config.IncludeGlobalServiceEvents && slices.Contains(globalSources, e.Source) {
		return false
	}
	if t.AdvancedEventSelectors != nil {
		return slices.ContainsFunc(t.AdvancedEventSelectors, func(s cloudtrail.AdvancedEventSelector) bool {
			return advancedMatches(s, e)
		})
	}
	if t.EventSelectors == nil {
		return true // the default selector: every management event
	}
	return slices.ContainsFunc(t.EventSelectors, func(s cloudtrail.EventSelector) bool {
		return basicMatches(s, e)
	})
}

func basicMatches(s cloudtrail.EventSelector, e *Event) bool {
	if s.IncludeManagementEvents != nil && !*s.IncludeManagementEvents {
		return false
	}
	if slices.Contains(s.ExcludeManagementEventSources, e.Source) {
		return false
	}
	switch s.ReadWriteType {
	case "ReadOnly":
		return e.ReadOnly
	case "WriteOnly":
		return !e.ReadOnly
	}
	return true
}

// advancedMatches: every field selector must match (spec §6.3). Fields
// an API call record has no value for (resources.type, …) match nothing.
func advancedMatches(s cloudtrail.AdvancedEventSelector, e *Event) bool {
	for _, f := range s.FieldSelectors {
		v, ok := field(e, f.Field)
		if !ok || !fieldMatches(f, v) {
			return false
		}
	}
	return true
}

func field(e *Event, name string) (string, bool) {
	switch name {
	case "eventCategory":
		return "Management", true
	case "readOnly":
		return strconv.FormatBool(e.ReadOnly), true
	case "eventSource":
		return e.Source, true
	case "eventName":
		return e.Name, true
	case "eventType":
		return "AwsApiCall", true
	}
	return "", false
}

// fieldMatches: positive operators match when any value does, negative
// ones when none does; all operators given must hold.
func fieldMatches(f cloudtrail.AdvancedFieldSelector, v string) bool {
	eq := func(x string) bool { return v == x }
	prefix := func(x string) bool { return strings.HasPrefix(v, x) }
	suffix := func(x string) bool { return strings.HasSuffix(v, x) }
	for _, c := range []struct {
		values []string
		match  func(string) bool
		want   bool
	}{
		{f.Equals, eq, true}, {f.StartsWith, prefix, true}, {f.EndsWith, suffix, true},
		{f.NotEquals, eq, false}, {f.NotStartsWith, prefix, false}, {f.NotEndsWith, suffix, false},
	} {
		if len(c.values) > 0 && slices.ContainsFunc(c.values, c.match) != c.want {
			return false
		}
	}
	return true
}
