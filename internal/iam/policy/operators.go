package policy

import (
	"bytes"
	"encoding/base64"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// baseOp is a condition operator without its ForAllValues:/ForAnyValue:
// prefix and IfExists suffix.
type baseOp struct {
	// negated operators (StringNotEquals, NotIpAddress, …) hold when the
	// request value matches none of the policy values.
	negated bool
	// glob operators take wildcard patterns as policy values, so policy
	// variables are expanded into an escaped pattern.
	glob bool
	// date operators refuse, at parse time, values that are not dates.
	date bool
	// match reports whether request value r matches policy value p in the
	// positive sense. A value that does not parse as the operator's type
	// matches nothing.
	match func(r, p string, escaped bool) bool
}

// Comparison results wanted by the Numeric and Date operators.
func eq(c int) bool { return c == 0 }
func lt(c int) bool { return c < 0 }
func le(c int) bool { return c <= 0 }
func gt(c int) bool { return c > 0 }
func ge(c int) bool { return c >= 0 }

// operators are the base operators by name. Null is handled apart
// because it tests presence, not values.
var operators = map[string]*baseOp{
	"StringEquals":              {match: stringEquals},
	"StringNotEquals":           {match: stringEquals, negated: true},
	"StringEqualsIgnoreCase":    {match: stringEqualsFold},
	"StringNotEqualsIgnoreCase": {match: stringEqualsFold, negated: true},
	"StringLike":                {match: stringLike, glob: true},
	"StringNotLike":             {match: stringLike, glob: true, negated: true},

	"NumericEquals":            {match: numeric(eq)},
	"NumericNotEquals":         {match: numeric(eq), negated: true},
	"NumericLessThan":          {match: numeric(lt)},
	"NumericLessThanEquals":    {match: numeric(le)},
	"NumericGreaterThan":       {match: numeric(gt)},
	"NumericGreaterThanEquals": {match: numeric(ge)},

	"DateEquals":            {match: date(eq), date: true},
	"DateNotEquals":         {match: date(eq), date: true, negated: true},
	"DateLessThan":          {match: date(lt), date: true},
	"DateLessThanEquals":    {match: date(le), date: true},
	"DateGreaterThan":       {match: date(gt), date: true},
	"DateGreaterThanEquals": {match: date(ge), date: true},

	"Bool":         {match: boolEquals},
	"BinaryEquals": {match: binaryEquals},
	"IpAddress":    {match: ipMatch},
	"NotIpAddress": {match: ipMatch, negated: true},

	// IAM documents ArnEquals and ArnLike as the same comparison.
	"ArnEquals":    {match: arnLike, glob: true},
	"ArnLike":      {match: arnLike, glob: true},
	"ArnNotEquals": {match: arnLike, glob: true, negated: true},
	"ArnNotLike":   {match: arnLike, glob: true, negated: true},
}

// stringEquals is case-sensitive equality.
func stringEquals(r, p string, _ bool) bool { return r == p }

// stringEqualsFold is case-insensitive equality.
func stringEqualsFold(r, p string, _ bool) bool { return strings.EqualFold(r, p) }

// stringLike is a case-sensitive wildcard match.
func stringLike(r, p string, escaped bool) bool { return globMatch(p, r, false, escaped) }

// numeric returns a matcher that compares r with p as numbers; want
// receives -1, 0 or +1 as r is less than, equal to or greater than p.
func numeric(want func(int) bool) func(r, p string, _ bool) bool {
	return func(r, p string, _ bool) bool {
		a, okA := parseNumber(r)
		b, okB := parseNumber(p)
		return okA && okB && want(cmpFloat(a, b))
	}
}

// parseNumber parses a finite number.
func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

// cmpFloat compares two finite numbers.
func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// date returns a matcher that compares r with p as instants, each given
// in ISO 8601 or as epoch seconds.
func date(want func(int) bool) func(r, p string, _ bool) bool {
	return func(r, p string, _ bool) bool {
		a, okA := parseDate(r)
		b, okB := parseDate(p)
		return okA && okB && want(a.Compare(b))
	}
}

// dateLayouts are the ISO 8601 forms IAM accepts, tried in order on the
// upper-cased value; a value without a zone is UTC.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseDate parses an ISO 8601 date-time or a count of epoch seconds.
func parseDate(s string) (time.Time, bool) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		n, err := strconv.ParseInt(s, 10, 64)
		return time.Unix(n, 0), err == nil
	}
	u := strings.ToUpper(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, u); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// boolEquals compares two booleans written "true" or "false" in any case.
func boolEquals(r, p string, _ bool) bool {
	a, okA := parseBool(r)
	b, okB := parseBool(p)
	return okA && okB && a == b
}

// parseBool parses "true" or "false" in any case. strconv.ParseBool
// would also take "1" and "T", which IAM does not.
func parseBool(s string) (v, ok bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// binaryEquals compares base64-encoded values by their decoded bytes;
// request values are base64 too.
func binaryEquals(r, p string, _ bool) bool {
	a, errA := base64.StdEncoding.DecodeString(r)
	b, errB := base64.StdEncoding.DecodeString(p)
	return errA == nil && errB == nil && bytes.Equal(a, b)
}

// ipMatch reports whether the address r lies in p, a CIDR block or a
// single address. IPv4-mapped IPv6 addresses count as IPv4, so a
// dual-stack listener's "::ffff:10.0.0.1" matches "10.0.0.0/8".
func ipMatch(r, p string, _ bool) bool {
	addr, err := netip.ParseAddr(strings.TrimSpace(r))
	if err != nil {
		return false
	}
	addr = addr.WithZone("").Unmap()
	p = strings.TrimSpace(p)
	if !strings.Contains(p, "/") {
		want, err := netip.ParseAddr(p)
		return err == nil && want.Unmap() == addr
	}
	prefix, err := netip.ParsePrefix(p)
	if err != nil {
		return false
	}
	if prefix.Addr().Is4In6() && prefix.Bits() >= 96 {
		prefix = netip.PrefixFrom(prefix.Addr().Unmap(), prefix.Bits()-96)
	}
	return prefix.Contains(addr)
}

// arnLike compares an ARN with a pattern one colon-separated field at a
// time, so a * in the region field cannot swallow the account. The last
// field (the resource) may itself contain colons. A pattern with fewer
// than six fields, such as "*", is matched against the whole ARN.
func arnLike(r, p string, escaped bool) bool {
	pf := strings.SplitN(p, ":", 6)
	if len(pf) < 6 {
		return globMatch(p, r, false, escaped)
	}
	rf := strings.SplitN(r, ":", 6)
	if len(rf) < 6 {
		return false
	}
	for i := range pf {
		if !globMatch(pf[i], rf[i], false, escaped) {
			return false
		}
	}
	return true
}
