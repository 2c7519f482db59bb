package delivery

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/trail"
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

// Selects reports whether t logs e, an event of its scope (spec §6.4):
// by its selectors, the default one (every management event, no data
// event) when it has none, and for management events the global service
// setting.
func Selects(t *cloudtrail.Trail, e *Event) bool {
	data := e.Category == trail.CategoryData
	if !data && !t.Config.IncludeGlobalServiceEvents && slices.Contains(globalSources, e.Source) {
		return false
	}
	if t.AdvancedEventSelectors != nil {
		return slices.ContainsFunc(t.AdvancedEventSelectors, func(s cloudtrail.AdvancedEventSelector) bool {
			return advancedMatches(s, e)
		})
	}
	if t.EventSelectors == nil {
		return !data
	}
	return slices.ContainsFunc(t.EventSelectors, func(s cloudtrail.EventSelector) bool {
		if data {
			return readWriteMatches(s, e) && slices.ContainsFunc(s.DataResources, func(d cloudtrail.DataResource) bool {
				return dataResourceMatches(d, e)
			})
		}
		return managementMatches(s, e)
	})
}

// SelectsData reports whether t could log some data event: what the data
// event filter keeps of the trails.
func SelectsData(t *cloudtrail.Trail) bool {
	if t.AdvancedEventSelectors != nil {
		return slices.ContainsFunc(t.AdvancedEventSelectors, func(s cloudtrail.AdvancedEventSelector) bool {
			return slices.ContainsFunc(s.FieldSelectors, func(f cloudtrail.AdvancedFieldSelector) bool {
				return f.Field == "eventCategory" && slices.Contains(f.Equals, trail.CategoryData)
			})
		})
	}
	return slices.ContainsFunc(t.EventSelectors, func(s cloudtrail.EventSelector) bool { return len(s.DataResources) > 0 })
}

// managementMatches: IncludeManagementEvents and the excluded sources
// govern management events only; ReadWriteType governs both kinds.
func managementMatches(s cloudtrail.EventSelector, e *Event) bool {
	if s.IncludeManagementEvents != nil && !*s.IncludeManagementEvents {
		return false
	}
	if slices.Contains(s.ExcludeManagementEventSources, e.Source) {
		return false
	}
	return readWriteMatches(s, e)
}

func readWriteMatches(s cloudtrail.EventSelector, e *Event) bool {
	switch s.ReadWriteType {
	case "ReadOnly":
		return e.ReadOnly
	case "WriteOnly":
		return !e.ReadOnly
	}
	return true
}

// dataResourceMatches: a basic data resource selects the events on a
// resource of its type whose ARN one of its values begins
// (arn:aws:s3 = every object, arn:aws:s3:::bucket/ = a bucket's,
// arn:aws:s3:::bucket/prefix = a prefix; spec §6.2).
func dataResourceMatches(d cloudtrail.DataResource, e *Event) bool {
	return slices.ContainsFunc(e.Resources, func(r trail.Resource) bool {
		return r.Type == d.Type && slices.ContainsFunc(d.Values, func(v string) bool { return strings.HasPrefix(r.ARN, v) })
	})
}

// advancedMatches: every field selector must match (spec §6.3).
// resources.type and resources.ARN must match the same resource of the
// event; fields an event has no value for match nothing.
func advancedMatches(s cloudtrail.AdvancedEventSelector, e *Event) bool {
	var types, arns *cloudtrail.AdvancedFieldSelector
	for i := range s.FieldSelectors {
		f := &s.FieldSelectors[i]
		switch f.Field {
		case "resources.type":
			types = f
			continue
		case "resources.ARN":
			arns = f
			continue
		}
		v, ok := field(e, f.Field)
		if !ok || !fieldMatches(*f, v) {
			return false
		}
	}
	if types == nil && arns == nil {
		return true
	}
	return slices.ContainsFunc(e.Resources, func(r trail.Resource) bool {
		return (types == nil || fieldMatches(*types, r.Type)) && (arns == nil || fieldMatches(*arns, r.ARN))
	})
}

func field(e *Event, name string) (string, bool) {
	switch name {
	case "eventCategory":
		return cmp.Or(e.Category, trail.CategoryManagement), true
	case "readOnly":
		return strconv.FormatBool(e.ReadOnly), true
	case "eventSource":
		return e.Source, true
	case "eventName":
		return e.Name, true
	case "eventType":
		return trail.EventTypeAPICall, true
	case "userIdentity.arn":
		// A service's call has no caller ARN: "", which negative
		// operators let through.
		return e.UserARN, e.Category == trail.CategoryData
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
