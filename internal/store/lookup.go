package store

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
)

// eventColumns are the events columns the string attributes equal;
// ReadOnly is a number, and the resource keys go through event_resources.
var eventColumns = map[string]string{
	cloudtrail.AttrEventID:     "event_id",
	cloudtrail.AttrEventName:   "name",
	cloudtrail.AttrEventSource: "source",
	cloudtrail.AttrUsername:    "username",
	cloudtrail.AttrAccessKeyID: "access_key",
}

// LookupEvents implements cloudtrail.Store in one query over the events of
// one account and region, newest first; SQLite walks the index of an
// attribute (or events_time) backwards, so a page reads about as many rows
// as it returns. A second query fetches the page's resources.
func (s Events) LookupEvents(ctx context.Context, q *cloudtrail.Query) ([]*cloudtrail.Record, error) {
	query, args := lookupSQL(s.dialect, q)
	recs, err := collect(ctx, s.q(ctx), scanRecord, query, args...)
	if err != nil {
		return nil, err
	}
	return recs, s.loadResources(ctx, recs)
}

// lookupSQL builds the query of q: one walk down an index, newest first,
// that stops after q.Limit events. A lookup by resource walks
// event_resources (CROSS JOIN fixes that order in SQLite; GROUP BY folds
// the rows of an event that has several matching resources) unless it
// also names an EventId, the most selective key. Attributes are ANDed; a
// ResourceType and a ResourceName must match the same resource of the
// event (the first of each pair up, then the second, …). The join's
// condition is in WHERE: PostgreSQL's CROSS JOIN takes no ON (and plans
// the join itself), and PostgreSQL is told that e's columns depend on the
// group (SQLite's plan would sort, told).
func lookupSQL(d *dialect, q *cloudtrail.Query) (string, []any) {
	var where []string
	var args []any
	and := func(cond string, vals ...any) {
		where = append(where, cond)
		args = append(args, vals...)
	}
	types, names := resourceAttributes(q.Attributes)
	pairs := max(len(types), len(names))
	from, walk, group, first := "events e", "e", "", 0
	if pairs > 0 && !hasKey(q.Attributes, cloudtrail.AttrEventID) {
		from, walk, group, first = "event_resources r CROSS JOIN events e", "r", " GROUP BY r.time, r.seq"+d.groupedKey("e.seq"), 1
		and("e.seq = r.seq")
		cond, vals := resourceCond("r", types, names, 0)
		and(cond, vals...)
	}
	lower, upper := timeBounds(q)
	and(walk+".account = ? AND "+walk+".region = ? AND "+walk+".time >= ? AND "+walk+".time <= ?", q.Account, q.Region, lower, upper)
	if walk == "e" {
		// Event history is management events only (spec §11.3); the
		// resources index holds no other.
		and("e.category = 'Management'")
	}
	if q.After != nil {
		// time <= the cursor's is in upper; this drops what the page
		// before showed of the cursor's own instant.
		and("("+walk+".time < ? OR "+walk+".seq < ?)", q.After.Time.UnixNano(), q.After.Seq)
	}
	attributeConds(q.Attributes, first, and)
	query := `SELECT e.seq, e.time, e.event_id, e.name, e.source, e.read_only, e.username, e.access_key, e.record
		FROM ` + from + ` WHERE ` + strings.Join(where, " AND ") + group +
		` ORDER BY ` + walk + `.time DESC, ` + walk + `.seq DESC LIMIT ?`
	return query, append(args, q.Limit)
}

// attributeConds adds the conditions of attrs on the events row e: the
// resource pairs from the first up (the ones before it are the walk's own)
// as EXISTS over event_resources, the other keys on e's columns.
func attributeConds(attrs []cloudtrail.Attribute, first int, and func(cond string, vals ...any)) {
	types, names := resourceAttributes(attrs)
	for i := first; i < max(len(types), len(names)); i++ {
		cond, vals := resourceCond("x", types, names, i)
		and("EXISTS (SELECT 1 FROM event_resources x WHERE x.seq = e.seq AND "+cond+")", vals...)
	}
	for _, a := range attrs {
		switch a.Key {
		case cloudtrail.AttrResourceType, cloudtrail.AttrResourceName:
		case cloudtrail.AttrReadOnly:
			and("e.read_only = ?", readOnlyArg(a.Value))
		default:
			and("e."+eventColumns[a.Key]+" = ?", a.Value)
		}
	}
}

// timeBounds are q's inclusive bounds in Unix nanoseconds, the cursor's
// time included.
func timeBounds(q *cloudtrail.Query) (lower, upper int64) {
	lower, upper = math.MinInt64, math.MaxInt64
	if !q.Start.IsZero() {
		lower = q.Start.UnixNano()
	}
	if !q.End.IsZero() {
		upper = q.End.UnixNano()
	}
	if q.After != nil {
		upper = min(upper, q.After.Time.UnixNano())
	}
	return lower, upper
}

// resourceAttributes splits off the values of the resource attributes.
func resourceAttributes(attrs []cloudtrail.Attribute) (types, names []string) {
	for _, a := range attrs {
		switch a.Key {
		case cloudtrail.AttrResourceType:
			types = append(types, a.Value)
		case cloudtrail.AttrResourceName:
			names = append(names, a.Value)
		}
	}
	return types, names
}

func hasKey(attrs []cloudtrail.Attribute, key string) bool {
	for _, a := range attrs {
		if a.Key == key {
			return true
		}
	}
	return false
}

// resourceCond matches the i-th ResourceType and ResourceName, where
// given, on the event_resources row alias.
func resourceCond(alias string, types, names []string, i int) (string, []any) {
	switch {
	case i < len(types) && i < len(names):
		return alias + ".name = ? AND " + alias + ".type = ?", []any{names[i], types[i]}
	case i < len(types):
		return alias + ".type = ?", []any{types[i]}
	}
	return alias + ".name = ?", []any{names[i]}
}

// readOnlyArg is the read_only value a ReadOnly attribute matches: "true"
// and "false" exactly, as AWS compares; anything else matches nothing.
func readOnlyArg(v string) int {
	switch v {
	case "true":
		return 1
	case "false":
		return 0
	}
	return -1
}

// loadResources fills in the resources of recs.
func (s Events) loadResources(ctx context.Context, recs []*cloudtrail.Record) error {
	if len(recs) == 0 {
		return nil
	}
	bySeq := make(map[int64]*cloudtrail.Record, len(recs))
	args := make([]any, len(recs))
	for i, r := range recs {
		bySeq[r.Seq] = r
		args[i] = r.Seq
	}
	rows, err := s.q(ctx).QueryContext(ctx, `SELECT seq, type, name FROM event_resources WHERE seq IN (?`+
		strings.Repeat(", ?", len(recs)-1)+`) ORDER BY seq, type, name`, args...)
	if err != nil {
		return fmt.Errorf("load resources: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var res cloudtrail.Resource
		if err := rows.Scan(&seq, &res.ResourceType, &res.ResourceName); err != nil {
			return err
		}
		bySeq[seq].Resources = append(bySeq[seq].Resources, res)
	}
	return rows.Err()
}
